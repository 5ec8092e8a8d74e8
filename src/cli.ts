#!/usr/bin/env node
import { parseArgs } from './args.js';
import { ExitCode, isIgniteError } from './core/errors.js';
import { loadCommands } from './load-commands.js';

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
  const { runParsed } = await loadCommands();
  return runParsed(options, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }, controller.signal);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`ignite-net: unexpected error (a bug; please report it):\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(ExitCode.bug);
  },
);
