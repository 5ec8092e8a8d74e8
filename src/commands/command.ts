import type { Options } from '../args.js';
import { IgniteError, toErrorView } from '../core/errors.js';
import type { Emit, SummaryLine } from '../core/events.js';
import type { Prompter } from '../core/prompt.js';
import { runSteps } from '../core/runner.js';
import type { Step } from '../core/step.js';
import { acquireLock, type Lock } from '../adapters/state.js';
import { newContext, type CommandContext } from '../steps/context.js';

export interface CommandSpec {
  name: string;
  /** Takes the host lock: only one such command runs on a host at a time. */
  changesHost: boolean;
  steps(options: Options): Step<CommandContext>[];
  /** exitCode: a command whose steps all ran may still report a non-zero verdict (doctor). */
  summary(ctx: CommandContext): { title: string; lines: SummaryLine[]; next: string[]; exitCode?: number };
}

export const restartIgnitedNote = 'A running ignited reads the CNI config once: restart it (systemctl restart ignited) to use the overlay.';

export interface CommandRun {
  emit: Emit;
  prompter: Prompter;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
}

/** Runs one command's steps and reports its end; returns the exit code. */
export async function runCommand(spec: CommandSpec, options: Options, run: CommandRun): Promise<number> {
  const started = Date.now();
  const ctx = newContext(options, run.env);
  run.emit({ type: 'command-start', command: spec.name });
  const end = (error: unknown, leftInPlace: string[]): number => {
    const view = toErrorView(error);
    run.emit({ type: 'command-end', ok: false, exitCode: view.exitCode, durationMs: Date.now() - started, error: view, leftInPlace });
    return view.exitCode;
  };
  let lock: Lock | undefined;
  try {
    if (spec.changesHost) lock = await acquireLock(options.stateDir);
    const outcome = await runSteps(spec.steps(options), ctx, {
      emit: run.emit,
      prompter: run.prompter,
      signal: run.signal,
      keepOnFailure: options.keepOnFailure,
    });
    if (!outcome.ok) return end(outcome.error ?? new IgniteError('bug', 'command failed'), outcome.leftInPlace);
    const summary = spec.summary(ctx);
    run.emit({ type: 'summary', ...summary });
    const exitCode = summary.exitCode ?? 0;
    run.emit({ type: 'command-end', ok: exitCode === 0, exitCode, durationMs: Date.now() - started, leftInPlace: [] });
    return exitCode;
  } catch (error) {
    return end(error, []);
  } finally {
    ctx.store?.close();
    await lock?.release();
  }
}
