/** The etcd step against fake Docker and etcd: create, keep, recreate, and fail with the log tail. */
import test from 'ava';
import { etcdSpec } from '../../src/adapters/container-specs.js';
import { IgniteError } from '../../src/core/errors.js';
import { CONTAINER_NAMES, ETCD_VOLUME, LABELS } from '../../src/defaults.js';
import { etcdStep } from '../../src/steps/etcd.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

function harness(argv: string[] = []) {
  const host = fakeServices();
  const run = stepHarness(['init', ...argv], { services: host.services });
  run.ctx.docker = host.docker;
  run.ctx.advertise = { address: '192.0.2.10', iface: 'eth0' };
  return { host, ...run };
}

/** The container an earlier init left, exactly as this one would create it. */
function existingEtcd(host: ReturnType<typeof fakeServices>, image: string, state: { running: boolean } = { running: true }) {
  const spec = etcdSpec({ image, advertiseAddress: '192.0.2.10', volume: ETCD_VOLUME, name: CONTAINER_NAMES.etcd });
  return host.docker.add({ name: CONTAINER_NAMES.etcd, image, cmd: spec.Cmd ?? [], binds: spec.HostConfig?.Binds ?? [], labels: { ...spec.Labels }, ...state, state: state.running ? 'running' : 'exited' });
}

test('a fresh host: volume and container created, each with its undo, and etcd answers', async (t) => {
  const { host, ctx, io, undos } = harness();
  const result = await etcdStep.run(ctx, io);
  t.deepEqual(host.docker.calls, [`ensureVolume ${ETCD_VOLUME}`, `createAndStart ${CONTAINER_NAMES.etcd}`]);
  t.deepEqual(undos.map((u) => u.title), [`remove volume ${ETCD_VOLUME}`, `remove container ${CONTAINER_NAMES.etcd}`]);
  t.is(result?.detail, 'http://192.0.2.10:2379');
  t.is(ctx.etcdEndpoint, 'http://192.0.2.10:2379');
  t.deepEqual(host.etcd.opened, [['http://192.0.2.10:2379']]);
  t.false(ctx.unchanged.has('etcd'));
  const [created] = await host.docker.listManaged('etcd');
  t.is(created?.labels[LABELS.role], 'etcd');

  // The undos take back exactly what was made, newest first.
  for (const undo of [...undos].reverse()) await undo.run();
  t.deepEqual(await host.docker.listManaged(), []);
  t.false(await host.docker.volumeExists(ETCD_VOLUME));
});

test('a volume already there is kept and gets no undo', async (t) => {
  const { host, ctx, io, undos } = harness();
  host.docker.volumes.set(ETCD_VOLUME, {});
  await etcdStep.run(ctx, io);
  t.deepEqual(undos.map((u) => u.title), [`remove container ${CONTAINER_NAMES.etcd}`]);
});

test('a healthy container that matches is kept: nothing created or removed, the step is unchanged', async (t) => {
  const { host, ctx, io, undos } = harness();
  const kept = existingEtcd(host, ctx.options.etcdImage);
  const result = await etcdStep.run(ctx, io);
  t.deepEqual(host.docker.calls, []);
  t.deepEqual(undos, []);
  t.true(ctx.unchanged.has('etcd'));
  t.is(result?.detail, 'already running at http://192.0.2.10:2379');
  t.truthy(await host.docker.inspectContainer(kept.id));
});

test('a matching container that does not answer is recreated (data volume kept)', async (t) => {
  const { host, ctx, io, progress } = harness();
  const old = existingEtcd(host, ctx.options.etcdImage);
  host.docker.volumes.set(ETCD_VOLUME, {});
  host.etcd.answering = false;
  host.docker.onStart = () => {
    host.etcd.answering = true;
  };
  await etcdStep.run(ctx, io);
  t.deepEqual(host.docker.calls, [`stopAndRemove ${old.id}`, `createAndStart ${CONTAINER_NAMES.etcd}`]);
  t.true(progress.includes('etcd container runs but does not answer: recreating it (data kept)'));
  t.true(await host.docker.volumeExists(ETCD_VOLUME));
  t.false(ctx.unchanged.has('etcd'));
});

test('a container of another image is replaced', async (t) => {
  const { host, ctx, io } = harness();
  const old = existingEtcd(host, 'quay.io/coreos/etcd:v3.4.0');
  await etcdStep.run(ctx, io);
  t.deepEqual(host.docker.calls.slice(0, 1), [`stopAndRemove ${old.id}`]);
  t.is((await host.docker.inspectContainer(CONTAINER_NAMES.etcd))?.image, ctx.options.etcdImage);
});

test('etcd that never answers: a timeout naming the wait, with the container log tail', async (t) => {
  const { host, ctx, io, undos } = harness(['--timeout', '5s']);
  host.etcd.answering = false;
  host.docker.onStart = (view) => void host.docker.logs.set(view.id, ['line 1', 'panic: bad flag']);
  const error = await t.throwsAsync(etcdStep.run(ctx, io), { instanceOf: IgniteError });
  t.is(error?.kind, 'timeout');
  t.regex(error?.message ?? '', /^etcd did not answer within 5s: /);
  t.deepEqual(error?.details, ['last log lines of ignite-etcd:', 'line 1', 'panic: bad flag']);
  t.deepEqual(undos.map((u) => u.title), [`remove volume ${ETCD_VOLUME}`, `remove container ${CONTAINER_NAMES.etcd}`], 'what was made is declared for the runner to undo');
});

test('a host whose state records several members refuses to start etcd on a missing volume (it would begin a cluster of its own)', async (t) => {
  const { host, ctx, io, undos } = harness();
  ctx.state = { version: 1, role: 'init', etcdEndpoint: 'http://192.0.2.10:2379', advertiseAddress: '192.0.2.10', flannelEndpoints: ['https://192.0.2.10:2379', 'https://192.0.2.11:2379'], images: { flannel: 'f' }, network: ctx.network, paths: { cniConfDir: '/a', cniBinDir: '/b', runDir: '/c' }, movedAside: {}, toolVersion: 'x', createdAt: 'x', updatedAt: 'x' };
  const error = await t.throwsAsync(etcdStep.run(ctx, io), { instanceOf: IgniteError });
  t.is(error?.kind, 'conflict');
  t.regex(error?.message ?? '', /^etcd's data volume ignite-etcd-data is gone, and this host's member \(s1\) is one of several/);
  t.deepEqual(host.docker.calls, []);
  t.deepEqual(undos, []);
  // With its data there it starts as before.
  host.docker.volumes.set(ETCD_VOLUME, {});
  await etcdStep.run(ctx, io);
  t.deepEqual(host.docker.calls, [`createAndStart ${CONTAINER_NAMES.etcd}`], 'the fake counts only changes: the volume was there');
});
