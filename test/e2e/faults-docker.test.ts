/**
 * Faults of the host's Docker Engine the overlay must survive without ignite-net being run again:
 * dockerd restarted (after init, after join) and a simulated reboot (every process killed, runtime
 * links and /run emptied as a tmpfs would be, dockerd started again). etcd and flannel come back by
 * their restart policy, every host keeps its subnet, subnet.env is written again, `status --json` is
 * healthy, and a marker key written into etcd is still there (nothing lost). The overlay is the secure
 * default: etcd comes back with TLS and auth from its volume and files, flannel with its identity.
 */
import test from 'ava';
import { describe, hostsWithTestImages, joinCommandOf, runCli, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../_helpers/cli.js';
import { getMarker, hasOurConflist, installCniPlugins, leases, managedContainers, putMarker, readHostState, waitHealthy, waitStatusHealthy } from '../_helpers/faults.js';
import type { SimHost } from '../_helpers/hosts.js';

const MARKER = '/ignite-net-test/marker';

async function twoHostOverlay(t: import('ava').ExecutionContext): Promise<{ node1: SimHost; node2: SimHost; subnet1: string; subnet2: string }> {
  const [node1, node2] = (await hostsWithTestImages(t, 2)) as [SimHost, SimHost];
  await installCniPlugins([node1, node2]);
  const init = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(init.code, 0, describe(init));
  const join = await runCli(node2, [...joinCommandOf(init.stdout), ...TEST_FLANNEL_FLAGS]);
  t.is(join.code, 0, describe(join));
  const subnet1 = await waitHealthy(node1, node1, 'init');
  const subnet2 = await waitHealthy(node2, node1, 'joined');
  t.not(subnet1, subnet2);
  await putMarker(node1, node1.address, MARKER, 'before the faults');
  return { node1, node2, subnet1, subnet2 };
}

/** Both hosts healthy with their own subnets, one lease each, the marker kept, status healthy. */
async function assertOverlayBack(t: import('ava').ExecutionContext, node1: SimHost, node2: SimHost, subnet1: string, subnet2: string, after: string): Promise<void> {
  t.is(await waitHealthy(node1, node1, 'init'), subnet1, `node1 keeps its subnet after ${after}`);
  t.is(await waitHealthy(node2, node1, 'joined'), subnet2, `node2 keeps its subnet after ${after}`);
  const all = await leases(node1, node1.address);
  t.deepEqual(
    [...all.entries()].sort(),
    [
      [subnet1, node1.address],
      [subnet2, node2.address],
    ].sort(),
    `exactly one lease per host after ${after}`,
  );
  t.is(await getMarker(node1, node1.address, MARKER), 'before the faults', `marker key kept after ${after}`);
  for (const host of [node1, node2]) {
    t.true(await hasOurConflist(host), `${host.name}'s conflist kept after ${after}`);
    t.truthy(await readHostState(host), `${host.name}'s state file kept after ${after}`);
  }
  // Still the secure overlay: status reads etcd over TLS, each host as its own identity.
  const identities = [];
  for (const [host, subnet] of [[node1, subnet1], [node2, subnet2]] as const) {
    const doc = await waitStatusHealthy(host, subnet);
    t.is(doc.security?.tls, true, `${host.name} reaches etcd over TLS after ${after}`);
    identities.push(doc.security?.identity);
  }
  for (const identity of identities) t.regex(identity ?? '', /^ignite-host-[a-z0-9]{6}$/, `each host keeps its own identity after ${after}`);
  t.not(identities[0], identities[1], `two identities after ${after}`);
}

test.serial('dockerd restarted after init and after join: etcd and flannel come back with the same subnets', async (t) => {
  const { node1, node2, subnet1, subnet2 } = await twoHostOverlay(t);
  const before1 = (await managedContainers(node1)).map((c) => c.id);
  const before2 = (await managedContainers(node2)).map((c) => c.id);

  await node1.restartDockerd();
  // The same containers, started again by their restart policy (not recreated).
  t.deepEqual((await managedContainers(node1)).map((c) => c.id), before1);
  await assertOverlayBack(t, node1, node2, subnet1, subnet2, 'dockerd restart on the init host');

  await node2.restartDockerd();
  t.deepEqual((await managedContainers(node2)).map((c) => c.id), before2);
  await assertOverlayBack(t, node1, node2, subnet1, subnet2, 'dockerd restart on the joined host');

  // init and join again: nothing to repair, and etcd's data (the marker) survives the re-run.
  // A joined host's identity lets it join again without a token.
  const init = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(init.code, 0, describe(init));
  t.regex(init.stdout, /already initialised/, describe(init));
  const join = await runCli(node2, ['join', node1.address, ...TEST_FLANNEL_FLAGS]);
  t.is(join.code, 0, describe(join));
  t.regex(join.stdout, /already joined/, describe(join));
  await assertOverlayBack(t, node1, node2, subnet1, subnet2, 'init and join run again');
});

test.serial('a simulated reboot of either host: it comes back with the same subnet, subnet.env written again', async (t) => {
  const { node1, node2, subnet1, subnet2 } = await twoHostOverlay(t);

  await node2.reboot();
  await assertOverlayBack(t, node1, node2, subnet1, subnet2, 'a reboot of the joined host');

  // The init host too: etcd restarts from its volume, flannel on both hosts finds it again.
  await node1.reboot();
  await assertOverlayBack(t, node1, node2, subnet1, subnet2, 'a reboot of the init host');
});
