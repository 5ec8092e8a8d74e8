/**
 * Two ignite-net commands changing one host at the same time: one wins, the other stops at once with
 * the conflict exit code and "another ignite-net (pid N) is changing this host" (the lock file under the
 * state dir), and nothing is corrupted: one etcd, one flannel, a valid state file, the lock released.
 */
import test from 'ava';
import { CONTAINER_NAMES } from '../../src/defaults.js';
import { describe, hostsWithTestImages, joinCommandOf, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../_helpers/cli.js';
import { managedContainers, readHostState, startCli, waitHealthy } from '../_helpers/faults.js';
import type { SimHost } from '../_helpers/hosts.js';

const CONFLICT = 8;

async function lockGone(host: SimHost): Promise<boolean> {
  return (await host.exec('test', ['-e', '/var/lib/ignite-net/lock'])).code !== 0;
}

/** Starts two copies of a command at the same moment; checks one won and the other named the winner. */
async function race(t: import('ava').ExecutionContext, host: SimHost, args: string[]): Promise<void> {
  const runs = [startCli(host, args), startCli(host, args)];
  const results = await Promise.all(runs.map((r) => r.exited));
  const output = results.map((r, i) => `--- run ${i} (pid ${runs[i]?.child.pid})\n${describe({ ...r, timedOut: false })}`).join('\n');
  t.deepEqual(results.map((r) => r.code).sort(), [0, CONFLICT], output);
  const winner = results.findIndex((r) => r.code === 0);
  const loser = results[1 - winner];
  t.regex(loser?.stderr ?? '', new RegExp(`another ignite-net \\(pid ${runs[winner]?.child.pid}\\) is changing this host`), output);
  t.regex(loser?.stderr ?? '', /hint: Wait for it to finish/, output);
  t.notRegex(loser?.stderr ?? '', /undone|✔ /, `the loser changed nothing\n${output}`);
}

test.serial('two inits at the same moment on one host: one wins, the other says another ignite-net is running', async (t) => {
  const [host] = (await hostsWithTestImages(t, 1)) as [SimHost];
  await race(t, host, ['init', ...TEST_IMAGE_FLAGS]);
  t.deepEqual((await managedContainers(host)).map((c) => `${c.name}:${c.state}`), [`${CONTAINER_NAMES.etcd}:running`, `${CONTAINER_NAMES.flannel}:running`]);
  const subnet = await waitHealthy(host, host, 'init');
  const state = await readHostState(host);
  t.is(state?.['role'], 'init');
  t.is(state?.['subnet'], subnet);
  t.true(await lockGone(host), 'the lock is released');
});

test.serial('two joins at the same moment on one host: one wins, nothing corrupted', async (t) => {
  const [node1, node2] = (await hostsWithTestImages(t, 2)) as [SimHost, SimHost];
  const init = await startCli(node1, ['init', ...TEST_IMAGE_FLAGS]).exited;
  t.is(init.code, 0, describe({ ...init, timedOut: false }));
  // Both with init's command: the loser stops at the lock, before it could use the token.
  await race(t, node2, [...joinCommandOf(init.stdout), ...TEST_FLANNEL_FLAGS]);
  t.deepEqual((await managedContainers(node2)).map((c) => c.name), [CONTAINER_NAMES.flannel]);
  const subnet = await waitHealthy(node2, node1, 'joined');
  const state = await readHostState(node2);
  t.is(state?.['role'], 'joined');
  t.is(state?.['subnet'], subnet);
  t.true(await lockGone(node2));
});

test.serial('while init holds the lock, init, join and cleanup on that host are refused; then it completes', async (t) => {
  const [host] = (await hostsWithTestImages(t, 1)) as [SimHost];
  // Deterministic overlap: the first init waits before its etcd step, holding the lock.
  const first = startCli(host, ['init', ...TEST_IMAGE_FLAGS], 'etcd');
  await first.paused();
  for (const args of [['init', ...TEST_IMAGE_FLAGS], ['join', '10.231.0.1', ...TEST_FLANNEL_FLAGS], ['cleanup', '--yes']]) {
    const other = await startCli(host, args).exited;
    const output = describe({ ...other, timedOut: false });
    t.is(other.code, CONFLICT, `${args[0]}\n${output}`);
    t.regex(other.stderr, new RegExp(`another ignite-net \\(pid ${first.child.pid}\\) is changing this host`), output);
  }
  t.deepEqual(await managedContainers(host), [], 'the refused commands changed nothing');
  first.child.kill('SIGUSR2');
  const done = await first.exited;
  t.is(done.code, 0, describe({ ...done, timedOut: false }));
  const subnet = await waitHealthy(host, host, 'init');
  t.is((await readHostState(host))?.['subnet'], subnet);
  t.true(await lockGone(host));
});
