/**
 * A reporter renders a command's RunEvents and answers (or refuses) its questions. The command
 * creates one with createReporter(decideMode(…), streams), passes `emit` and `prompter` to the
 * runner and awaits `close()` before exiting. ink and react load only in interactive mode.
 */
import { createJsonReporter } from './json-reporter.js';
import type { UiMode } from './mode.js';
import { createPlainReporter } from './plain-reporter.js';
import type { Reporter, ReporterStreams } from './reporter-contract.js';

export type { Reporter, ReporterStreams } from './reporter-contract.js';

export async function createReporter(mode: UiMode, streams: ReporterStreams): Promise<Reporter> {
  switch (mode) {
    case 'json':
      return createJsonReporter({ stdout: streams.stdout });
    case 'plain':
      return createPlainReporter({ stdout: streams.stdout, stderr: streams.stderr, env: streams.env });
    case 'interactive': {
      const { createInkReporter } = await import('./ink/reporter.js');
      return createInkReporter(streams);
    }
  }
}
