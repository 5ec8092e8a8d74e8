import { formatDuration } from './duration.js';
import { interruptedError, interruptedLeavingError, isPlainInterrupt, toErrorView } from './errors.js';
import type { Emit } from './events.js';
import type { Prompter } from './prompt.js';
import type { Step, StepIO, Undo } from './step.js';

export interface RunOptions {
  emit: Emit;
  prompter: Prompter;
  signal: AbortSignal;
  /** Leave completed steps' changes in place when a later step fails or the run is interrupted. */
  keepOnFailure?: boolean;
  /** How long an interrupted step may take to stop by itself (default ABORT_GRACE_MS). */
  abortGraceMs?: number;
  now?: () => number;
  /**
   * A dry run's: the reason to skip a step that checks what an earlier step would have started
   * (Step.observes) or that only confirms the changes (Step.confirmsChanges), or undefined to run it.
   */
  dryRunSkip?: (step: Pick<Step<unknown>, 'observes' | 'confirmsChanges'>) => string | undefined;
  /**
   * Test hook, inert unless given (commands/command.ts sets it from IGNITE_NET_TEST_PAUSE_AT): before
   * the step with this id (before its skip check), or with afterChange inside it right after the
   * change it declared as that one (1 = its first io.changed), emit `message` as a warning and wait
   * until `resumed` settles or the run is interrupted, so a test can deliver Ctrl-C at a chosen point.
   */
  pauseBefore?: { stepId: string; afterChange?: number; resumed: Promise<void>; message: string };
}

export interface RunOutcome {
  ok: boolean;
  error?: unknown;
  /** Undos not run (keep-on-failure) or that failed: what stays on the host. */
  leftInPlace: string[];
}

/** How long an interrupted step gets to notice the abort and stop by itself before it is abandoned. */
export const ABORT_GRACE_MS = 5_000;

/**
 * Waits for the step; once the signal aborts, waits at most graceMs more (steps watch the
 * signal and stop at their next poll), then gives up so Ctrl-C is never ignored.
 */
function settleOrAbandon<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<{ value: T } | { abandoned: true }> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      timer = setTimeout(() => resolve({ abandoned: true }), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      signal.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    };
    work.then(
      (value) => {
        done();
        resolve({ value });
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}

/** The test hook's wait: until resumed or aborted, whichever comes first. */
async function pauseUntil(pause: NonNullable<RunOptions['pauseBefore']>, signal: AbortSignal, emit: Emit): Promise<void> {
  emit({ type: 'warning', message: pause.message });
  if (signal.aborted) return;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  // Signal listeners do not keep Node's event loop alive; this timer does while paused.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    await Promise.race([pause.resumed, aborted]);
  } finally {
    clearInterval(keepAlive);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Runs steps in order and reports each as events. On failure or interrupt it undoes every change the
 * steps declared (completed steps and the failing one's, newest first), each exactly once, unless
 * keepOnFailure.
 */
export async function runSteps<C>(steps: Step<C>[], ctx: C, options: RunOptions): Promise<RunOutcome> {
  const { emit, signal } = options;
  const now = options.now ?? Date.now;
  const graceMs = options.abortGraceMs ?? ABORT_GRACE_MS;
  const undos: Undo[] = [];

  for (const step of steps) {
    const pause = options.pauseBefore?.stepId === step.id ? options.pauseBefore : undefined;
    if (pause && pause.afterChange === undefined) await pauseUntil(pause, signal, emit);
    if (signal.aborted) return finish(interruptedError());
    const reason = options.dryRunSkip?.(step) ?? (await step.skip?.(ctx));
    if (reason !== undefined) {
      emit({ type: 'step-skip', id: step.id, title: step.title, reason });
      continue;
    }
    emit({ type: 'step-start', id: step.id, title: step.title });
    const started = now();
    let changes = 0;
    const io: StepIO = {
      progress: (message, pull) => emit({ type: 'step-progress', id: step.id, message, ...(pull ? { pull } : {}) }),
      warn: (message, hint) => emit({ type: 'warning', stepId: step.id, message, ...(hint ? { hint } : {}) }),
      check: (check) => emit({ type: 'check', stepId: step.id, check }),
      prompter: options.prompter,
      signal,
      changed: (undo) => {
        undos.push(undo);
        changes += 1;
        const count = changes;
        const settled = (async () => {
          if (pause?.afterChange === count) await pauseUntil(pause, signal, emit);
          if (signal.aborted) throw interruptedError();
        })();
        settled.catch(() => undefined); // not awaited by the step: no unhandled rejection
        return settled;
      },
    };
    try {
      const settled = await settleOrAbandon(step.run(ctx, io), signal, graceMs);
      if ('abandoned' in settled) {
        emit({ type: 'step-fail', id: step.id, title: step.title, durationMs: now() - started, error: toErrorView(interruptedError()) });
        return finish(interruptedError(), [`whatever "${step.title}" had begun (it did not stop within ${formatDuration(graceMs)})`]);
      }
      const result = settled.value;
      if (signal.aborted) throw interruptedError();
      if (result?.undo) undos.push(result.undo);
      if (result?.keep) undos.length = 0;
      emit({
        type: 'step-success',
        id: step.id,
        title: step.title,
        durationMs: now() - started,
        ...(result?.detail ? { detail: result.detail } : {}),
      });
    } catch (caught) {
      // A step that fails because of Ctrl-C reports the interrupt, whatever error its I/O raised.
      const error = signal.aborted ? interruptedError() : caught;
      emit({ type: 'step-fail', id: step.id, title: step.title, durationMs: now() - started, error: toErrorView(error) });
      return finish(error);
    }
  }
  return { ok: true, leftInPlace: [] };

  async function finish(error: unknown, abandoned: string[] = []): Promise<RunOutcome> {
    const leftInPlace: string[] = [...abandoned];
    for (const undo of undos.reverse()) {
      if (options.keepOnFailure) {
        leftInPlace.push(undo.title);
        continue;
      }
      try {
        await undo.run();
        emit({ type: 'undo', id: undo.title, title: undo.title, ok: true });
      } catch (undoError) {
        leftInPlace.push(undo.title);
        emit({ type: 'undo', id: undo.title, title: undo.title, ok: false, message: toErrorView(undoError).message });
      }
    }
    // Only an interrupt that leaves something behind points at cleanup.
    const reported = isPlainInterrupt(error) && leftInPlace.length > 0 ? interruptedLeavingError() : error;
    return { ok: false, error: reported, leftInPlace };
  }
}
