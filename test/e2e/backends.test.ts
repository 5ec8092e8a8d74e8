/**
 * Backends end to end on two simulated hosts (one host set for the whole file; the backend changes
 * with `init --backend … --force`): vxlan through the kernel's tunnel (the stand-in makes a real
 * flannel.<VNI>, see test/fixtures/flannel-standin/README.md), a port change (init names the host whose
 * flannel started before it), the switch to host-gw (init names the
 * hosts that must join again, status flags them, join switches them), host-gw's layer-2 refusal
 * before any change, and cleanup leaving no device or route of ours. On vxlan a "VM" (a network
 * namespace) on each host is attached through the written conflist as a runtime does it (the installed
 * plugins chained: the test image's flannel plugin delegating to Debian's bridge/host-local, then portmap
 * and firewall); the two VMs ping each other across the overlay, and CNI DEL leaves nothing behind.
 */
import test, { type ExecutionContext } from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import { CNI_FILES } from '../../src/defaults.js';
import { contains } from '../../src/net/cidr.js';
import { leaseSubnet, parseSubnetEnv } from '../../src/net/subnet-env.js';
import { describe, etcdGetPrefix, hostsWithTestImages, runCli, TEST_CNI_PLUGIN_FLAGS, TEST_FLANNEL_FLAGS, TEST_INSECURE_INIT_FLAGS } from '../_helpers/cli.js';
import type { SimHost } from '../_helpers/hosts.js';

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Link {
  ifname: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; port?: number } };
}

async function links(host: SimHost): Promise<Link[]> {
  const r = await host.exec('ip', ['-d', '-j', 'link', 'show']);
  return JSON.parse(r.stdout) as Link[];
}

const flannelLinks = async (host: SimHost): Promise<string[]> => (await links(host)).map((l) => l.ifname).filter((n) => n.startsWith('flannel'));

async function overlayRoutes(host: SimHost): Promise<string[]> {
  const r = await host.exec('ip', ['-4', 'route', 'show']);
  return r.stdout.split('\n').filter((l) => l.startsWith('10.50.'));
}

/** Lease values on the init host's etcd, by PublicIP. */
async function leasesByIp(node1: SimHost): Promise<Map<string, { subnet: string; BackendType: string; BackendData: unknown }>> {
  const kvs = await etcdGetPrefix(node1, node1.address, '/coreos.com/network/subnets/');
  const out = new Map<string, { subnet: string; BackendType: string; BackendData: unknown }>();
  for (const [key, value] of kvs) {
    const v = JSON.parse(value) as { PublicIP: string; BackendType: string; BackendData: unknown };
    out.set(v.PublicIP, { subnet: (key.split('/').pop() ?? '').replace('-', '/'), BackendType: v.BackendType, BackendData: v.BackendData });
  }
  return out;
}

interface Vm { netns: string; address: string; subnet: string; result: string; kill(): void }

/** Runs the conflist's plugins for one command as libcni does: name and cniVersion injected, ADD in order with prevResult, DEL in reverse. */
async function runChain(host: SimHost, command: 'ADD' | 'DEL', containerId: string, netns: string, prevResult?: string): Promise<string> {
  const list = JSON.parse(await readFile(joinPath(host.dirs.cniConfDir, CNI_FILES.ours), 'utf8')) as { name: string; cniVersion: string; plugins: { type: string }[] };
  const plugins = command === 'ADD' ? list.plugins : [...list.plugins].reverse();
  let result = prevResult;
  for (const plugin of plugins) {
    const conf = { ...plugin, name: list.name, cniVersion: list.cniVersion, ...(result === undefined ? {} : { prevResult: JSON.parse(result) as unknown }) };
    const env = { CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' };
    const r = await host.exec(`/opt/cni/bin/${plugin.type}`, [], { env, input: JSON.stringify(conf), timeoutMs: 20_000 });
    if (r.code !== 0) throw new Error(`${plugin.type} ${command} on ${host.name}: exit ${r.code} ${r.stdout} ${r.stderr}`);
    if (command === 'ADD') result = r.stdout;
  }
  return result ?? '';
}

/** A "VM": a network namespace held by a process on `host`, attached through the product's conflist. */
async function attachVm(t: ExecutionContext, host: SimHost, containerId: string): Promise<Vm> {
  const proc = host.spawn('unshare', ['--net', 'sh', '-c', 'echo ready && exec sleep 120'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const kill = (): void => void (proc.exitCode === null && proc.kill('SIGKILL'));
  t.teardown(kill);
  await new Promise<void>((resolve) => proc.stdout?.once('data', () => resolve()));
  const netns = `/proc/${proc.pid}/ns/net`;
  const result = await runChain(host, 'ADD', containerId, netns);
  const address = ((JSON.parse(result) as { ips: { address: string }[] }).ips[0]?.address ?? '').replace(/\/\d+$/, '');
  const subnet = leaseSubnet(parseSubnetEnv(await readFile(joinPath(host.dirs.runDir, 'subnet.env'), 'utf8')));
  return { netns, address, subnet, result, kill };
}

const vmPing = (host: SimHost, from: Vm, to: Vm) => host.exec('nsenter', [`--net=${from.netns}`, 'busybox', 'ping', '-c', '1', '-W', '3', to.address], { timeoutMs: 10_000 });

const vethsOf = async (host: SimHost): Promise<string[]> => (await links(host)).map((l) => l.ifname).filter((n) => n.startsWith('veth') || n === 'cni0');

async function assertClean(t: ExecutionContext, host: SimHost): Promise<void> {
  t.deepEqual(await vethsOf(host), [], `no cni0 or veth left on ${host.name}`);
  t.deepEqual(await flannelLinks(host), [], `no flannel device left on ${host.name}`);
  t.deepEqual(await overlayRoutes(host), [], `no route into the overlay left on ${host.name}`);
}

test.serial('vxlan, then host-gw, on two hosts: devices, tunnel, MTU, switch, layer-2 refusal, status, cleanup', async (t) => {
  const [node1, node2] = (await hostsWithTestImages(t, 2)) as [SimHost, SimHost];

  // vxlan
  const init = await runCli(node1, ['init', '--backend', 'vxlan', ...TEST_INSECURE_INIT_FLAGS, ...TEST_CNI_PLUGIN_FLAGS]);
  t.is(init.code, 0, describe(init));
  t.regex(init.stdout + init.stderr, /flannel\.1: vxlan, VNI 1, port 8472\/udp/);
  t.regex(init.stdout + init.stderr, /FLANNEL_MTU 1450 = \S+ MTU 1500 − 50 \(vxlan\)/);
  const join = await runCli(node2, ['join', node1.address, ...TEST_FLANNEL_FLAGS, ...TEST_CNI_PLUGIN_FLAGS]);
  t.is(join.code, 0, describe(join));
  const leases = await leasesByIp(node1);
  const l1 = leases.get(node1.address);
  const l2 = leases.get(node2.address);
  if (!l1 || !l2) return t.fail(`leases: ${JSON.stringify([...leases])}`);
  const target = l1.subnet.replace(/\/\d+$/, '');
  t.regex(join.stdout + join.stderr, new RegExp(`${esc(target)} via ${esc(target)} dev flannel\\.1: through the vxlan tunnel; ${esc(target)}:2379 answered in`));
  const dev2 = (await links(node2)).find((l) => l.ifname === 'flannel.1');
  t.like(dev2?.linkinfo, { info_kind: 'vxlan', info_data: { id: 1, port: 8472 } });
  t.like(l2, { BackendType: 'vxlan' });
  t.regex(String((l2.BackendData as { VtepMAC?: string } | null)?.VtepMAC), /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  const status = await runCli(node2, ['status']);
  t.regex(status.stdout, /vxlan VNI 1 on 8472\/udp/, describe(status));

  // A VM on each host through the conflist and the installed plugins; they reach each other over vxlan.
  const vm1 = await attachVm(t, node1, 'ignite-00000000000000v1');
  const vm2 = await attachVm(t, node2, 'ignite-00000000000000v2');
  for (const [host, vm] of [[node1, vm1], [node2, vm2]] as const) {
    t.true(contains(vm.subnet, vm.address), `${vm.address} is in ${host.name}'s subnet ${vm.subnet}`);
    t.regex((await host.exec('nsenter', [`--net=${vm.netns}`, 'ip', '-4', '-o', 'addr', 'show', 'eth0'])).stdout, new RegExp(`inet ${esc(vm.address)}/`));
  }
  t.not(vm1.subnet, vm2.subnet);
  const there = await vmPing(node1, vm1, vm2);
  t.is(there.code, 0, `vm1 → vm2 across the overlay: ${describe(there)}`);
  const back = await vmPing(node2, vm2, vm1);
  t.is(back.code, 0, `vm2 → vm1: ${describe(back)}`);
  // CNI DEL: the address back in host-local's store (only its lock and last-reserved files stay), the
  // veth gone with the namespace's end, the flannel plugin's kept delegate config gone. cni0 stays
  // until cleanup (bridge never deletes it), as on a real host.
  for (const [host, vm, id] of [[node1, vm1, 'ignite-00000000000000v1'], [node2, vm2, 'ignite-00000000000000v2']] as const) {
    await runChain(host, 'DEL', id, vm.netns, vm.result);
    vm.kill();
    const store = await readdir(joinPath(host.dirs.cniStateDir, 'networks/cbr0'));
    t.deepEqual(store.filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip')), [], `${host.name}: host-local store has no allocation left`);
    t.deepEqual(await readdir(joinPath(host.dirs.cniStateDir, 'flannel')), [], `${host.name}: no kept delegate config`);
    t.deepEqual(await vethsOf(host), ['cni0'], `${host.name}: no veth left, only the bridge`);
  }

  // Same backend, another port: node1's flannel restarts on it (flannel.1 made again with port 4789);
  // node2's lease was written before the new config, so its flannel runs the old port and is named.
  const ported = await runCli(node1, ['init', '--backend', 'vxlan', '--backend-port', '4789', '--force', ...TEST_INSECURE_INIT_FLAGS]);
  t.is(ported.code, 0, describe(ported));
  t.regex(ported.stdout + ported.stderr, /flannel\.1: vxlan, VNI 1, port 4789\/udp/, describe(ported));
  t.regex(ported.stdout, new RegExp(`must run join again to switch \\(their subnets are kept\\): ${esc(node2.address)} \\(${esc(l2.subnet)}, flannel started before the network config was last written\\)$`, 'm'));
  t.like((await links(node1)).find((l) => l.ifname === 'flannel.1')?.linkinfo, { info_data: { port: 4789 } });

  // Switch to host-gw: init names the host still on vxlan; status flags it.
  const switched = await runCli(node1, ['init', '--backend', 'host-gw', '--force', ...TEST_INSECURE_INIT_FLAGS]);
  t.is(switched.code, 0, describe(switched));
  t.regex(switched.stdout, new RegExp(`must run join again to switch \\(their subnets are kept\\): ${esc(node2.address)} \\(${esc(l2.subnet)}, vxlan\\)`));
  t.deepEqual(await flannelLinks(node1), [], "node1's flannel.1 went with the switch");
  t.like((await leasesByIp(node1)).get(node1.address), { subnet: l1.subnet, BackendType: 'host-gw' });
  const flagged = await runCli(node1, ['status']);
  t.regex(flagged.stdout + flagged.stderr, new RegExp(`${esc(node2.address)} \\(${esc(l2.subnet)}\\) still runs flannel's vxlan backend`), describe(flagged));

  // host-gw across a router: node2 reaches node1 through a gateway. The "router" is a second address
  // of node1 on the segment, so etcd still answers (the peer step comes first) while `ip route get`
  // on node2 shows a gateway — refused before any change.
  const gw = node1.address.replace(/\.\d+$/, '.200');
  t.is((await node1.exec('ip', ['addr', 'add', `${gw}/32`, 'dev', node1.iface])).code, 0);
  t.is((await node2.exec('ip', ['route', 'add', `${node1.address}/32`, 'via', gw, 'dev', node2.iface, 'onlink'])).code, 0);
  const refused = await runCli(node2, ['join', node1.address, ...TEST_FLANNEL_FLAGS]);
  t.is(refused.code, 3, describe(refused));
  t.regex(refused.stderr, new RegExp(`HostGwLayer2: host-gw needs every host on this host's layer-2 segment, but ${esc(node1.address)} is reached through the router ${esc(gw)}`));
  t.deepEqual(await flannelLinks(node2), ['flannel.1'], 'node2 unchanged: still on vxlan');
  t.like((await leasesByIp(node1)).get(node2.address), { BackendType: 'vxlan' });
  await node2.exec('ip', ['route', 'del', `${node1.address}/32`]);
  await node1.exec('ip', ['addr', 'del', `${gw}/32`, 'dev', node1.iface]);

  // join switches node2, its subnet kept
  const rejoin = await runCli(node2, ['join', node1.address, ...TEST_FLANNEL_FLAGS]);
  t.is(rejoin.code, 0, describe(rejoin));
  t.regex(rejoin.stdout + rejoin.stderr, /host-gw uses no device/);
  t.regex(rejoin.stdout + rejoin.stderr, new RegExp(`route to ${esc(l1.subnet)} via ${esc(node1.address)} on ${esc(node2.iface)}: host-gw, the peer's PublicIP is the next hop \\(\`ip route get ${esc(target)}\`, routed after [^)]+\\); no TCP probe: host-gw has no tunnel, and nothing in ${esc(l1.subnet)} answers until a VM runs there`));
  t.regex(rejoin.stdout + rejoin.stderr, /FLANNEL_MTU 1500 = \S+ MTU 1500 − 0 \(host-gw\)/);
  t.deepEqual(await flannelLinks(node2), []);
  t.like((await leasesByIp(node1)).get(node2.address), { subnet: l2.subnet, BackendType: 'host-gw' });
  t.true((await overlayRoutes(node1)).some((r) => r.startsWith(`${l2.subnet} via ${node2.address} dev ${node1.iface}`)), (await overlayRoutes(node1)).join('\n'));
  const healthy = await runCli(node1, ['status']);
  t.notRegex(healthy.stdout + healthy.stderr, /still runs flannel's/);
  const onNode2 = await runCli(node2, ['status']);
  // What status checked for host-gw: node2's route to node1's subnet, via node1 on its interface.
  t.regex(onNode2.stdout, new RegExp(`overlay: route to ${esc(l1.subnet)} via ${esc(node1.address)} on ${esc(node2.iface)}: host-gw, the peer's PublicIP is the next hop`), describe(onNode2));
  t.regex(onNode2.stdout, new RegExp(`^.*${esc(l1.subnet)} .* routed\\s*$`, 'm'), 'the OVERLAY cell of node1 says routed');
  t.notRegex(onNode2.stdout, /through the overlay: no answer/);

  // cleanup: flannel leaves its routes when it stops; cleanup removes them, and the devices
  for (const host of [node2, node1]) {
    const clean = await runCli(host, ['cleanup', '--yes', '--purge']);
    t.is(clean.code, 0, describe(clean));
    await assertClean(t, host);
  }
});
