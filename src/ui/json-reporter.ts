/**
 * JSON lines on stdout, one object per event with `type` and `timestamp` first (gemini-cli's
 * stream-json). Nothing else is written to stdout; errors are ErrorView objects.
 */
import { createNonInteractivePrompter, defaultAnswerWarning, stepTracker } from './noninteractive-prompter.js';
import type { Reporter } from './reporter-contract.js';
import type { TextOutput } from './streams.js';

export interface JsonReporterOptions {
  stdout: TextOutput;
  clock?: () => Date;
}

export function createJsonReporter(options: JsonReporterOptions): Reporter {
  const { stdout } = options;
  const clock = options.clock ?? (() => new Date());
  const steps = stepTracker();
  const reporter: Reporter = {
    mode: 'json',
    emit(event) {
      steps.see(event);
      const { type, ...rest } = event;
      stdout.write(`${JSON.stringify({ type, timestamp: clock().toISOString(), ...rest })}\n`);
    },
    prompter: createNonInteractivePrompter({
      reason: 'nothing is asked with --json',
      onDefault: (answer) => reporter.emit({ type: 'warning', ...steps.owner(), ...defaultAnswerWarning(answer) }),
    }),
    async close() {},
  };
  return reporter;
}
