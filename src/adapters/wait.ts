import { interruptedError, type IgniteError } from '../core/errors.js';

export interface Clock {
  now(): number;
  /** Resolves after ms; rejects with the interrupted error when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface WaitOptions {
  /** The command's clock (ctx.services.clock): a fake one makes a wait instant in tests. */
  clock: Clock;
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /**
   * Event sources (a file watch, …): each gets `wake` and returns its stop function.
   * An event ends the current sleep, so the probe runs when something changed; the interval is then
   * only the fallback for a missed event.
   */
  wakeOn?: readonly ((wake: () => void) => () => void)[];
  /** Builds the error thrown on timeout; gets the last failure reason seen. */
  onTimeout: (lastReason: string | undefined) => Promise<IgniteError> | IgniteError;
}

/**
 * A wait for something an earlier step started (flannel's lease). A dry run started nothing, so its
 * waiter (adapters/dry-run) probes once and, when that misses, records "would wait for <waitingFor>"
 * and returns standIn instead of waiting; the real waiter ignores it.
 */
export interface Unobservable<T> {
  waitingFor: string;
  standIn: T;
}

/** How steps wait (services.waiter): the real one polls with waitFor, a dry run's does not wait. */
export interface Waiter {
  waitFor<T>(probe: (reason: (why: string) => void) => Promise<T | undefined>, options: WaitOptions & { unobservable?: Unobservable<T> }): Promise<T>;
}

export const pollingWaiter: Waiter = { waitFor: (probe, options) => waitFor(probe, options) };

/**
 * Polls until `probe` returns a value (not undefined) or the timeout passes. `probe` may return a
 * reason string via `reason` to explain the last miss in the timeout error.
 */
export async function waitFor<T>(probe: (reason: (why: string) => void) => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const { clock } = options;
  const deadline = clock.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 500;
  let last: string | undefined;
  // An event during a probe is not lost: the next sleep is skipped.
  let woken = false;
  let wakeSleep: (() => void) | undefined;
  const wake = (): void => {
    woken = true;
    wakeSleep?.();
  };
  const stops = (options.wakeOn ?? []).map((source) => source(wake));
  try {
    for (;;) {
      if (options.signal?.aborted) throw interruptedError();
      woken = false;
      let value: T | undefined;
      try {
        value = await probe((why) => {
          last = why;
        });
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      if (value !== undefined) return value;
      if (clock.now() >= deadline) throw await options.onTimeout(last);
      if (woken) continue;
      const sleeping = clock.sleep(Math.min(interval, Math.max(0, deadline - clock.now())), options.signal);
      if (stops.length === 0) {
        await sleeping;
        continue;
      }
      sleeping.catch(() => undefined); // an interrupt is seen at the top of the loop
      await Promise.race([sleeping, new Promise<void>((resolve) => (wakeSleep = resolve))]);
      wakeSleep = undefined;
    }
  } finally {
    for (const stop of stops) stop();
  }
}
