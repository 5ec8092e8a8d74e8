import { parseArgs } from '../../src/args.js';
import type { CheckResult } from '../../src/core/events.js';
import type { StepIO, Undo } from '../../src/core/step.js';
import { hostServices, type Services } from '../../src/adapters/services.js';
import { newContext, type CommandContext } from '../../src/steps/context.js';

export interface StepRecord {
  checks: CheckResult[];
  /** Undos the step declared with io.changed, in order. */
  undos: Undo[];
  warnings: { message: string; hint?: string }[];
  progress: string[];
}

/**
 * A command context from real argv and a StepIO that records checks, undos, warnings and progress,
 * for running one step or check without a daemon. `changed` throws when the step must not change
 * anything (doctor).
 */
export function stepHarness(argv: string[], opts: { forbidChanges?: boolean; services?: Services } = {}): { ctx: CommandContext; io: StepIO } & StepRecord {
  const parsed = parseArgs(argv, {});
  if (parsed.kind !== 'run') throw new Error(`expected a command line, got ${parsed.kind}`);
  const record: StepRecord = { checks: [], undos: [], warnings: [], progress: [] };
  const refuse = (): Promise<never> => Promise.reject(new Error('no prompt expected'));
  const io: StepIO = {
    progress: (message) => void record.progress.push(message),
    warn: (message, hint) => void record.warnings.push({ message, ...(hint === undefined ? {} : { hint }) }),
    check: (c) => void record.checks.push(c),
    changed: async (undo) => {
      if (opts.forbidChanges) throw new Error('this step must not change anything');
      record.undos.push(undo);
    },
    prompter: { interactive: false, select: refuse, confirm: refuse, text: refuse },
    signal: new AbortController().signal,
  };
  return { ctx: newContext(parsed.options, {}, opts.services ?? hostServices(parsed.options, {})), io, ...record };
}
