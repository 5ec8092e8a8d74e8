import { IgniteError, toErrorView } from './errors.js';
import type { Emit } from './events.js';
import type { Prompter } from './prompt.js';
import type { Step, StepIO, Undo } from './step.js';

export interface RunOptions {
  emit: Emit;
  prompter: Prompter;
  signal: AbortSignal;
  /** Leave completed steps' changes in place when a later step fails or the run is interrupted. */
  keepOnFailure?: boolean;
  now?: () => number;
}

export interface RunOutcome {
  ok: boolean;
  error?: unknown;
  completed: string[];
  /** Undos not run (keep-on-failure) or that failed: what stays on the host. */
  leftInPlace: string[];
}

export const interruptedError = (): IgniteError =>
  new IgniteError('interrupted', 'interrupted', {
    hint: 'Run the same command again to finish, or `ignite-net cleanup` to remove what was set up.',
  });

/** Rejects as soon as the signal aborts, so a step blocked on I/O does not hold up Ctrl-C. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(interruptedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(interruptedError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Runs steps in order and reports each as events. On failure or interrupt it undoes the completed
 * steps in reverse order, each exactly once, unless keepOnFailure.
 */
export async function runSteps<C>(steps: Step<C>[], ctx: C, options: RunOptions): Promise<RunOutcome> {
  const { emit, signal } = options;
  const now = options.now ?? Date.now;
  const completed: string[] = [];
  const undos: Undo[] = [];

  for (const step of steps) {
    if (signal.aborted) return finish(interruptedError());
    const reason = await step.skip?.(ctx);
    if (reason !== undefined) {
      emit({ type: 'step-skip', id: step.id, title: step.title, reason });
      continue;
    }
    emit({ type: 'step-start', id: step.id, title: step.title });
    const started = now();
    const io: StepIO = {
      progress: (message, pull) => emit({ type: 'step-progress', id: step.id, message, ...(pull ? { pull } : {}) }),
      warn: (message, hint) => emit({ type: 'warning', stepId: step.id, message, ...(hint ? { hint } : {}) }),
      check: (check) => emit({ type: 'check', stepId: step.id, check }),
      prompter: options.prompter,
      signal,
    };
    try {
      const result = await abortable(step.run(ctx, io), signal);
      if (result?.undo) undos.push(result.undo);
      completed.push(step.id);
      emit({
        type: 'step-success',
        id: step.id,
        title: step.title,
        durationMs: now() - started,
        ...(result?.detail ? { detail: result.detail } : {}),
      });
    } catch (error) {
      emit({ type: 'step-fail', id: step.id, title: step.title, durationMs: now() - started, error: toErrorView(error) });
      return finish(error);
    }
  }
  return { ok: true, completed, leftInPlace: [] };

  async function finish(error: unknown): Promise<RunOutcome> {
    const leftInPlace: string[] = [];
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
    return { ok: false, error, completed, leftInPlace };
  }
}
