/** cleanup's steps against fakes: only what ignite-net made goes, only this host's lease is released. */
import test from 'ava';
import { join } from 'node:path';
import type { HostState } from '../../src/adapters/state.js';
import { loadTemplate } from '../../src/adapters/templates.js';
import { renderConflist } from '../../src/cni/conflist.js';
import { IgniteError, toErrorView } from '../../src/core/errors.js';
import type { StepIO } from '../../src/core/step.js';
import { CONTAINER_NAMES, ETCD_KEYS, LABELS } from '../../src/defaults.js';
import { formatSubnetEnv, subnetEnvPath } from '../../src/net/subnet-env.js';
import { hostRecordKey } from '../../src/pki/etcd-roles.js';
import { pkiLayout } from '../../src/pki/layout.js';
import { cniPaths } from '../../src/steps/cni.js';
import {
  confirmStep,
  releaseLeaseStep,
  removeCniStateStep,
  removeCniStep,
  removeDevicesStep,
  removeEtcdStep,
  removeIptablesStep,
  removeRunStateStep,
  startContainerLookup,
  stopFlannelStep,
  volumeStep,
} from '../../src/steps/cleanup.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

const labels = (role: string) => ({ [LABELS.managed]: 'true', [LABELS.role]: role });

function harness(argv: string[] = []) {
  const host = fakeServices();
  return { host, ...stepHarness(['cleanup', '--yes', ...argv], { services: host.services }) };
}

function joinedState(over: Partial<HostState> = {}): HostState {
  return {
    version: 1,
    role: 'joined',
    etcdEndpoint: 'http://192.0.2.1:2379',
    advertiseAddress: '192.0.2.10',
    peer: '192.0.2.1',
    subnet: '10.50.31.0/24',
    images: { flannel: 'flannel:test' },
    network: { Network: '10.50.0.0/16', SubnetLen: 24, SubnetMin: '10.50.1.0', SubnetMax: '10.50.254.0', Backend: { Type: 'udp', Port: 8285 } },
    paths: { cniConfDir: '/etc/cni/net.d', cniBinDir: '/opt/cni/bin', runDir: '/run/flannel' },
    movedAside: {},
    toolVersion: 'test',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  } as HostState;
}

test('the flannel step removes the labelled flannel only, and learns its etcd and public IP', async (t) => {
  const { host, ctx, io } = harness();
  const flannel = host.docker.add({ name: CONTAINER_NAMES.flannel, labels: labels('flannel'), cmd: ['--ip-masq', '--etcd-endpoints=http://192.0.2.1:2379,http://192.0.2.5:2379', '--public-ip=192.0.2.10'] });
  const etcd = host.docker.add({ name: CONTAINER_NAMES.etcd, labels: labels('etcd') });
  const foreign = host.docker.add({ name: 'ignite-flannel-old', labels: {} });
  await stopFlannelStep.run(ctx, io);
  t.deepEqual(host.docker.calls, [`stopAndRemove ${flannel.id}`]);
  t.deepEqual(ctx.removed, [`container ${CONTAINER_NAMES.flannel}`]);
  t.like(ctx.cleanup, { flannelEtcdEndpoint: 'http://192.0.2.1:2379', flannelPublicIP: '192.0.2.10', hadEtcdContainer: true });

  await removeEtcdStep.run(ctx, io);
  t.deepEqual(host.docker.calls.slice(1), [`stopAndRemove ${etcd.id}`], 'etcd (labelled) goes next');
  t.truthy(await host.docker.inspectContainer(foreign.id), 'the unlabelled container stays');
});

test('Docker not reachable: one warning and one line left, however many steps need it', async (t) => {
  const { host, ctx, io, warnings } = harness();
  host.dockerProblem = new IgniteError('docker', 'Docker Engine is not reachable at unix:///fake (no such socket)');
  t.is((await stopFlannelStep.run(ctx, io))?.detail, 'Docker not reachable; skipped');
  t.is((await removeEtcdStep.run(ctx, io))?.detail, 'Docker not reachable; skipped');
  t.is(warnings.length, 1);
  t.regex(warnings[0]?.message ?? '', /^Docker Engine is not reachable .*: containers were not checked$/);
  t.is(ctx.left.length, 1);
});

test("the member check's early Docker reads serve the flannel step; a flannel gone since then is not reported removed", async (t) => {
  const { host, ctx, io } = harness();
  const flannel = host.docker.add({ name: CONTAINER_NAMES.flannel, labels: labels('flannel'), cmd: ['--public-ip=192.0.2.10'] });
  host.docker.add({ name: CONTAINER_NAMES.etcd, labels: labels('etcd') });
  startContainerLookup(ctx);
  await ctx.cleanup.containers;
  // Someone removes it between the listing and the stop.
  await host.docker.stopAndRemove(flannel.id);
  host.docker.calls.length = 0;
  const result = await stopFlannelStep.run(ctx, io);
  t.deepEqual(host.docker.calls, [`stopAndRemove ${flannel.id}`], 'the listing made before is the one used');
  t.deepEqual(ctx.removed, []);
  t.is(result?.detail, 'no flannel container');
  t.like(ctx.cleanup, { flannelPublicIP: '192.0.2.10', hadEtcdContainer: true });
  t.is(ctx.cleanup.containers, undefined, 'used once');
});

test('Docker not reachable at the early reads: warned by the flannel step, as without them', async (t) => {
  const { host, ctx, io, warnings } = harness();
  host.dockerProblem = new IgniteError('docker', 'Docker Engine is not reachable at unix:///fake (no such socket)');
  startContainerLookup(ctx);
  t.is(warnings.length, 0);
  t.is((await stopFlannelStep.run(ctx, io))?.detail, 'Docker not reachable; skipped');
  t.is(warnings.length, 1);
});

test("the lease step releases this host's lease only, in the etcd the state file names", async (t) => {
  const { host, ctx, io, warnings } = harness();
  ctx.state = joinedState();
  const mine = host.etcd.putLease('10.50.31.0/24', '192.0.2.10');
  const other = host.etcd.putLease('10.50.32.0/24', '192.0.2.11');
  const result = await releaseLeaseStep.run(ctx, io);
  t.deepEqual(host.etcd.opened, [['http://192.0.2.1:2379']]);
  t.deepEqual(host.etcd.deleted, [mine]);
  t.true(host.etcd.keys.has(other));
  t.is(result?.detail, 'released 10.50.31.0/24');
  t.deepEqual(ctx.removed, ['lease 10.50.31.0/24 in etcd at http://192.0.2.1:2379']);
  t.deepEqual(warnings, []);
});

test("on a secure overlay this host's record of its flannel's endpoints goes with its lease; one its identity may not delete is said to stay", async (t) => {
  const { host, ctx, io } = harness();
  ctx.state = joinedState({ etcdEndpoint: 'https://192.0.2.1:2379' });
  const layout = pkiLayout(ctx.options.stateDir);
  host.files.put(layout.flannelTls.ca, 'CA PEM');
  host.files.put(layout.flannelTls.username, 'ignite-host-abc123\n');
  host.files.put(layout.flannelTls.password, 'secret');
  host.etcd.putLease('10.50.31.0/24', '192.0.2.10');
  const mine = hostRecordKey('ignite-host-abc123');
  const other = hostRecordKey('ignite-host-def456');
  host.etcd.keys.set(mine, { value: '{"address":"192.0.2.10"}' });
  host.etcd.keys.set(other, { value: '{"address":"192.0.2.11"}' });
  const result = await releaseLeaseStep.run(ctx, io);
  t.is(result?.detail, "released 10.50.31.0/24; this host's record removed");
  t.false(host.etcd.keys.has(mine));
  t.true(host.etcd.keys.has(other), "another host's record stays");
  t.true(ctx.removed.includes(`this host's record ${mine} in etcd`));

  const old = harness();
  old.ctx.state = ctx.state;
  for (const [path, text] of [[layout.flannelTls.ca, 'CA PEM'], [layout.flannelTls.username, 'ignite-host-abc123\n'], [layout.flannelTls.password, 'secret']] as const) old.host.files.put(path, text);
  old.host.etcd.putLease('10.50.31.0/24', '192.0.2.10');
  old.host.etcd.keys.set(mine, { value: '{}' });
  old.host.etcd.denied.add(mine);
  t.is((await releaseLeaseStep.run(old.ctx, old.io))?.detail, 'released 10.50.31.0/24', 'the lease is released all the same');
  t.true(old.host.etcd.keys.has(mine));
  t.regex(old.ctx.left.join('\n'), /record \/ignite-net\/hosts\/ignite-host-abc123 in etcd \(its identity predates per-host roles\): `ignite-net hosts revoke/);
});

test('a reservation of this host is kept and said to be kept', async (t) => {
  const { host, ctx, io, warnings } = harness();
  ctx.state = joinedState();
  const key = host.etcd.putLease('10.50.31.0/24', '192.0.2.10', { reserved: true });
  await releaseLeaseStep.run(ctx, io);
  t.true(host.etcd.keys.has(key));
  t.deepEqual(warnings.map((w) => w.message), ['kept the lease 10.50.31.0/24: a reservation (no TTL): kept for this host on purpose']);
  t.deepEqual(ctx.left, [`reservation 10.50.31.0/24 in etcd (no TTL, kept on purpose): delete ${ETCD_KEYS.subnets}10.50.31.0-24 to free it`]);
});

test('etcd not reachable from a joined host: a warning with the latest expiry, from the clock and subnet.env', async (t) => {
  const { host, ctx, io, warnings } = harness();
  ctx.state = joinedState();
  host.etcd.answering = false;
  host.files.put(subnetEnvPath(ctx.options.runDir), formatSubnetEnv({ network: '10.50.0.0/16', subnet: '10.50.31.1/24', mtu: 1472, ipMasq: true }));
  const result = await releaseLeaseStep.run(ctx, io);
  // subnet.env written at the fake clock's now (2026-01-01 00:00 UTC): the lease runs out 24 h later.
  t.is(result?.detail, 'etcd not reachable; the lease 10.50.31.0/24 expires by itself by 2026-01-02 00:00 UTC');
  t.is(warnings.length, 1);
  t.regex(warnings[0]?.hint ?? '', /etcdctl del \/coreos\.com\/network\/subnets\/10\.50\.31\.0-24$/);
  t.is(ctx.left.length, 1);
  t.deepEqual(host.etcd.deleted, []);
});

test('no state file and no flannel container: etcd is not asked', async (t) => {
  const { host, ctx, io } = harness();
  const result = await releaseLeaseStep.run(ctx, io);
  t.is(result?.detail, 'no etcd known (no state file, no flannel container): nothing to release');
  t.deepEqual(host.etcd.opened, []);
});

test('a conflist ignite-net did not write is left, and said to be', async (t) => {
  const { host, ctx, io, warnings } = harness();
  const paths = cniPaths(ctx.options.cniConfDir);
  host.files.put(paths.ours, '{ "name": "someone-else", "plugins": [ { "type": "bridge" } ] }');
  await removeCniStep.run(ctx, io);
  t.truthy(host.files.read(paths.ours));
  t.deepEqual(warnings.map((w) => w.message), [`${paths.ours} was not written by ignite-net; left in place`]);
});

test('the file steps remove our conflist and subnet.env, restore what was moved aside, keep a foreign conflist', async (t) => {
  const { host, ctx, io, warnings } = harness();
  const paths = cniPaths(ctx.options.cniConfDir);
  const envPath = subnetEnvPath(ctx.options.runDir);
  host.files.put(paths.ours, renderConflist(await loadTemplate(), {}));
  host.files.put(paths.movedAside, 'ignite');
  host.files.put(envPath, 'FLANNEL_SUBNET=10.50.31.1/24\n');
  await removeCniStep.run(ctx, io);
  await removeRunStateStep.run(ctx, io);
  t.is(host.files.read(paths.ours), undefined);
  t.true(ctx.removed.includes(paths.ours));
  t.deepEqual(warnings, []);
  t.is(host.files.read(paths.ignite), 'ignite');
  t.is(host.files.read(paths.movedAside), undefined);
  t.is(host.files.read(envPath), undefined);
  t.true(ctx.removed.includes(envPath));
});

test("CNI state: our network's IPAM and cached results go, other networks' stay", async (t) => {
  const { host, ctx, io } = harness();
  const dir = ctx.options.cniStateDir;
  host.files.put(join(dir, 'networks', 'cbr0', '10.50.31.2'), 'vm1');
  host.files.put(join(dir, 'networks', 'other', '10.9.0.2'), 'x');
  host.files.put(join(dir, 'results', 'cbr0-abc-eth0'), JSON.stringify({ networkName: 'cbr0' }));
  host.files.put(join(dir, 'results', 'other-abc-eth0'), JSON.stringify({ networkName: 'other' }));
  await removeCniStateStep.run(ctx, io);
  t.is(host.files.read(join(dir, 'networks', 'cbr0', '10.50.31.2')), undefined);
  t.is(host.files.read(join(dir, 'networks', 'other', '10.9.0.2')), 'x');
  t.is(host.files.read(join(dir, 'results', 'cbr0-abc-eth0')), undefined);
  t.truthy(host.files.read(join(dir, 'results', 'other-abc-eth0')));
});

test("flannel's devices and iptables chains go; nothing else is touched", async (t) => {
  const { host, ctx, io } = harness();
  host.network.links = [{ ifname: 'eth0' }, { ifname: 'flannel0', linkinfo: { info_kind: 'tun' } }];
  host.network.tables.set('iptables nat', '-P POSTROUTING ACCEPT\n-N FLANNEL-POSTRTG\n-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG\n-A FLANNEL-POSTRTG -j RETURN\n');
  host.network.tables.set('iptables filter', '-P FORWARD DROP\n-A FORWARD -j DOCKER-USER\n');
  await removeDevicesStep.run(ctx, io);
  await removeIptablesStep.run(ctx, io);
  t.deepEqual(host.network.deletedLinks, ['flannel0']);
  t.true(host.network.iptablesCalls.length > 0);
  t.true(host.network.iptablesCalls.every((c) => c.startsWith('iptables -t nat ') && /FLANNEL-POSTRTG/.test(c)), host.network.iptablesCalls.join('\n'));
  t.true(ctx.removed.includes('device flannel0 (flannel\'s tun)'));
});

test('the etcd volume stays without --purge and goes with it', async (t) => {
  for (const purge of [false, true]) {
    const { host, ctx, io } = harness(purge ? ['--purge'] : []);
    ctx.docker = host.docker;
    host.docker.volumes.set('ignite-etcd-data', {});
    await volumeStep.run(ctx, io);
    t.is(await host.docker.volumeExists('ignite-etcd-data'), !purge);
  }
});

test('answering no at the confirmation cancels: exit 130, marked cancelled (not a failure), nothing asked of the host', async (t) => {
  const { ctx, io } = stepHarness(['cleanup'], { forbidChanges: true, services: fakeServices().services });
  const no: StepIO = { ...io, prompter: { ...io.prompter, interactive: true, confirm: async () => false } };
  const error = await t.throwsAsync(confirmStep.run(ctx, no), { instanceOf: IgniteError });
  t.is(error?.exitCode, 130);
  t.true(error?.cancelled);
  t.is(toErrorView(error).cancelled, true);
});

test("host-gw: cleanup removes flannel's routes to the other hosts' subnets and nothing else", async (t) => {
  const { host, ctx, io } = harness();
  ctx.state = joinedState();
  host.network.links = [{ ifname: 'eth0' }];
  host.network.routes = [
    { iface: 'eth0', destination: '0.0.0.0/0', gateway: '192.0.2.1' },
    { iface: 'eth0', destination: '192.0.2.0/24' },
    { iface: 'eth0', destination: '10.50.40.0/24', gateway: '192.0.2.11' },
    { iface: 'eth0', destination: '10.50.41.0/24', gateway: '192.0.2.12' },
    // not flannel's: outside the overlay, the whole overlay, a longer prefix, no gateway
    { iface: 'eth0', destination: '10.60.40.0/24', gateway: '192.0.2.11' },
    { iface: 'eth0', destination: '10.50.0.0/16', gateway: '192.0.2.11' },
    { iface: 'eth0', destination: '10.50.42.128/25', gateway: '192.0.2.11' },
    { iface: 'cni0', destination: '10.50.31.0/24' },
  ];
  const result = await removeDevicesStep.run(ctx, io);
  t.deepEqual(host.network.deletedRoutes, ['10.50.40.0/24 via 192.0.2.11 dev eth0', '10.50.41.0/24 via 192.0.2.12 dev eth0']);
  t.is(host.network.routes.length, 6);
  t.is(result?.detail, '2 routes via other hosts');
  t.true(ctx.removed.includes("route 10.50.40.0/24 via 192.0.2.11 dev eth0 (flannel's, to another host's subnet)"));
});
