/** The flannel step against fakes: it waits for both halves of the lease (subnet.env and etcd). */
import test from 'ava';
import { flannelSpec } from '../../src/adapters/container-specs.js';
import { IgniteError } from '../../src/core/errors.js';
import { CONTAINER_NAMES } from '../../src/defaults.js';
import { formatSubnetEnv, subnetEnvPath } from '../../src/net/subnet-env.js';
import { flannelStep } from '../../src/steps/flannel.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

const ENDPOINT = 'http://192.0.2.1:2379';

function harness(argv: string[] = []) {
  const host = fakeServices();
  const run = stepHarness(['init', ...argv], { services: host.services });
  run.ctx.docker = host.docker;
  run.ctx.advertise = { address: '192.0.2.10', iface: 'eth0' };
  run.ctx.etcdEndpoint = ENDPOINT;
  run.ctx.store = host.etcd.store(ENDPOINT, { timeoutMs: 1000 });
  const envPath = subnetEnvPath(run.ctx.options.runDir);
  const writeEnv = (subnet: string): void => host.files.put(envPath, formatSubnetEnv({ network: run.ctx.network.Network, subnet, mtu: 1472, ipMasq: true }));
  return { host, envPath, writeEnv, ...run };
}

test('flannel started: the lease is taken once subnet.env and etcd agree; each change has its undo', async (t) => {
  const { host, ctx, io, undos, writeEnv, envPath } = harness();
  host.docker.onStart = () => {
    writeEnv('10.50.31.1/24');
    host.etcd.putLease('10.50.31.0/24', '192.0.2.10');
  };
  const result = await flannelStep.run(ctx, io);
  t.is(ctx.subnet, '10.50.31.0/24');
  t.is(result?.detail, 'lease 10.50.31.0/24');
  t.deepEqual(host.docker.calls, [`createAndStart ${CONTAINER_NAMES.flannel}`]);
  t.deepEqual(undos.map((u) => u.title), [`remove ${envPath}`, 'remove the devices flannel created', 'remove the routes flannel added', `remove container ${CONTAINER_NAMES.flannel}`]);
  const created = await host.docker.inspectContainer(CONTAINER_NAMES.flannel);
  t.true(created?.cmd.includes(`--etcd-endpoints=${ENDPOINT}`));
  t.true(created?.cmd.includes('--public-ip=192.0.2.10'));
});

test('the undo of the devices removes only the devices flannel created', async (t) => {
  const { host, ctx, io, undos, writeEnv } = harness();
  host.network.links = [{ ifname: 'flannel.1' }, { ifname: 'eth0' }];
  host.docker.onStart = () => {
    host.network.links = [...(host.network.links ?? []), { ifname: 'flannel0' }];
    writeEnv('10.50.31.1/24');
    host.etcd.putLease('10.50.31.0/24', '192.0.2.10');
  };
  await flannelStep.run(ctx, io);
  await undos.find((u) => u.title === 'remove the devices flannel created')?.run();
  t.deepEqual(host.network.deletedLinks, ['flannel0']);
});

test('waits on the clock until the lease appears in etcd', async (t) => {
  const { host, ctx, io, writeEnv } = harness();
  host.docker.onStart = () => writeEnv('10.50.31.1/24');
  host.clock.onSleep = () => {
    if (host.clock.slept >= 2_000) host.etcd.putLease('10.50.31.0/24', '192.0.2.10');
  };
  await flannelStep.run(ctx, io);
  t.is(ctx.subnet, '10.50.31.0/24');
  t.is(host.clock.slept, 2_000, 'polled every 50 ms on the services clock (the fakes send no watch events)');
});

test('a lease held by another PublicIP is not ours: a timeout saying so, with the log tail', async (t) => {
  const { host, ctx, io, writeEnv } = harness(['--timeout', '3s']);
  host.docker.onStart = (view) => {
    writeEnv('10.50.31.1/24');
    host.etcd.putLease('10.50.31.0/24', '192.0.2.99');
    host.docker.logs.set(view.id, ['I1202 registered', 'E1202 lease mismatch']);
  };
  const error = await t.throwsAsync(flannelStep.run(ctx, io), { instanceOf: IgniteError });
  t.is(error?.kind, 'timeout');
  t.is(error?.message, 'flannel did not take a lease within 3s: lease 10.50.31.0/24 has PublicIP 192.0.2.99, not 192.0.2.10');
  t.deepEqual(error?.details, ['last log lines of ignite-flannel:', 'I1202 registered', 'E1202 lease mismatch']);
  t.is(host.clock.slept, 3_000, 'gave up at the deadline, not before');
});

test('the log tail in the timeout error is redacted: flanneld\'s etcdPassword field and the state dir\'s password', async (t) => {
  const { host, ctx, io, writeEnv } = harness(['--timeout', '1s']);
  const password = 'Zx9-kP2_qR7vW4mN8sT1uY6a';
  host.files.put(`${ctx.options.stateDir}/flannel-tls/etcd-password`, `${password}\n`);
  host.docker.onStart = (view) => {
    writeEnv('10.50.31.1/24');
    host.docker.logs.set(view.id, [`I1202 CLI flags config: {etcdUsername:ignite-host-abc123 etcdPassword:${password} help:false}`, `E1202 rejected ${password}`]);
  };
  const error = await t.throwsAsync(flannelStep.run(ctx, io), { instanceOf: IgniteError });
  t.deepEqual(error?.details, [
    'last log lines of ignite-flannel:',
    'I1202 CLI flags config: {etcdUsername:ignite-host-abc123 etcdPassword:[redacted] help:false}',
    'E1202 rejected [redacted]',
  ]);
});

test('no subnet.env ever: the timeout names the missing file', async (t) => {
  const { ctx, io, envPath } = harness(['--timeout', '2s']);
  const error = await t.throwsAsync(flannelStep.run(ctx, io), { instanceOf: IgniteError });
  t.is(error?.message, `flannel did not take a lease within 2s: ${envPath} not written yet`);
});

test('a running flannel of the same spec holding its lease is kept', async (t) => {
  const { host, ctx, io, undos, writeEnv } = harness();
  const spec = flannelSpec({ image: ctx.options.flannelImage, etcdEndpoints: ENDPOINT, advertiseAddress: '192.0.2.10', runDir: ctx.options.runDir, name: CONTAINER_NAMES.flannel });
  host.docker.add({ name: CONTAINER_NAMES.flannel, image: ctx.options.flannelImage, cmd: spec.Cmd ?? [], binds: spec.HostConfig?.Binds ?? [], labels: { ...spec.Labels } });
  writeEnv('10.50.31.1/24');
  host.etcd.putLease('10.50.31.0/24', '192.0.2.10');
  const result = await flannelStep.run(ctx, io);
  t.is(result?.detail, 'already running, lease 10.50.31.0/24');
  t.true(ctx.unchanged.has('flannel'));
  t.deepEqual(host.docker.calls, []);
  t.deepEqual(undos, []);
});

test('a running flannel whose lease is of another backend (init --backend … --force) is replaced, and the old backend\'s device goes', async (t) => {
  const { host, ctx, io, writeEnv, progress } = harness(['--backend', 'host-gw']);
  const spec = flannelSpec({ image: ctx.options.flannelImage, etcdEndpoints: ENDPOINT, advertiseAddress: '192.0.2.10', runDir: ctx.options.runDir, name: CONTAINER_NAMES.flannel });
  host.docker.add({ name: CONTAINER_NAMES.flannel, image: ctx.options.flannelImage, cmd: spec.Cmd ?? [], binds: spec.HostConfig?.Binds ?? [], labels: { ...spec.Labels } });
  host.network.links = [{ ifname: 'eth0' }, { ifname: 'flannel.1', linkinfo: { info_kind: 'vxlan' } }];
  writeEnv('10.50.31.1/24');
  host.etcd.putLease('10.50.31.0/24', '192.0.2.10', { backendType: 'vxlan' });
  host.docker.onStart = () => void host.etcd.putLease('10.50.31.0/24', '192.0.2.10', { backendType: 'host-gw' });
  const result = await flannelStep.run(ctx, io);
  t.is(result?.detail, 'lease 10.50.31.0/24');
  t.false(ctx.unchanged.has('flannel'));
  t.true(host.docker.calls.includes(`createAndStart ${CONTAINER_NAMES.flannel}`), host.docker.calls.join(', '));
  t.deepEqual(host.network.deletedLinks, ['flannel.1']);
  t.true(progress.includes(`replacing running ${CONTAINER_NAMES.flannel} (lease 10.50.31.0/24 is flannel's vxlan backend, the network config says host-gw)`), progress.join('\n'));
});

test('a running flannel whose lease was written before the network config (init --vni/--backend-port/--direct-routing … --force) is restarted', async (t) => {
  const { host, ctx, io, writeEnv, progress } = harness(['--backend', 'vxlan', '--backend-port', '4789']);
  const spec = flannelSpec({ image: ctx.options.flannelImage, etcdEndpoints: ENDPOINT, advertiseAddress: '192.0.2.10', runDir: ctx.options.runDir, name: CONTAINER_NAMES.flannel });
  host.docker.add({ name: CONTAINER_NAMES.flannel, image: ctx.options.flannelImage, cmd: spec.Cmd ?? [], binds: spec.HostConfig?.Binds ?? [], labels: { ...spec.Labels } });
  host.network.links = [{ ifname: 'eth0' }, { ifname: 'flannel.1', linkinfo: { info_kind: 'vxlan' } }];
  writeEnv('10.50.31.1/24');
  host.etcd.putLease('10.50.31.0/24', '192.0.2.10', { backendType: 'vxlan' });
  host.etcd.keys.set('/coreos.com/network/config', { value: '{"Network":"10.50.0.0/16","Backend":{"Type":"vxlan","Port":4789}}' }); // the forced config, after the lease
  host.docker.onStart = () => void host.etcd.putLease('10.50.31.0/24', '192.0.2.10', { backendType: 'vxlan' });
  const result = await flannelStep.run(ctx, io);
  t.is(result?.detail, 'lease 10.50.31.0/24');
  t.true(host.docker.calls.includes(`createAndStart ${CONTAINER_NAMES.flannel}`), host.docker.calls.join(', '));
  t.deepEqual(host.network.deletedLinks, [], 'the same backend: its device is flannel.1 still');
  t.true(progress.includes(`replacing running ${CONTAINER_NAMES.flannel} (lease 10.50.31.0/24: flannel started before the network config was last written; the network config says vxlan VNI 1 on 4789/udp)`), progress.join('\n'));
  // Written again after the config: kept the next time.
  const again = await flannelStep.run(ctx, io);
  t.is(again?.detail, 'already running, lease 10.50.31.0/24');
});

test('the undo of the routes removes only the routes flannel added to other hosts\' subnets', async (t) => {
  const { host, ctx, io, undos, writeEnv } = harness();
  host.network.routes.push({ iface: 'eth0', destination: '10.50.40.0/24', gateway: '192.0.2.11' });
  host.docker.onStart = () => {
    host.network.routes.push({ iface: 'eth0', destination: '10.50.41.0/24', gateway: '192.0.2.12' });
    writeEnv('10.50.31.1/24');
    host.etcd.putLease('10.50.31.0/24', '192.0.2.10');
  };
  await flannelStep.run(ctx, io);
  await undos.find((u) => u.title === 'remove the routes flannel added')?.run();
  t.deepEqual(host.network.deletedRoutes, ['10.50.41.0/24 via 192.0.2.12 dev eth0']);
});

test('a subnet.env left by the previous flannel does not count: a fixed subnet\'s lease-less key matches it before the new flannel has taken it', async (t) => {
  const { host, ctx, io, writeEnv } = harness();
  // The previous flannel's file, and the reservation init's fixed-subnet step re-created for this host.
  writeEnv('10.50.31.1/24');
  host.etcd.putLease('10.50.31.0/24', '192.0.2.10', { reserved: true });
  await host.clock.sleep(60_000);
  host.clock.onSleep = () => {
    if (host.clock.slept >= 60_000 + 1_000 && !host.etcd.leases().some((l) => !l.reserved)) {
      host.etcd.putLease('10.50.31.0/24', '192.0.2.10');
      writeEnv('10.50.31.1/24');
    }
  };
  await flannelStep.run(ctx, io);
  t.is(ctx.subnet, '10.50.31.0/24');
  t.true(host.clock.slept >= 61_000, `it waited for this flannel's own subnet.env (slept ${host.clock.slept} ms)`);
});
