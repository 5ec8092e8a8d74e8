import test from 'ava';
import type { Clock } from '../../src/adapters/services.js';
import { IgniteError } from '../../src/core/errors.js';
import { waitFor } from '../../src/steps/wait.js';
import { FakeClock } from '../_helpers/fakes.js';

/** A clock whose sleeps never end by themselves: only an event can move a wait on. */
function stuckClock(): Clock & { sleeps: number } {
  const clock = { now: () => 0, sleeps: 0, sleep: () => ((clock.sleeps += 1), new Promise<void>(() => undefined)) };
  return clock;
}

const onTimeout = (last: string | undefined): IgniteError => new IgniteError('timeout', `timed out: ${last ?? '?'}`);

test('an event ends the sleep: the probe runs again at once, and the source is stopped after', async (t) => {
  const clock = stuckClock();
  let probes = 0;
  let wake: () => void = () => undefined;
  let stopped = 0;
  const waiting = waitFor(async () => (++probes === 2 ? 'ready' : undefined), {
    clock,
    timeoutMs: 10_000,
    intervalMs: 50,
    onTimeout,
    wakeOn: [(w) => ((wake = w), () => void (stopped += 1))],
  });
  await new Promise((resolve) => setImmediate(resolve));
  t.is(clock.sleeps, 1, 'asleep after the first miss');
  t.is(stopped, 0);
  wake();
  t.is(await waiting, 'ready');
  t.is(probes, 2);
  t.is(clock.sleeps, 1, 'no second sleep');
  t.is(stopped, 1);
});

test('an event during a probe skips the next sleep', async (t) => {
  const clock = stuckClock();
  let probes = 0;
  let wake: () => void = () => undefined;
  const value = await waitFor(
    async () => {
      probes += 1;
      if (probes === 1) wake(); // e.g. flannel wrote subnet.env while the probe was reading etcd
      return probes === 2 ? 'ready' : undefined;
    },
    { clock, timeoutMs: 10_000, intervalMs: 50, onTimeout, wakeOn: [(w) => ((wake = w), () => undefined)] },
  );
  t.is(value, 'ready');
  t.is(clock.sleeps, 0);
});

test('without events the fallback poll runs at its interval, and a timeout stops the sources', async (t) => {
  const clock = new FakeClock();
  let stopped = false;
  const error = await t.throwsAsync(
    waitFor(async (reason) => void reason('not yet'), { clock, timeoutMs: 1_000, intervalMs: 50, onTimeout, wakeOn: [() => () => void (stopped = true)] }),
  );
  t.is(error?.message, 'timed out: not yet');
  t.is(clock.slept, 1_000);
  t.true(stopped);
});
