import test from 'ava';
import type { ExecutionContext } from 'ava';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CNI_FILES, LABELS } from '../../src/defaults.js';
import { leaseSubnet, parseSubnetEnv } from '../../src/net/subnet-env.js';
import { describe, etcdctlEnv, etcdGetPrefix, hostsWithTestImages, joinCommandOf, runCli, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../_helpers/cli.js';
import { createHosts, type SimHost } from '../_helpers/hosts.js';

/**
 * cleanup leaves a host with none of what ignite-net or flannel made — devices, iptables chains, CNI
 * state, this host's lease — and nothing else touched. Every `ip`/`iptables` runs inside the
 * simulated host's namespaces.
 */

const SUBNETS = '/coreos.com/network/subnets/';
const STATE_DIR = '/var/lib/ignite-net';
const STATE_FILE = `${STATE_DIR}/state.json`;

async function must(t: ExecutionContext, host: SimHost, cmd: string, args: string[]): Promise<string> {
  const result = await host.exec(cmd, args, { timeoutMs: 15_000 });
  t.is(result.code, 0, `${cmd} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function links(t: ExecutionContext, host: SimHost): Promise<string[]> {
  const list = JSON.parse(await must(t, host, 'ip', ['-j', 'link', 'show'])) as { ifname: string }[];
  return list.map((l) => l.ifname).sort();
}

async function managed(host: SimHost): Promise<string[]> {
  const list = await host.docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } });
  return list.map((c) => c.Names[0] ?? c.Id);
}

async function stateFileExists(host: SimHost): Promise<boolean> {
  return (await host.exec('test', ['-e', STATE_FILE])).code === 0;
}

/** What is left in the state dir (state file, lock, status's lease cache): nothing, or no dir at all. */
async function stateDirLeftovers(host: SimHost): Promise<string> {
  return (await host.exec('sh', ['-c', `ls -A ${STATE_DIR} 2>/dev/null || true`])).stdout.trim();
}

/** Local leftovers of ignite-net and flannel that must all be gone after cleanup. */
async function assertLocallyClean(t: ExecutionContext, host: SimHost): Promise<void> {
  t.deepEqual(await managed(host), [], `no ignite-net containers on ${host.name}`);
  t.false((await links(t, host)).some((name) => name.startsWith('flannel') || name === 'cni0'), `no flannel device on ${host.name}`);
  await t.throwsAsync(readFile(join(host.dirs.cniConfDir, CNI_FILES.ours)), { code: 'ENOENT' });
  await t.throwsAsync(readFile(join(host.dirs.runDir, 'subnet.env')), { code: 'ENOENT' });
  t.false(await stateFileExists(host), `no state file on ${host.name}`);
  t.is(await stateDirLeftovers(host), '', `nothing left in ${STATE_DIR} on ${host.name}`);
}

test.serial('cleanup removes exactly what flannel leaves (devices, chains, CNI state) and keeps the decoys', async (t) => {
  const sim = await createHosts(1, { bindDefaultPaths: true });
  t.teardown(() => sim.destroy());
  const host = sim.hosts[0]!;
  const sh = (script: string): Promise<string> => must(t, host, 'sh', ['-ec', script]);

  // What flannel (udp and vxlan backends) and the CNI bridge plugin leave behind…
  await sh(`
    ip tuntap add dev flannel0 mode tun; ip addr add 10.50.31.0/32 dev flannel0; ip link set flannel0 up
    ip link add flannel.1 type vxlan id 1 dstport 8472 dev ${host.iface}
    ip link add cni0 type bridge; ip addr add 10.50.31.1/24 dev cni0; ip link set cni0 up
    ip link add vethc1 type veth peer name vethc1peer; ip link set vethc1 master cni0
    iptables -t nat -N FLANNEL-POSTRTG
    iptables -t nat -A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG
    iptables -t nat -A FLANNEL-POSTRTG ! -s 10.50.0.0/16 -d 10.50.0.0/16 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully
    iptables -N FLANNEL-FWD
    iptables -A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD
    iptables -A FLANNEL-FWD -s 10.50.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT
    ip6tables -N FLANNEL-FWD
    ip6tables -A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD
  `);
  // …and decoys that are not ours.
  await sh(`
    ip tuntap add dev decoy0 mode tun
    iptables -P FORWARD DROP
    iptables -N DECOY-FWD
    iptables -A FORWARD -m comment --comment "not flannel" -j DECOY-FWD
    iptables -A DECOY-FWD -s 10.88.0.0/16 -j ACCEPT
    iptables -t nat -A POSTROUTING -s 10.88.0.0/16 -j MASQUERADE
  `);
  const state = host.dirs.cniStateDir;
  await mkdir(join(state, 'networks/cbr0'), { recursive: true });
  await mkdir(join(state, 'networks/other'), { recursive: true });
  await mkdir(join(state, 'flannel'), { recursive: true });
  await mkdir(join(state, 'results'), { recursive: true });
  await writeFile(join(state, 'networks/cbr0/10.50.31.2'), 'f3a1c0ffee\neth0');
  await writeFile(join(state, 'networks/cbr0/last_reserved_ip.0'), '10.50.31.2');
  await writeFile(join(state, 'networks/other/10.88.0.2'), 'decoy\neth0');
  await writeFile(join(state, 'flannel/f3a1c0ffee'), '{"cniVersion":"0.4.0","name":"cbr0","type":"bridge"}');
  await writeFile(join(state, 'results/cbr0-f3a1c0ffee-eth0'), '{"kind":"cniCacheV1","networkName":"cbr0"}');
  await writeFile(join(state, 'results/other-f3a1c0ffee-eth0'), '{"kind":"cniCacheV1","networkName":"other"}');
  await writeFile(join(host.dirs.runDir, 'subnet.env'), 'FLANNEL_NETWORK=10.50.0.0/16\nFLANNEL_SUBNET=10.50.31.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n');
  const filterBefore = (await sh('iptables -S')).split('\n');

  const clean = await runCli(host, ['cleanup', '--yes']);
  t.is(clean.code, 0, describe(clean));

  // Devices: ours gone, the decoy and the veth pair (only detached from cni0) still there.
  const after = await links(t, host);
  for (const gone of ['flannel0', 'flannel.1', 'cni0']) t.false(after.includes(gone), `${gone} removed`);
  for (const kept of ['decoy0', 'vethc1', 'vethc1peer', host.iface, 'lo']) t.true(after.includes(kept), `${kept} kept`);

  // iptables: only flannel's chains and the rules jumping to them are gone.
  const nat = await sh('iptables -t nat -S');
  const filter = await sh('iptables -S');
  t.notRegex(nat + filter, /FLANNEL/);
  t.notRegex(await sh('ip6tables -S'), /FLANNEL/);
  t.deepEqual(
    filter.split('\n'),
    filterBefore.filter((line) => !line.includes('FLANNEL-FWD')),
    'every other filter rule, chain and the DROP policy unchanged',
  );
  t.regex(filter, /-A FORWARD -m comment --comment "not flannel" -j DECOY-FWD/);
  t.regex(nat, /-A POSTROUTING -s 10\.88\.0\.0\/16 -j MASQUERADE/);

  // CNI state: our network's gone, the other network's untouched.
  t.deepEqual((await readdir(join(state, 'networks'))).sort(), ['other']);
  t.is(await readFile(join(state, 'networks/other/10.88.0.2'), 'utf8'), 'decoy\neth0');
  await t.throwsAsync(readdir(join(state, 'flannel')), { code: 'ENOENT' });
  t.deepEqual(await readdir(join(state, 'results')), ['other-f3a1c0ffee-eth0']);
  await t.throwsAsync(readFile(join(host.dirs.runDir, 'subnet.env')), { code: 'ENOENT' });

  // The summary says what went.
  for (const item of ['device flannel0', 'device flannel.1', 'device cni0', 'nat chain FLANNEL-POSTRTG', 'filter chain FLANNEL-FWD', 'ip6tables filter chain FLANNEL-FWD']) {
    t.true(clean.stdout.includes(`removed  ${item}`), `summary lists ${item}\n${clean.stdout}`);
  }

  // A cni0 of another network (its address outside the overlay) is left, and cleanup says why.
  await sh('ip link add cni0 type bridge; ip addr add 10.88.0.1/16 dev cni0');
  const again = await runCli(host, ['cleanup', '--yes']);
  t.is(again.code, 0, describe(again));
  t.true((await links(t, host)).includes('cni0'));
  t.regex(again.stdout, /left\s+device cni0: it has 10\.88\.0\.1\/16, outside 10\.50\.0\.0\/16: another network uses it/);
});

test.serial("cleanup on a joined host releases its lease and no other; the init host's cleanup releases its own", async (t) => {
  const [node1, node2] = (await hostsWithTestImages(t, 2)) as [SimHost, SimHost];

  const init = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(init.code, 0, describe(init));
  const joined = await runCli(node2, [...joinCommandOf(init.stdout), ...TEST_FLANNEL_FLAGS]);
  t.is(joined.code, 0, describe(joined));
  const subnetOf = async (host: SimHost): Promise<string> => leaseSubnet(parseSubnetEnv(await readFile(join(host.dirs.runDir, 'subnet.env'), 'utf8')));
  const [subnet1, subnet2] = [await subnetOf(node1), await subnetOf(node2)];
  const before = await etcdGetPrefix(node1, node1.address, SUBNETS);
  t.deepEqual([...before.keys()].sort(), [subnet1, subnet2].map((s) => `${SUBNETS}${s.replace('/', '-')}`).sort());
  t.true((await links(t, node2)).includes('flannel0'), "the stand-in made flannel0 on node2");
  // status remembers lease expiry beside the state file; cleanup must take that too.
  for (const host of [node1, node2]) await runCli(host, ['status', '--json']); // its verdict does not matter here
  t.regex(await stateDirLeftovers(node2), /lease-expiry\.json/);

  const clean = await runCli(node2, ['cleanup', '--yes']);
  t.is(clean.code, 0, describe(clean));
  t.regex(clean.stdout, new RegExp(`removed\\s+lease ${subnet2.replaceAll('.', '\\.')} in etcd at https://${node1.address.replaceAll('.', '\\.')}:2379`));
  await assertLocallyClean(t, node2);

  const after = await etcdGetPrefix(node1, node1.address, SUBNETS);
  t.deepEqual([...after.keys()], [`${SUBNETS}${subnet1.replace('/', '-')}`], "only node2's lease is gone");
  t.is(after.get(`${SUBNETS}${subnet1.replace('/', '-')}`), before.get(`${SUBNETS}${subnet1.replace('/', '-')}`), "node1's lease untouched");

  // The init host releases its own lease while its etcd still runs, then removes etcd.
  const cleanInit = await runCli(node1, ['cleanup', '--yes', '--purge']);
  t.is(cleanInit.code, 0, describe(cleanInit));
  const out = cleanInit.stdout + cleanInit.stderr;
  t.regex(cleanInit.stdout, new RegExp(`removed\\s+lease ${subnet1.replaceAll('.', '\\.')} in etcd`));
  t.true(out.indexOf('✔ flannel') < out.indexOf('✔ lease') && out.indexOf('✔ lease') < out.indexOf('✔ etcd'), `order flannel, lease, etcd\n${out}`);
  await assertLocallyClean(t, node1);
});

test.serial('fault 7: etcd unreachable during cleanup on a joined host — cleanup completes and says the lease expires by itself', async (t) => {
  const [node1, node2] = (await hostsWithTestImages(t, 2)) as [SimHost, SimHost];

  const init = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(init.code, 0, describe(init));
  const joined = await runCli(node2, [...joinCommandOf(init.stdout), ...TEST_FLANNEL_FLAGS]);
  t.is(joined.code, 0, describe(joined));
  const subnet2 = leaseSubnet(parseSubnetEnv(await readFile(join(node2.dirs.runDir, 'subnet.env'), 'utf8')));

  await node1.disconnect();
  const started = Date.now();
  const clean = await runCli(node2, ['cleanup', '--yes']);
  t.is(clean.code, 0, describe(clean));
  t.true(Date.now() - started < 30_000, 'an unreachable etcd does not hold cleanup up');
  await assertLocallyClean(t, node2);
  const escaped = subnet2.replaceAll('.', '\\.');
  t.regex(clean.stderr, new RegExp(`the lease ${escaped} stays in etcd until it expires by itself, by \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC at the latest`));
  const key = `${SUBNETS}${subnet2.replace('/', '-')}`;
  const remedy = new RegExp(`left\\s+the lease ${escaped} in etcd at https://${node1.address.replaceAll('.', '\\.')}:2379 \\(not reachable\\): expires by itself by .*; to free it sooner, on the init host: (docker exec -it ignite-etcd etcdctl .* --user root del ${key.replaceAll('.', '\\.')}) \\(root's password is in /var/lib/ignite-net/etcd-root\\.json\\)`);
  t.regex(clean.stdout, remedy);

  // It really was left (not deleted), under its TTL, for etcd to expire.
  await node1.reconnect();
  const leases = await etcdGetPrefix(node1, node1.address, SUBNETS);
  t.true(leases.has(key));

  // The command cleanup gave frees it on the init host (the password given inline, there is no terminal here).
  const printed = (remedy.exec(clean.stdout)?.[1] ?? '').split(' ');
  const user = (await etcdctlEnv(node1, node1.address))['ETCDCTL_USER'] ?? '';
  const args = printed.slice(2).filter((a) => a !== '-it').map((a) => (a === 'root' ? user : a));
  const freed = await node1.exec('docker', ['exec', ...args], { timeoutMs: 15_000 });
  t.is(freed.code, 0, `${printed.join(' ')}: ${freed.stderr}`);
  t.false((await etcdGetPrefix(node1, node1.address, SUBNETS)).has(key), "cleanup's remedy deleted the lease");
});
