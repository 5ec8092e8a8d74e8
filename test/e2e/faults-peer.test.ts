/**
 * The peer's etcd unreachable when join starts, or going away in the middle of a join: a clear error
 * after the timeout, and the joining host left as it was (its flannel container and subnet.env removed
 * by the runner's undo, no conflist, no state file). Once the peer is back, join completes.
 * "Going away" is node1 taken off the test segment (its switch port down) while node2's join is paused
 * before a step with the IGNITE_NET_TEST_PAUSE_AT hook, then continued with SIGUSR2.
 */
import test from 'ava';
import { readdir } from 'node:fs/promises';
import { describe, hostsWithTestImages, joinArgsFrom, joinCommandOf, runCli, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../_helpers/cli.js';
import { escapeRegex, flannelLinks, managedContainers, readHostState, readSubnetEnv, startCli, waitHealthy } from '../_helpers/faults.js';
import type { SimHost } from '../_helpers/hosts.js';

/** A secure init host and a fresh host, with the join command init printed (argv after `ignite-net`). */
async function initialised(t: import('ava').ExecutionContext): Promise<[SimHost, SimHost, string[]]> {
  const [node1, node2] = (await hostsWithTestImages(t, 2)) as [SimHost, SimHost];
  const init = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(init.code, 0, describe(init));
  await waitHealthy(node1, node1, 'init');
  return [node1, node2, joinCommandOf(init.stdout)];
}

async function assertUnchanged(t: import('ava').ExecutionContext, host: SimHost, context: string): Promise<void> {
  t.deepEqual(await managedContainers(host), [], `no ignite-net containers\n${context}`);
  t.deepEqual(await readdir(host.dirs.cniConfDir), [], `CNI conf dir untouched\n${context}`);
  t.is(await readSubnetEnv(host), undefined, `no subnet.env\n${context}`);
  t.is(await readHostState(host), undefined, `no state file\n${context}`);
  t.deepEqual(await flannelLinks(host), [], `no flannel device\n${context}`);
}

/** Once the peer is back, join completes: with `joinArgs`, or a fresh token when none is given. */
async function joinAgain(t: import('ava').ExecutionContext, node1: SimHost, node2: SimHost, joinArgs?: string[]): Promise<void> {
  await node1.reconnect();
  const again = await runCli(node2, [...(joinArgs ?? (await joinArgsFrom(node1))), ...TEST_FLANNEL_FLAGS]);
  t.is(again.code, 0, describe(again));
  await waitHealthy(node2, node1, 'joined');
}

test.serial('join with the peer unreachable: a clear error within the timeout, the host unchanged', async (t) => {
  const [node1, node2, joinArgs] = await initialised(t);
  await node1.disconnect();
  const started = Date.now();
  const result = await startCli(node2, [...joinArgs, ...TEST_FLANNEL_FLAGS], undefined, '5s').exited;
  const took = Date.now() - started;
  const output = describe({ ...result, timedOut: false });
  t.is(result.code, 6, output);
  t.regex(result.stderr, new RegExp(`error: cannot reach etcd at ${escapeRegex(node1.address)}:2379/tcp`), output);
  t.regex(result.stderr, /hint: .*2379\/tcp/, output);
  t.true(took < 15_000, `gave up within the timeout (took ${took} ms)`);
  await assertUnchanged(t, node2, output);
  // The join never reached etcd: its token is still good.
  await joinAgain(t, node1, node2, joinArgs);
});

for (const stepId of ['flannel', 'verify']) {
  test.serial(`the peer goes away before join step "${stepId}": a clear error after the timeout, the host unchanged`, async (t) => {
    const [node1, node2, joinArgs] = await initialised(t);
    const run = startCli(node2, [...joinArgs, ...TEST_FLANNEL_FLAGS], stepId, '6s');
    await run.paused();
    await node1.disconnect();
    const started = Date.now();
    run.child.kill('SIGUSR2');
    const result = await run.exited;
    const took = Date.now() - started;
    const output = describe({ ...result, timedOut: false });
    t.true(result.code === 7 || result.code === 6 || result.code === 5, `a timeout, peer or etcd error\n${output}`);
    t.regex(result.stderr, new RegExp(`✖ ${stepId} `), `the ${stepId} step fails\n${output}`);
    t.regex(result.stderr, stepId === 'flannel' ? /error: flannel did not take a lease within 6s/ : /error: (etcd at \S+ is not answering over the v3 API|cannot reach .* through the overlay)/, output);
    t.regex(result.stderr, /hint: /, output);
    t.notRegex(result.stderr, /unexpected error/, output);
    // Everything on this host is undone; only what the join changed in the peer's etcd (the token it
    // took, with its join record) cannot be given back while the peer is away, and join says so and what to do.
    const undoFailed = result.stderr.split('\n').filter((line) => /undo failed/.test(line));
    t.is(undoFailed.length, 1, output);
    t.regex(undoFailed.join('\n'), /undo failed +give the token [a-z0-9]{6}\.… back \(unused\): etcd at https:\/\/\S+ is not answering.*; the token may stay used up: if the same join command is refused as used, run `sudo ignite-net token create` on \S+ for another$/, output);
    t.regex(result.stderr, /left in place:\n +- give the token [a-z0-9]{6}\.… back \(unused\)\n/, output);
    t.regex(result.stderr, /undone\s+remove container ignite-flannel/, output);
    t.regex(result.stderr, /undone\s+remove \/var\/lib\/ignite-net\/flannel-tls\n/, output);
    t.true(took < 30_000, `gave up soon after the 6s timeout (took ${took} ms)`);
    await assertUnchanged(t, node2, output);
    // The give-back timed out, but the kernel may still deliver it once the peer is back: the same
    // command then joins; else it is refused as used, and a new token joins.
    await node1.reconnect();
    const same = await runCli(node2, [...joinArgs, ...TEST_FLANNEL_FLAGS]);
    if (same.code === 0) {
      await waitHealthy(node2, node1, 'joined');
      return;
    }
    t.is(same.code, 9, describe(same));
    t.regex(same.stderr, /has expired or was already used by another host/, describe(same));
    await joinAgain(t, node1, node2);
  });
}
