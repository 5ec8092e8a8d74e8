import test from 'ava';
import { copyFile, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, join as joinPath } from 'node:path';
import { LABELS } from '../../src/defaults.js';
import { CLI, describe, hostsWithTestImages, joinCommandOf, runCli, TEST_CNI_PLUGIN_FLAGS, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../_helpers/cli.js';
import type { SimHost } from '../_helpers/hosts.js';

/** Every check doctor runs on an init host (or a host about to init), in order. */
const INIT_HOST_CHECKS = [
  'StateFile', 'IsPrivilegedUser', 'DockerEngine', 'ContainerNames', 'CNIConfDir', 'FlannelRunDir', 'TunDevice', 'AdvertiseAddress',
  'Port-2379', 'Port-2380', 'Port-backend-udp', 'NetworkOverlap', 'IPForward', 'BridgeNetfilter', 'ForwardPolicy', 'CNIConfigOrder', 'CNIPlugins', 'CNIStaleAllocations', 'IgniteConfig', 'OverlayMTU',
];

const OTHER_CONFLIST = '{ "cniVersion": "0.4.0", "name": "other", "plugins": [ { "type": "bridge", "bridge": "other0" } ] }\n';

/** What doctor must never change: containers, volumes, the conf and run dirs, the state dir. */
async function snapshot(host: SimHost): Promise<string> {
  const containers = await host.docker.listContainers({ all: true });
  const volumes = (await host.docker.listVolumes()).Volumes ?? [];
  const stateDir = await host.exec('ls', ['-la', '/var/lib/ignite-net']);
  return JSON.stringify({
    containers: containers.map((c) => `${c.Names[0]} ${c.Id} ${c.State}`).sort(),
    volumes: volumes.map((v) => v.Name).sort(),
    conf: (await readdir(host.dirs.cniConfDir)).sort(),
    run: (await readdir(host.dirs.runDir).catch(() => ['(missing)'])).sort(),
    state: stateDir.code === 0 ? stateDir.stdout.split('\n').filter((l) => !l.startsWith('total')).map((l) => l.replace(/\s+\S+\s+\S+\s+\S+\s+(\S+)$/, ' $1')) : 'absent',
  }, null, 1);
}

/**
 * A "VM" on the host: an address from the real host-local plugin (CNI ADD, our network cbr0, the
 * host's default store), held by a process in its own network namespace with the address on its lo.
 */
async function vmWithAddress(t: { teardown(fn: () => void): void }, host: SimHost, containerId: string): Promise<{ address: string; stop(): void; exited: Promise<void> }> {
  const conf = JSON.stringify({ cniVersion: '0.4.0', name: 'cbr0', ipam: { type: 'host-local', subnet: '10.50.200.0/24' } });
  const add = await host.exec('/usr/lib/cni/host-local', [], { env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: containerId, CNI_NETNS: '/proc/self/ns/net', CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' }, input: conf });
  if (add.code !== 0) throw new Error(`host-local ADD: ${add.stdout} ${add.stderr}`);
  const address = ((JSON.parse(add.stdout) as { ips: { address: string }[] }).ips[0]?.address ?? '').replace(/\/\d+$/, '');
  const child = host.spawn('unshare', ['--net', 'sh', '-c', `ip link set lo up && ip addr add ${address}/32 dev lo && echo ready && exec sleep 300`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the VM stand-in exited with ${code}`)));
  });
  return { address, stop: () => void child.kill('SIGKILL'), exited };
}

/** Check names in the summary on stdout, in order (`  Name  ok  message`). */
function checkNames(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => /^ {2}(\S+)\s{2,}(ok|WARN|FAIL|not run)\b/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

test.serial('doctor on a broken fresh host fails naming checks and fixes, changes nothing; after init it passes; logs of both containers', async (t) => {
  const host = (await hostsWithTestImages(t, 1))[0]!;

  // No containers yet: logs says so and fails.
  const noLogs = await runCli(host, ['logs']);
  t.is(noLogs.code, 4, describe(noLogs));
  t.regex(noLogs.stderr, /no containers of ignite-net on this host \(looked for the label io\.ignite-net\.managed=true\)/);
  t.regex(noLogs.stderr, /hint: Run `ignite-net init`/);
  t.is(noLogs.stdout, '');

  // Break the host three ways: a CNI config that sorts first, a foreign process on flannel's
  // backend port, IP forwarding off (the host's own network namespace).
  await writeFile(join(host.dirs.cniConfDir, '00-other.conflist'), OTHER_CONFLIST);
  const squatter = host.spawn(process.execPath, ['-e', `require('dgram').createSocket('udp4').bind(8285, '${host.address}', () => console.log('bound'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (squatter.exitCode === null) squatter.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    squatter.stdout?.once('data', () => resolve());
    squatter.once('exit', (code) => reject(new Error(`the squatter exited with ${code}`)));
  });
  const off = await host.exec('sysctl', ['-w', 'net.ipv4.ip_forward=0']);
  t.is(off.code, 0, off.stderr);

  // Two "VMs" got addresses from the REAL host-local (Debian's) in our network's store: one lives (a
  // process in its own network namespace with the address on its lo), the other died without a CNI
  // DEL (its namespace went with its process). Both allocations are older than the grace period.
  const live = await vmWithAddress(t, host, 'ignite-0123456789abcdef');
  const dead = await vmWithAddress(t, host, 'ignite-fedcba9876543210');
  dead.stop();
  await dead.exited;
  const store = join(host.dirs.cniStateDir, 'networks', 'cbr0');
  const old = new Date(Date.now() - 10 * 60_000);
  for (const address of [live.address, dead.address]) await utimes(join(store, address), old, old);

  const before = await snapshot(host);
  const broken = await runCli(host, ['doctor']);
  t.is(broken.code, 3, describe(broken));
  t.regex(broken.stderr, /\[ERROR CNIConfigOrder\] 00-other\.conflist sorts before 10-flannel\.conflist in \/etc\/cni\/net\.d: .* — Move it out of \/etc\/cni\/net\.d/);
  t.regex(broken.stderr, new RegExp(`\\[ERROR Port-backend-udp\\] 8285/udp is already in use on ${host.address.replaceAll('.', '\\.')} — Stop what holds it`));
  t.regex(broken.stderr, /\[ERROR IPForward\] net\.ipv4\.ip_forward = 0: .* — Run `sysctl -w net\.ipv4\.ip_forward=1`/);
  t.regex(broken.stdout, /^ignite-net doctor: 3 of 20 checks failed$/m);
  t.deepEqual(checkNames(broken.stdout), INIT_HOST_CHECKS, 'the summary names every check');
  t.regex(broken.stdout, /^ {2}IPForward +FAIL {2}net\.ipv4\.ip_forward = 0/m);
  t.regex(broken.stdout, /^ {2}TunDevice +ok {4}\/dev\/net\/tun present/m);
  const deadRe = dead.address.replaceAll('.', '\\.');
  t.regex(broken.stdout, new RegExp(`^ {2}CNIStaleAllocations +WARN {2}1 stale IP allocation in /var/lib/cni/networks/cbr0 \\(owner gone\\): ${deadRe} \\(ignite-fedcba9876543210, since [\\d-]+ [\\d:]+ UTC\\); 1 kept \\(1 address in use in a netns\\)$`, 'm'));
  t.regex(broken.stderr, /\[WARN CNIStaleAllocations\] .* — `sudo ignite-net ipam gc --yes` frees them/);
  // A missing plugin is a warning (as init says it): init installs it with --install-cni-plugins.
  t.regex(broken.stdout, /^ {2}CNIPlugins +WARN {2}CNI plugins missing from \/opt\/cni\/bin: flannel, portmap, firewall, bridge, host-local/m);
  t.regex(broken.stdout, /next:\n {2}Port-backend-udp: Stop what holds it/);
  t.regex(broken.stdout, /^ {2}IPForward: Run `sysctl -w net\.ipv4\.ip_forward=1`/m);
  t.is(await snapshot(host), before, 'doctor changed nothing (containers, volumes, conf dir, run dir, state dir)');

  // ipam gc lists the dead VM's allocation only, and why; a dry run frees nothing. --yes frees it, the live one stays.
  const dry = await runCli(host, ['ipam', 'gc']);
  t.is(dry.code, 0, describe(dry));
  t.regex(dry.stdout, /^ignite-net ipam gc: 1 stale IP allocation \(dry run, nothing freed\)$/m);
  t.regex(dry.stdout, new RegExp(`^ {2}${deadRe} +ignite-fedcba9876543210, since [\\d-]+ [\\d:]+ UTC: stale \\(no /var/lib/firecracker/vm/fedcba9876543210 \\(Ignite VM gone\\), no Docker container ignite-fedcba9876543210, ${deadRe} is in no netns in use, older than 2 min\\)$`, 'm'), describe(dry));
  t.false(dry.stdout.includes(live.address), 'the live VM is not listed as stale');
  t.regex(dry.stdout, /^ {2}kept +1 kept \(1 address in use in a netns\)$/m);
  t.regex(dry.stdout, /run with --yes to free them/i);
  t.deepEqual((await readdir(store)).filter((name) => /^\d/.test(name)).sort(), [live.address, dead.address].sort(), 'the dry run freed nothing');
  const dryJson = await runCli(host, ['ipam', 'gc', '--json']);
  t.is(dryJson.code, 0, describe(dryJson));
  const summaryEvent = dryJson.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; lines?: { label: string }[] }).find((e) => e.type === 'summary');
  t.deepEqual(summaryEvent?.lines?.map((l) => l.label), ['store', dead.address, 'kept']);
  const freed = await runCli(host, ['ipam', 'gc', '--yes']);
  t.is(freed.code, 0, describe(freed));
  t.regex(freed.stdout, /^ignite-net ipam gc: freed 1 stale IP allocation$/m);
  t.regex(freed.stdout, new RegExp(`^ {2}${deadRe} +ignite-fedcba9876543210, .* — freed$`, 'm'));
  t.deepEqual((await readdir(store)).filter((name) => /^\d/.test(name)), [live.address], 'only the live one is left');
  // Another VM dies without a CNI DEL: init's ipam-gc step frees that one.
  const dead2 = await vmWithAddress(t, host, 'ignite-aaaaaaaaaaaaaaaa');
  dead2.stop();
  await dead2.exited;
  await utimes(join(store, dead2.address), old, old);

  // --ignore-preflight-errors applies to doctor's checks too.
  const ignored = await runCli(host, ['doctor', '--ignore-preflight-errors', 'CNIConfigOrder,Port-backend-udp,IPForward']);
  t.is(ignored.code, 0, describe(ignored));
  t.regex(ignored.stderr, /\[WARN IPForward\] .*\(ignored\)/);

  // Repair, set up, and doctor passes on the init host (its own containers hold the ports).
  squatter.kill('SIGKILL');
  await rm(join(host.dirs.cniConfDir, '00-other.conflist'));
  t.is((await host.exec('sysctl', ['-w', 'net.ipv4.ip_forward=1'])).code, 0);
  const init = await runCli(host, ['init', ...TEST_IMAGE_FLAGS, ...TEST_CNI_PLUGIN_FLAGS]);
  t.is(init.code, 0, describe(init));
  // init freed the dead VM's allocation and kept the live one's.
  t.regex(init.stderr, new RegExp(`^✔ ipam-gc .* — freed 1 stale IP allocation: ${dead2.address.replaceAll('.', '\\.')} \\(ignite-aaaaaaaaaaaaaaaa, since `, 'm'), describe(init));
  t.deepEqual((await readdir(store)).filter((name) => /^\d/.test(name)), [live.address]);
  const afterInit = await snapshot(host);
  const healthy = await runCli(host, ['doctor']);
  t.is(healthy.code, 0, describe(healthy));
  // A secure init host: its security checks come last.
  t.regex(healthy.stdout, /^ignite-net doctor: (all 24 checks passed|no failures, \d+ warnings? \(24 checks\))$/m);
  t.deepEqual(checkNames(healthy.stdout), [...INIT_HOST_CHECKS, 'EtcdTls', 'EtcdCert', 'EtcdAuth', 'EtcdIdentity']);
  t.regex(healthy.stdout, /^ {2}checked +init host \(state file\)$/m);
  t.regex(healthy.stdout, /^ {2}Port-2379 +ok {4}2379\/tcp held by our ignite-etcd$/m);
  t.regex(healthy.stdout, /^ {2}CNIConfigOrder +ok {4}10-flannel\.conflist is the first/m);
  // Each plugin init installed answered VERSION (flannel: the test image's script; the others: Debian's).
  t.regex(healthy.stdout, /^ {2}CNIPlugins +ok {4}flannel, portmap, firewall, bridge, host-local \(CNI 1\.0\.0\) in \/opt\/cni\/bin, all speak the conflist's CNI 0\.4\.0$/m);
  t.regex(healthy.stdout, /^ {2}CNIStaleAllocations +ok {4}1 kept \(1 address in use in a netns\) in \/var\/lib\/cni\/networks\/cbr0, none stale$/m);
  // No Ignite on this test machine: nothing of Ignite's is said against the host (cni/ignite-config.ts has the cases).
  t.regex(healthy.stdout, /^ {2}IgniteConfig +ok {4}no \/etc\/ignite\/config\.yaml and no ignited running: nothing of Ignite's to check$/m);
  t.notRegex(healthy.stderr, /\[ERROR/);
  t.is(await snapshot(host), afterInit, 'doctor changed nothing on the initialised host either');

  // Logs, found by label: etcd (3.4, capnslog) logs its start; the flannel stand-in logs its lease.
  const etcdLogs = await runCli(host, ['logs', 'etcd']);
  t.is(etcdLogs.code, 0, describe(etcdLogs));
  t.regex(etcdLogs.stdout, /^\S.* etcdmain: etcd Version: /m, "etcd's lines, unprefixed");
  t.regex(etcdLogs.stdout, /ready to serve client requests/);
  // Only etcd's own lines (which name flannel's etcd role, ignite-flannel, on a secure overlay), unprefixed.
  t.notRegex(etcdLogs.stdout, /^ignite-(etcd|flannel) +\|/m);
  t.notRegex(etcdLogs.stdout, /standin\]/, 'no line of the flannel stand-in');
  const flannelLogs = await runCli(host, ['logs', 'flannel', '--tail', '5']);
  t.is(flannelLogs.code, 0, describe(flannelLogs));
  t.regex(flannelLogs.stdout, /lease/i);
  t.true(flannelLogs.stdout.trimEnd().split('\n').length <= 5, '--tail 5');
  const both = await runCli(host, ['logs']);
  t.is(both.code, 0, describe(both));
  t.regex(both.stdout, /^ignite-etcd {4}\| .*ready to serve client requests/m, 'etcd lines prefixed with its name');
  t.regex(both.stdout, /^ignite-flannel \| .*lease/im, 'flannel lines prefixed with its name');
  t.is(both.stderr, '');
  // --json: one object a line, {container, stream, time, text}; the same redaction (flannel's start-up line holds its password).
  const password = (await host.exec('cat', ['/var/lib/ignite-net/flannel-tls/etcd-password'])).stdout.replace(/\n+$/, '');
  t.true(password.length >= 16, 'found the flannel password to look for');
  const json = await runCli(host, ['logs', '--json', '--tail', '500']);
  t.is(json.code, 0, describe(json));
  t.false(json.stdout.includes(password), 'the password in logs --json');
  const objects = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  for (const o of objects) {
    t.deepEqual(Object.keys(o), ['container', 'stream', 'time', 'text']);
    t.true(o['stream'] === 'stdout' || o['stream'] === 'stderr', JSON.stringify(o));
    t.regex(String(o['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  }
  t.deepEqual([...new Set(objects.map((o) => o['container']))].sort(), ['ignite-etcd', 'ignite-flannel']);
  // etcd 3.4 (capnslog) writes to stderr; the text is the line alone, no prefix, no timestamp.
  t.true(objects.some((o) => o['container'] === 'ignite-etcd' && o['stream'] === 'stderr' && /ready to serve client requests/.test(String(o['text']))), json.stdout.slice(0, 2000));
  t.true(objects.some((o) => o['container'] === 'ignite-flannel' && /CLI flags config: \{.*etcdPassword:\[redacted\]/.test(String(o['text']))), 'flannel\'s start-up line, redacted');
  t.false(objects.some((o) => /^ignite-(etcd|flannel) +\|/.test(String(o['text']))));

  // -f keeps printing until Ctrl-C, then exits 0.
  const child = host.spawn(process.execPath, [CLI, 'logs', '-f', '--tail', '3'], { env: { CI: 'true', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => void (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ignite-etcd ') && out.includes('ignite-flannel ')) resolve();
    });
  });
  // A new line while following: flannel's lease log is the stand-in's; restart it to make it log again.
  const flannel = (await host.docker.listContainers({ filters: { label: [`${LABELS.managed}=true`, `${LABELS.role}=flannel`] } }))[0]!;
  const linesBefore = out.split('\n').length;
  await host.docker.getContainer(flannel.Id).restart({ t: 5 });
  const deadline = Date.now() + 20_000;
  while (out.split('\n').length <= linesBefore + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.true(out.split('\n').length > linesBefore + 1, `followed new lines after the restart:\n${out}`);
  t.true(child.kill('SIGINT'));
  t.is(await exited, 0, `${out}\n--- stderr\n${err}`);
  t.notRegex(err, /error/i);
});

/**
 * A running "ignited" on `host`: a copy of sleep named so (the check finds it by /proc/<pid>/comm, and
 * this machine shares one PID namespace, so it is seen from every simulated host until it ends). Ended by PID.
 */
async function startIgnited(t: { teardown(fn: () => void): void }, host: SimHost, binDir: string): Promise<{ stop(): Promise<void> }> {
  await copyFile('/bin/sleep', joinPath(binDir, 'ignited'));
  const child = host.spawn(joinPath(binDir, 'ignited'), ['300'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  t.teardown(() => void stop());
  const comm = `/proc/${child.pid ?? 0}/comm`;
  for (let i = 0; i < 100 && (await host.exec('cat', [comm])).stdout.trim() !== 'ignited'; i++) await new Promise((r) => setTimeout(r, 20));
  return { stop };
}

test.serial('doctor --peer runs join\'s peer checks; on a joined host the state file names the peer; Ignite\'s config in doctor and the join summary', async (t) => {
  // node2 has an /etc/ignite of its own (a directory made here); node1 has none, as a host without Ignite.
  const scratch = await mkdtemp(joinPath(tmpdir(), 'ignt-ignite-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const igniteDir = joinPath(scratch, 'etc-ignite');
  const binDir = joinPath(scratch, 'bin');
  await Promise.all([mkdir(igniteDir), mkdir(binDir)]);
  const [node1, node2] = (await hostsWithTestImages(t, 2, { igniteDirs: { node2: igniteDir } })) as [SimHost, SimHost];

  // The peer is not initialised yet: PeerEtcd fails with join's message; what needs it is not run.
  const early = await runCli(node2, ['doctor', '--peer', node1.address]);
  t.is(early.code, 3, describe(early));
  t.regex(early.stderr, new RegExp(`\\[ERROR PeerEtcd\\] cannot reach etcd at ${node1.address.replaceAll('.', '\\.')}:2379/tcp`));
  t.regex(early.stdout, /^ {2}PeerNetworkConfig +not run \(needs PeerEtcd\)$/m);

  // A secure init host: with the join command's token doctor runs every peer check, the config
  // included, and leaves the token unused (the join below takes it).
  const init = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(init.code, 0, describe(init));
  // No /etc/ignite and no ignited: init says nothing of Ignite's.
  t.regex(init.stderr, /^✔ ignite .* — no Ignite here \(no config file, no ignited\)$/m, describe(init));
  t.notRegex(init.stdout, /Ignite (ERROR|warning)/);
  const joinArgs = joinCommandOf(init.stdout);
  const ready = await runCli(node2, ['doctor', '--peer', node1.address, ...joinArgs.slice(2)]);
  t.is(ready.code, 0, describe(ready));
  for (const name of ['PeerAddress', 'HostRole', 'PeerEtcd', 'PeerAuth', 'PeerNetworkConfig', 'PeerBackendPort']) t.regex(ready.stdout, new RegExp(`^ {2}${name} +ok `, 'm'));
  t.regex(ready.stdout, /^ {2}PeerEtcd +ok {4}etcd v3 answers at https:\/\/.*, TLS with the CA sha256:[0-9a-f]{64}, the one in the token$/m);
  t.regex(ready.stdout, /^ {2}PeerAuth +ok {4}the token opens the identity ignite-host-[a-z0-9]{6} \(doctor does not use it up\)$/m);
  t.regex(ready.stdout, /^ {2}PeerNetworkConfig +ok {4}10\.50\.0\.0\/16, \/24 per host, udp on 8285\/udp$/m);
  t.notRegex(ready.stdout, /Port-2379/, "join's checks, without etcd's ports");
  t.regex(ready.stdout, new RegExp(`Ready for \`sudo ignite-net join ${node1.address.replaceAll('.', '\\.')}\``));

  // The init host itself cannot join another: HostRole fails with join's message.
  const fromInit = await runCli(node1, ['doctor', '--peer', node2.address]);
  t.is(fromInit.code, 3, describe(fromInit));
  t.regex(fromInit.stderr, /\[ERROR HostRole\] this host runs ignite-etcd: it is an init host and cannot join another/);

  // Ignite on node2 configured for flannel's own plugin, and an ignited that started before join writes the conflist.
  await writeFile(joinPath(igniteDir, 'config.yaml'), 'apiVersion: ignite.weave.works/v1alpha4\nkind: Configuration\nmetadata:\n  name: test-config\nspec:\n  runtime: containerd\n  networkPlugin: flannel # wrong: Ignite issue #826\n');
  const oldIgnited = await startIgnited(t, node2, binDir);
  const join = await runCli(node2, [...joinArgs, ...TEST_FLANNEL_FLAGS]);
  t.is(join.code, 0, describe(join));
  t.regex(join.stderr, /^✔ ignite .* — 1 error, 1 warning \(in the summary\)$/m, describe(join));
  t.regex(join.stdout, /^ {2}Ignite ERROR +\/etc\/ignite\/config\.yaml sets networkPlugin: flannel: Ignite fails every VM start with "Unknown Network Plugin"\. Fix: Set `networkPlugin: cni` under spec: in \/etc\/ignite\/config\.yaml, then `systemctl restart ignited`\.$/m, describe(join));
  t.regex(join.stdout, /^ {2}Ignite warning +ignited started [\d-]+ [\d:]+ UTC, before \/etc\/cni\/net\.d\/10-flannel\.conflist was last written \([\d-]+ [\d:]+ UTC\): it still uses the CNI config it read at start\. Fix: Run `systemctl restart ignited`\.$/m);
  const badIgnite = await runCli(node2, ['doctor']);
  t.is(badIgnite.code, 3, describe(badIgnite));
  t.regex(badIgnite.stderr, /\[ERROR IgniteConfig\] \/etc\/ignite\/config\.yaml sets networkPlugin: flannel: .*; ignited started .* — Set `networkPlugin: cni` under spec: in \/etc\/ignite\/config\.yaml, then `systemctl restart ignited`\. Run `systemctl restart ignited`\./, describe(badIgnite));
  t.regex(badIgnite.stdout, /^ignite-net doctor: 1 of \d+ checks failed$/m);
  // Fixed as the hint says (cni, ignited restarted): nothing bad is said.
  await writeFile(joinPath(igniteDir, 'config.yaml'), 'apiVersion: ignite.weave.works/v1alpha4\nkind: Configuration\nspec:\n  networkPlugin: cni\n');
  await oldIgnited.stop();
  const newIgnited = await startIgnited(t, node2, binDir);
  const joined = await runCli(node2, ['doctor']);
  await newIgnited.stop();
  t.regex(joined.stdout, /^ {2}IgniteConfig +ok {4}\/etc\/ignite\/config\.yaml: networkPlugin cni; ignited started after the CNI config was written$/m, describe(joined));
  t.notRegex(joined.stderr, /IgniteConfig/);
  t.is(joined.code, 0, describe(joined));
  t.regex(joined.stdout, new RegExp(`^ {2}checked +joined ${node1.address.replaceAll('.', '\\.')} \\(state file\\)$`, 'm'));
  t.regex(joined.stdout, /^ {2}PeerEtcd +ok /m);
  t.regex(joined.stdout, new RegExp(`^ {2}CNIPlugins +WARN {2}CNI plugins missing from /opt/cni/bin: flannel, portmap, firewall, bridge, host-local`, 'm'));
  t.regex(joined.stderr, new RegExp(`\\[WARN CNIPlugins\\] .* — Run \`sudo ignite-net join ${node1.address.replaceAll('.', '\\.')} --install-cni-plugins\``));
  t.regex(joined.stdout, /^ {2}Port-backend-udp +ok {4}8285\/udp held by our ignite-flannel$/m);

  // A joined host has no etcd: `logs` shows flannel and says why; `logs etcd` fails clearly.
  const logs = await runCli(node2, ['logs']);
  t.is(logs.code, 0, describe(logs));
  t.regex(logs.stderr, /no ignite-etcd here: a joined host runs only flannel/);
  t.regex(logs.stdout, /lease/i);
  const etcdLogs = await runCli(node2, ['logs', 'etcd']);
  t.is(etcdLogs.code, 4, describe(etcdLogs));
  t.regex(etcdLogs.stderr, /etcd runs only on the init host/);
});
