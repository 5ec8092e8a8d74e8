/**
 * What the CLI does once its arguments are parsed into a command: status and logs render their own
 * output; every other command runs its steps with a reporter. The build makes this module and all
 * it imports one CommonJS file with a V8 code cache beside it (dist/commands.cjs, see
 * scripts/build.mjs); load-commands.ts loads it.
 */
import { runCommand } from './commands/command.js';
import { commandFor } from './commands/index.js';
import { runLogs } from './commands/logs.js';
import { runStatus } from './commands/status.js';
import type { Options } from './options.js';
import { decideMode } from './ui/mode.js';
import { createReporter, type ReporterStreams } from './ui/reporter.js';

// For test/unit/build.test.ts: the bundle finds templates/ from dist/, as src/ does from src/.
export { loadTemplate } from './adapters/templates.js';

export async function runParsed(options: Options, streams: ReporterStreams, signal: AbortSignal): Promise<number> {
  if (options.command === 'status') return runStatus(options, streams, signal);
  if (options.command === 'logs') return runLogs(options, streams, signal);
  const mode = decideMode({ json: options.json, env: streams.env, stdin: streams.stdin, stderr: streams.stderr });
  const reporter = await createReporter(mode, streams);
  try {
    return await runCommand(commandFor(options.command), options, {
      emit: (event) => reporter.emit(event),
      prompter: reporter.prompter,
      signal,
      env: streams.env,
    });
  } finally {
    await reporter.close();
  }
}
