#!/usr/bin/env node
import { parseArgs } from './args.js';
import { ExitCode, isIgniteError } from './core/errors.js';

/**
 * argv → command → steps → runner → events → reporter. Heavy modules (dockerode, etcd3, ink) load
 * only after --help/--version are answered, so those stay fast.
 */
// A reader that goes away (`ignite-net init | head`) must not crash a command halfway through
// changing the host: output is dropped, the work finishes.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(argv, process.env);
  } catch (error) {
    if (!isIgniteError(error)) throw error;
    process.stderr.write(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
    return error.exitCode;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text);
    return 0;
  }
  if (parsed.kind === 'completion') {
    const { completionScript } = await import('./completion.js');
    process.stdout.write(completionScript(parsed.shell));
    return 0;
  }
  if (parsed.kind === 'version') {
    const { version } = await import('./version.js');
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const { options } = parsed;
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(ExitCode.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const streams = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };

  if (options.command === 'status') {
    const { runStatus } = await import('./commands/status.js');
    return runStatus(options, streams, controller.signal);
  }
  if (options.command === 'logs') {
    const { runLogs } = await import('./commands/logs.js');
    return runLogs(options, streams, controller.signal);
  }
  const command = options.command;
  const [{ runCommand }, { commandFor }, { createReporter }, { decideMode }] = await Promise.all([
    import('./commands/command.js'),
    import('./commands/index.js'),
    import('./ui/reporter.js'),
    import('./ui/mode.js'),
  ]);
  const mode = decideMode({ json: options.json, env: process.env, stdin: process.stdin, stderr: process.stderr });
  const reporter = await createReporter(mode, streams);
  try {
    return await runCommand(commandFor(command), options, {
      emit: (event) => reporter.emit(event),
      prompter: reporter.prompter,
      signal: controller.signal,
      env: process.env,
    });
  } finally {
    await reporter.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`ignite-net: unexpected error (a bug; please report it):\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(ExitCode.bug);
  },
);
