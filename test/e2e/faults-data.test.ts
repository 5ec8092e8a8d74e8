/**
 * Nothing lost: the overlay's etcd data (a marker key written beside flannel's keys) survives init
 * re-runs, a flannel restart, a dockerd restart, and cleanup without --purge followed by init. Only
 * `cleanup --purge` removes it — which also shows the marker check can fail. The overlay is the secure
 * default: the marker is read as root over TLS, so cleanup without --purge must keep what opens the data.
 */
import test from 'ava';
import { CONTAINER_NAMES, ETCD_VOLUME } from '../../src/defaults.js';
import { describe, hostsWithTestImages, runCli, TEST_IMAGE_FLAGS } from '../_helpers/cli.js';
import { eventually, getMarker, managedContainers, putMarker, waitHealthy } from '../_helpers/faults.js';
import type { SimHost } from '../_helpers/hosts.js';

const MARKER = '/ignite-net-test/marker';

test.serial('a marker key in etcd survives init again, flannel and dockerd restarts, cleanup without --purge', async (t) => {
  const host = (await hostsWithTestImages(t, 1))[0] as SimHost;
  const init = async (): Promise<void> => {
    const r = await runCli(host, ['init', ...TEST_IMAGE_FLAGS]);
    t.is(r.code, 0, describe(r));
  };
  const marker = (): Promise<string | undefined> => eventually('etcd answers', async () => ({ value: await getMarker(host, host.address, MARKER) }), 30_000).then((r) => r.value);

  await init();
  const subnet = await waitHealthy(host, host, 'init');
  await putMarker(host, host.address, MARKER, 'kept');

  await init();
  t.is(await marker(), 'kept', 'after init again');

  const flannel = (await managedContainers(host)).find((c) => c.name === CONTAINER_NAMES.flannel);
  if (!flannel) throw new Error('no flannel container');
  // The process dies (a crash); Docker's restart policy brings it back.
  process.kill((await host.docker.getContainer(flannel.id).inspect()).State.Pid, 'SIGKILL');
  await eventually('flannel restarted', async () => {
    const now = (await managedContainers(host)).find((c) => c.name === CONTAINER_NAMES.flannel);
    return now && now.restartCount > flannel.restartCount && now.state === 'running' ? true : undefined;
  });
  t.is(await waitHealthy(host, host, 'init'), subnet);
  t.is(await marker(), 'kept', 'after a flannel restart');

  await host.restartDockerd();
  t.is(await waitHealthy(host, host, 'init'), subnet);
  t.is(await marker(), 'kept', 'after a dockerd restart');

  const clean = await runCli(host, ['cleanup', '--yes']);
  t.is(clean.code, 0, describe(clean));
  t.deepEqual(await managedContainers(host), []);
  t.truthy(await host.docker.getVolume(ETCD_VOLUME).inspect(), 'the data volume is kept without --purge');
  await init();
  await waitHealthy(host, host, 'init');
  t.is(await marker(), 'kept', 'after cleanup without --purge and init');

  const purge = await runCli(host, ['cleanup', '--yes', '--purge']);
  t.is(purge.code, 0, describe(purge));
  await init();
  await waitHealthy(host, host, 'init');
  t.is(await marker(), undefined, 'cleanup --purge removed the data');
});
