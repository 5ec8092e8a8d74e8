import { parseArgs } from '../../src/args.js';
import type { CheckResult } from '../../src/core/events.js';
import type { StepIO } from '../../src/core/step.js';
import { hostServices, type Services } from '../../src/adapters/services.js';
import { newContext, type CommandContext } from '../../src/steps/context.js';

/**
 * A command context from real argv and a StepIO that records checks, for running one step or check
 * without a daemon. `changed` throws when the step must not change anything (doctor).
 */
export function stepHarness(argv: string[], opts: { forbidChanges?: boolean; services?: Services } = {}): { ctx: CommandContext; io: StepIO; checks: CheckResult[] } {
  const parsed = parseArgs(argv, {});
  if (parsed.kind !== 'run') throw new Error(`expected a command line, got ${parsed.kind}`);
  const checks: CheckResult[] = [];
  const refuse = (): Promise<never> => Promise.reject(new Error('no prompt expected'));
  const io: StepIO = {
    progress: () => undefined,
    warn: () => undefined,
    check: (c) => void checks.push(c),
    changed: () => {
      if (opts.forbidChanges) throw new Error('this step must not change anything');
    },
    prompter: { interactive: false, select: refuse, confirm: refuse, text: refuse },
    signal: new AbortController().signal,
  };
  return { ctx: newContext(parsed.options, {}, opts.services ?? hostServices(parsed.options, {})), io, checks };
}
