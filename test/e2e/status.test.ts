/**
 * status on three simulated hosts (one host set for the file), then fixed subnets on the same hosts:
 * init and join with --subnet, a flannel restart, a deleted lease, a host down past its lease while
 * another joins, refusals before any change, cleanup keeping it and --purge freeing it, and
 * `subnets reserve|release|list` — against the flannel stand-in, which takes a reserved key as
 * flannel v3 does (a fresh 24 h lease, flannel #1329).
 */
import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import { CNI_PLUGINS } from '../../src/defaults.js';
import { installCniPlugins } from '../_helpers/faults.js';
import { describe, etcdctl, hostsWithTestImages, joinArgsFrom, joinCommandOf, runCli, TEST_CNI_PLUGIN_FLAGS, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../_helpers/cli.js';
import type { SimHost } from '../_helpers/hosts.js';

let hosts: SimHost[] = [];
const teardowns: (() => Promise<void>)[] = [];
test.before(async () => {
  hosts = await hostsWithTestImages({ teardown: (fn) => void teardowns.push(fn) }, 3);
});
test.after.always(async () => {
  for (const fn of teardowns) await fn();
});

interface StatusDoc {
  schema: string;
  verdict: string;
  exitCode: number;
  etcd: { ok: boolean; endpoint: string; source: string };
  security: { tls: boolean; auth?: boolean; identity?: string };
  hosts: { subnet: string; publicIP: string; thisHost: boolean; etcdHost: boolean; reserved: boolean; expiresAt?: string; backendReach: { state: string; text: string }; overlayReach: { state: string; text: string; rttMs?: number } }[];
  thisHost: { subnet?: string; containers: { name: string; role?: string; state: string; running: boolean; restartCount: number; image: string; uptimeSeconds?: number }[]; subnetEnv: { kind: string }; cni: { ours?: { written: boolean }; firstPick?: string; missingPlugins: string[]; cniVersion?: string; plugins?: { name: string; path: string; present: boolean; version?: string; supportedVersions?: string[]; error?: string }[] } };
  problems: { severity: string; code: string; message: string }[];
  controlPlane?: {
    ok: boolean;
    members: { name: string; peerUrl: string; leader: boolean; healthy: boolean; learner: boolean; thisHost: boolean; raftIndex?: number; dbSizeBytes?: number }[];
    quorum?: { members: number; needed: number; healthy: number; ok: boolean; line: string };
    warnings: string[];
  };
  error?: { kind: string; message: string };
}

const parse = (stdout: string): StatusDoc => JSON.parse(stdout) as StatusDoc;

test.serial('status on the init host and on a joined host; a stopped flannel is unhealthy; no state file', async (t) => {
  const [node1, node2, node3] = hosts as [SimHost, SimHost, SimHost];

  // A host where nothing was set up: a clear message and its own exit code, in text and JSON.
  const bare = await runCli(node3, ['status']);
  t.is(bare.code, 11, describe(bare));
  t.regex(bare.stderr, /ignite-net is not set up on this host: no state file at \/var\/lib\/ignite-net\/state\.json/);
  t.regex(bare.stderr, /hint: Run `ignite-net init`/);
  const bareJson = await runCli(node3, ['status', '--json']);
  t.is(bareJson.code, 11, describe(bareJson));
  t.is(parse(bareJson.stdout).error?.kind, 'notSetUp');

  // A real host has the CNI plugins installed; status names missing ones, and ones that do not answer VERSION, as errors.
  await installCniPlugins([node1, node2]);

  const init = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(init.code, 0, describe(init));
  const joined = await runCli(node2, [...joinCommandOf(init.stdout), ...TEST_FLANNEL_FLAGS]);
  t.is(joined.code, 0, describe(joined));

  const expected = [node1.address, node2.address].sort();
  for (const [host, other] of [
    [node1, node2],
    [node2, node1],
  ] as const) {
    const run = await runCli(host, ['status', '--json']);
    t.is(run.code, 0, `${host.name}: ${describe(run)}`);
    const doc = parse(run.stdout);
    t.is(doc.schema, 'ignite-net/status/v1');
    t.is(doc.verdict, 'healthy', JSON.stringify(doc.problems));
    t.true(doc.etcd.ok);
    t.is(doc.etcd.source, 'state');
    t.is(doc.etcd.endpoint, `https://${node1.address}:2379`);
    t.is(doc.security.tls, true);
    t.is(doc.security.auth, true, `${host.name} saw etcd refuse a call without credentials`);
    t.regex(doc.security.identity ?? '', /^ignite-host-[a-z0-9]{6}$/, `${host.name} reads etcd as its own identity`);
    t.deepEqual(doc.hosts.map((h) => h.publicIP).sort(), expected, `${host.name} lists both hosts`);
    const self = doc.hosts.find((h) => h.thisHost);
    t.is(self?.publicIP, host.address, `${host.name}'s own row`);
    t.is(doc.hosts.filter((h) => h.thisHost).length, 1);
    t.is(doc.hosts.find((h) => h.etcdHost)?.publicIP, node1.address);
    for (const h of doc.hosts) {
      t.false(h.reserved);
      t.truthy(h.expiresAt);
    }
    const peer = doc.hosts.find((h) => h.publicIP === other.address);
    t.is(peer?.backendReach.state, 'ok', `${host.name} → ${other.name} backend port: ${JSON.stringify(peer?.backendReach)}`);
    if (other === node1) {
      // From the joined host, the init host's flannel address answers on 2379 through the overlay.
      t.is(peer?.overlayReach.state, 'ok', JSON.stringify(peer?.overlayReach));
      t.is(typeof peer?.overlayReach.rttMs, 'number');
    } else {
      t.is(peer?.overlayReach.state, 'not-checked');
    }
    const roles = doc.thisHost.containers.map((c) => c.role).sort();
    t.deepEqual(roles, host === node1 ? ['etcd', 'flannel'] : ['flannel']);
    t.true(doc.thisHost.containers.every((c) => c.running && c.state === 'running' && typeof c.uptimeSeconds === 'number'));
    t.is(doc.thisHost.subnetEnv.kind, 'ok');
    t.is(doc.thisHost.subnet, self?.subnet);
    t.true(doc.thisHost.cni.ours?.written);
    t.is(doc.thisHost.cni.firstPick, '10-flannel.conflist');
    // Each plugin ran its VERSION command (the stand-in scripts answer as flannel's plugin v1.9.1 does).
    t.is(doc.thisHost.cni.cniVersion, '0.4.0');
    t.deepEqual(
      doc.thisHost.cni.plugins?.map((p) => `${p.name} ${p.path} ${p.version ?? p.error ?? '-'} ${p.supportedVersions?.includes('0.4.0') ?? false}`),
      CNI_PLUGINS.map((name) => `${name} /opt/cni/bin/${name} 1.0.0 true`),
    );
    // The control plane: the init host's member alone, asked without a credential from either host.
    const cp = doc.controlPlane;
    t.like(cp?.quorum, { members: 1, needed: 1, healthy: 1, ok: true, line: '1 member, 1 needed, 1 healthy' }, JSON.stringify(cp));
    t.is(cp?.members.length, 1);
    t.like(cp?.members[0], { name: 's1', peerUrl: `https://${node1.address}:2380`, leader: true, healthy: true, learner: false, thisHost: host === node1 });
    t.true((cp?.members[0]?.raftIndex ?? 0) > 0);
    t.true((cp?.members[0]?.dbSizeBytes ?? 0) > 0);
    t.is(cp?.warnings.length, 1);
    t.regex(cp?.warnings[0] ?? '', /^etcd runs on one host only and 2 hosts depend on it/);
  }

  // The plain table (not a terminal here) shows the same, for the README and for people.
  const text = await runCli(node2, ['status']);
  t.is(text.code, 0, describe(text));
  t.regex(text.stdout, /^✔ ignite-net status: healthy/m);
  t.regex(text.stdout, /CNI plugins +flannel, portmap, firewall, bridge, host-local \(CNI 1\.0\.0\) in \/opt\/cni\/bin, all speak the conflist's CNI 0\.4\.0$/m);
  t.regex(text.stdout, /SUBNET +PUBLIC IP +BACKEND +LEASE +ROLE +BACKEND PORT +OVERLAY/);
  t.regex(text.stdout, new RegExp(`${node1.address.replaceAll('.', '\\.')} +udp +23h 5\\dm +etcd +not rejected +answered \\((<1|\\d+)ms\\)`));
  t.regex(text.stdout, new RegExp(`${node2.address.replaceAll('.', '\\.')} +udp +23h 5\\dm +this host`));
  t.regex(text.stdout, /^control plane: 1 member, 1 needed, 1 healthy$/m);
  t.regex(text.stdout, new RegExp(`^ {2}s1 +https://${node1.address.replaceAll('.', '\\.')}:2380 +leader +healthy +\\d+ +\\d+ kB$`, 'm'));
  t.regex(text.stdout, /^ {2}! etcd runs on one host only and 2 hosts depend on it/m);
  t.log(`status on ${node2.name}:\n${text.stdout}`);

  // Stop flannel on the joined host through the Docker API: status there says so and fails.
  const flannel = node2.docker.getContainer('ignite-flannel');
  await flannel.stop({ t: 5 });
  const stopped = await runCli(node2, ['status', '--json']);
  t.is(stopped.code, 10, describe(stopped));
  const doc = parse(stopped.stdout);
  t.is(doc.verdict, 'unhealthy');
  const problem = doc.problems.find((p) => p.code === 'flannel-not-running');
  t.regex(problem?.message ?? '', /flannel is not running: ignite-flannel is exited/);
  t.false(doc.thisHost.containers.find((c) => c.role === 'flannel')?.running);
  const stoppedText = await runCli(node2, ['status']);
  t.is(stoppedText.code, 10, describe(stoppedText));
  t.regex(stoppedText.stdout, /✖ flannel is not running: ignite-flannel is exited/);
  t.log(`status on ${node2.name} with flannel stopped:\n${stoppedText.stdout}`);

  // From the init host, the stopped peer's backend port now rejects: seen there too.
  const fromInit = await runCli(node1, ['status', '--json']);
  t.is(fromInit.code, 10, describe(fromInit));
  const peerRow = parse(fromInit.stdout).hosts.find((h) => h.publicIP === node2.address);
  t.is(peerRow?.backendReach.text, 'rejected');
  t.log(`status on ${node1.name} with flannel stopped on ${node2.name}:\n${(await runCli(node1, ['status'])).stdout}`);
});

// ------------------------------------------------------------------------------------------- fixed subnets

interface SubnetKey {
  publicIP: string;
  /** etcd lease id in hex, "0" for a key without one */
  lease: string;
}

/** flannel's subnet keys on the init host's etcd, by subnet ("10.50.40.0/24"). */
async function subnetKeys(node1: SimHost): Promise<Map<string, SubnetKey>> {
  const r = await etcdctl(node1, node1.address, ['get', '--prefix', '/coreos.com/network/subnets/', '-w', 'json']);
  if (r.code !== 0) throw new Error(describe(r));
  // Lease IDs are 64-bit: quoted before JSON.parse, which would round them.
  const kvs = (JSON.parse(r.stdout.replace(/"lease":(\d+)/g, '"lease":"$1"')) as { kvs?: { key: string; value: string; lease?: number | string }[] }).kvs ?? [];
  const text = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
  return new Map(kvs.map((kv) => [(text(kv.key).split('/').pop() ?? '').replace('-', '/'), { publicIP: (JSON.parse(text(kv.value)) as { PublicIP: string }).PublicIP, lease: BigInt(kv.lease ?? 0).toString(16) }]));
}

async function fixedRecords(node1: SimHost): Promise<{ Subnet: string; PublicIP: string }[]> {
  const r = await etcdctl(node1, node1.address, ['get', '--prefix', '/ignite-net/fixed/', '--print-value-only']);
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { Subnet: string; PublicIP: string });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const envSubnet = async (host: SimHost): Promise<string | undefined> =>
  /^FLANNEL_SUBNET=(\d+\.\d+\.\d+)\.1\/(\d+)$/m.exec(await readFile(joinPath(host.dirs.runDir, 'subnet.env'), 'utf8').catch(() => ''))?.slice(1, 3).join('.0/');

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test.serial('fixed subnets: init and join --subnet keep theirs across a flannel restart, a deleted lease and a host down past its lease; refusals; cleanup; subnets', async (t) => {
  const [node1, node2, node3] = hosts as [SimHost, SimHost, SimHost];
  // Two subnets nobody holds (the hosts above took random ones).
  const held = await subnetKeys(node1);
  const free = Array.from({ length: 90 }, (_, i) => `10.50.${10 + i}.0/24`).filter((s) => !held.has(s));
  const [A = '', B = '', C = ''] = free;

  // Refused before anything runs: outside SubnetMin..SubnetMax, misaligned.
  const outside = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS, '--subnet', '10.50.5.0/24']);
  t.is(outside.code, 2, describe(outside));
  t.regex(outside.stderr, /--subnet 10\.50\.5\.0\/24 is outside SubnetMin\.\.SubnetMax \(10\.50\.10\.0\.\.10\.50\.99\.0\): flannel would delete it/);

  // init --subnet on the init host (it held another subnet: it moves to A for good).
  const init = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS, '--subnet', A]);
  t.is(init.code, 0, describe(init));
  t.regex(init.stdout, new RegExp(`this host's subnet +${esc(A)} \\(fixed`));
  let keys = await subnetKeys(node1);
  t.is(keys.get(A)?.publicIP, node1.address);
  t.not(keys.get(A)?.lease, '0', 'flannel v3 (the stand-in as it) took the reserved key under a lease of its own');
  t.false([...keys].some(([s, k]) => k.publicIP === node1.address && s !== A), "the init host's old lease is gone");
  t.deepEqual((await fixedRecords(node1)).map((r) => `${r.Subnet} ${r.PublicIP}`), [`${A} ${node1.address}`]);

  // A taken subnet is refused before any change: no flannel, no conflist, the token still unused.
  const node3Join = await joinArgsFrom(node1);
  await installCniPlugins([node3]);
  const taken = await runCli(node3, [...node3Join, ...TEST_FLANNEL_FLAGS, '--subnet', A]);
  t.is(taken.code, 8, describe(taken));
  t.regex(taken.stderr, new RegExp(`--subnet ${esc(A)} is the fixed subnet of ${esc(node1.address)} \\(`));
  t.regex(taken.stderr, new RegExp(`subnets release ${esc(node1.address)}`));
  t.deepEqual(await node3.docker.listContainers({ all: true }), [], 'nothing started on node3');
  const misaligned = await runCli(node3, [...node3Join, ...TEST_FLANNEL_FLAGS, '--subnet', A.replace('.0/24', '.7/24')]);
  t.is(misaligned.code, 2, describe(misaligned));
  t.regex(misaligned.stderr, /is not aligned to \/24; did you mean/);

  // join --subnet (node2, flannel stopped by the status test: it joins again with its identity).
  const joined = await runCli(node2, ['join', node1.address, ...TEST_FLANNEL_FLAGS, '--subnet', B]);
  t.is(joined.code, 0, describe(joined));
  t.regex(joined.stdout, new RegExp(`this host's subnet +${esc(B)} \\(fixed`));
  t.is(await envSubnet(node2), B);

  // A flannel restart: it takes B again.
  await node2.docker.getContainer('ignite-flannel').restart({ t: 5 });
  await waitFor('flannel back on B after a restart', async () => ((await subnetKeys(node1)).get(B)?.publicIP === node2.address && (await envSubnet(node2)) === B ? true : undefined));

  // A deleted lease: the key goes, flannel exits ("Lease has been revoked"), comes back and takes B again.
  const revoke = async (): Promise<void> => {
    const lease = (await subnetKeys(node1)).get(B)?.lease ?? '0';
    t.not(lease, '0', `${B} is under a lease`);
    const r = await etcdctl(node1, node1.address, ['lease', 'revoke', lease]);
    t.is(r.code, 0, describe(r));
  };
  await revoke();
  await waitFor('B held by node2 again after its lease was revoked', async () => {
    const key = (await subnetKeys(node1)).get(B);
    return key?.publicIP === node2.address && key.lease !== '0' ? true : undefined;
  });

  // Down past its lease: node2's flannel stopped, its key's lease gone. node3 (which would take B: its
  // subnet.env names it, as a rebuilt host's might) joins meanwhile and does not get it.
  await node2.docker.getContainer('ignite-flannel').stop({ t: 5 });
  await revoke();
  t.false((await subnetKeys(node1)).has(B), 'the key is gone with its lease');
  await writeFile(joinPath(node3.dirs.runDir, 'subnet.env'), `FLANNEL_NETWORK=10.50.0.0/16\nFLANNEL_SUBNET=${B.replace('.0/24', '.1/24')}\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n`);
  const join3 = await runCli(node3, [...node3Join, ...TEST_FLANNEL_FLAGS, ...TEST_CNI_PLUGIN_FLAGS]);
  t.is(join3.code, 0, describe(join3));
  t.regex(join3.stdout + join3.stderr, new RegExp(`re-created the missing key of ${esc(B)}`));
  const subnet3 = await envSubnet(node3);
  t.truthy(subnet3);
  t.not(subnet3, B, "node3 did not get node2's fixed subnet");
  keys = await subnetKeys(node1);
  t.deepEqual(keys.get(B), { publicIP: node2.address, lease: '0' }, 'B is reserved for node2 again (no lease)');

  // node2 comes back: join (no --subnet) gets B.
  const back = await runCli(node2, ['join', node1.address, ...TEST_FLANNEL_FLAGS]);
  t.is(back.code, 0, describe(back));
  t.is(await envSubnet(node2), B);

  // status marks both fixed subnets.
  const status = await runCli(node1, ['status']);
  t.regex(status.stdout, new RegExp(`${esc(A)} +${esc(node1.address)} +udp +fixed, 23h 5\\dm`), describe(status));
  t.regex(status.stdout, new RegExp(`${esc(B)} +${esc(node2.address)} +udp +fixed, 23h 5\\dm`));
  const json = JSON.parse((await runCli(node2, ['status', '--json'])).stdout) as { hosts: { subnet: string; fixed?: boolean }[] };
  t.deepEqual(json.hosts.filter((h) => h.fixed === true).map((h) => h.subnet).sort(), [A, B].sort());
  t.log(`status on ${node1.name} with two fixed subnets:\n${status.stdout}`);

  // cleanup keeps node2's fixed subnet (reserved again, no lease) and says so; a rebuilt node2 gets it back.
  const cleanup = await runCli(node2, ['cleanup', '--yes']);
  t.is(cleanup.code, 0, describe(cleanup));
  t.regex(cleanup.stdout + cleanup.stderr, new RegExp(`fixed subnet ${esc(B)} kept for this host \\(--purge frees it\\)`));
  t.deepEqual((await subnetKeys(node1)).get(B), { publicIP: node2.address, lease: '0' });
  t.true((await fixedRecords(node1)).some((r) => r.Subnet === B));
  const rebuilt = await runCli(node2, [...(await joinArgsFrom(node1)), ...TEST_FLANNEL_FLAGS]);
  t.is(rebuilt.code, 0, describe(rebuilt));
  t.is(await envSubnet(node2), B, 'a rebuilt host gets its fixed subnet back');

  // cleanup --purge frees its key; the record its first identity wrote (the rebuilt host joined with a
  // new one) it may not delete: it says so, and `subnets release` on the init host frees it.
  const purge = await runCli(node2, ['cleanup', '--purge', '--yes']);
  t.is(purge.code, 0, describe(purge));
  t.regex(purge.stdout + purge.stderr, new RegExp(`fixed subnet ${esc(B)} freed \\(--purge\\)`));
  t.regex(purge.stdout + purge.stderr, new RegExp(`fixed subnet ${esc(B)} in etcd \\(record /ignite-net/fixed/ignite-host-[a-z0-9]{6}, written by .*subnets release ${esc(node2.address)}\` on a control-plane host frees it`));
  t.false((await subnetKeys(node1)).has(B));
  const freed = await runCli(node1, ['subnets', 'release', node2.address]);
  t.is(freed.code, 0, describe(freed));
  t.regex(freed.stdout, new RegExp(`${esc(B)} +released \\(${esc(node2.address)}\\): free for any host`));
  t.false((await fixedRecords(node1)).some((r) => r.Subnet === B));

  // subnets reserve|release|list: root only; reserve is checked like --subnet; node3 moves to its reservation.
  const notRoot = await runCli(node3, ['subnets', 'reserve', node3.address, C]);
  t.is(notRoot.code, 2, describe(notRoot));
  t.regex(notRoot.stderr, /subnets reserve needs etcd's root credential/);
  const clash = await runCli(node1, ['subnets', 'reserve', node3.address, A]);
  t.is(clash.code, 8, describe(clash));
  t.regex(clash.stderr, new RegExp(`subnets reserve ${esc(A)} is the fixed subnet of ${esc(node1.address)}`));
  const reserve = await runCli(node1, ['subnets', 'reserve', node3.address, C]);
  t.is(reserve.code, 0, describe(reserve));
  t.deepEqual((await subnetKeys(node1)).get(C), { publicIP: node3.address, lease: '0' });
  const moved = await runCli(node3, ['join', node1.address, ...TEST_FLANNEL_FLAGS]);
  t.is(moved.code, 0, describe(moved));
  t.is(await envSubnet(node3), C, "node3's flannel took the subnet reserved for it");
  t.false([...(await subnetKeys(node1)).entries()].some(([s, k]) => k.publicIP === node3.address && s !== C), 'its old lease is gone');
  const list = await runCli(node3, ['subnets', 'list']);
  t.is(list.code, 0, describe(list));
  t.regex(list.stdout, new RegExp(`${esc(C)} +${esc(node3.address)}, subnets reserve: held by its flannel`));
  t.regex(list.stdout, new RegExp(`${esc(A)} +${esc(node1.address)} \\(`));
  const release = await runCli(node1, ['subnets', 'release', node3.address]);
  t.is(release.code, 0, describe(release));
  t.regex(release.stdout, /its flannel still holds it under its 24 h lease/);
  t.deepEqual((await fixedRecords(node1)).map((r) => r.Subnet), [A]);
  t.is((await subnetKeys(node1)).get(C)?.publicIP, node3.address, 'the running flannel keeps its lease');
  t.log(`subnets list on ${node3.name}:\n${list.stdout}`);
});
