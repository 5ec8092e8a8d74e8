import type { Options } from '../args.js';
import { IgniteError, toErrorView } from '../core/errors.js';
import type { Emit, SummaryLine } from '../core/events.js';
import type { Prompter } from '../core/prompt.js';
import { runSteps } from '../core/runner.js';
import type { Step } from '../core/step.js';
import { newContext, type CommandContext } from '../steps/context.js';

export interface CommandSpec {
  name: string;
  steps(options: Options): Step<CommandContext>[];
  summary(ctx: CommandContext): { title: string; lines: SummaryLine[]; next: string[] };
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
  try {
    const outcome = await runSteps(spec.steps(options), ctx, {
      emit: run.emit,
      prompter: run.prompter,
      signal: run.signal,
      keepOnFailure: options.keepOnFailure,
    });
    if (outcome.ok) {
      run.emit({ type: 'summary', ...spec.summary(ctx) });
      run.emit({ type: 'command-end', ok: true, exitCode: 0, durationMs: Date.now() - started, leftInPlace: [] });
      return 0;
    }
    const error = toErrorView(outcome.error ?? new IgniteError('bug', 'command failed'));
    run.emit({ type: 'command-end', ok: false, exitCode: error.exitCode, durationMs: Date.now() - started, error, leftInPlace: outcome.leftInPlace });
    return error.exitCode;
  } finally {
    ctx.store?.close();
  }
}
