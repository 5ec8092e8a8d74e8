/** runCommand's end line for Ctrl-C: a command whose steps are undone says to start over; cleanup (not undone) says to run it again to finish. */
import test from 'ava';
import { parseArgs } from '../../src/args.js';
import { cleanupCommand } from '../../src/commands/cleanup.js';
import { runCommand } from '../../src/commands/command.js';
import { initCommand } from '../../src/commands/init.js';
import type { RunEventBody } from '../../src/core/events.js';
import { fakeServices } from '../_helpers/fakes.js';

async function interrupted(argv: string[], spec: typeof initCommand): Promise<{ code: number; hint: string | undefined }> {
  const parsed = parseArgs(argv, {});
  if (parsed.kind !== 'run') throw new Error(parsed.kind);
  const events: RunEventBody[] = [];
  const prompter = { interactive: false, select: () => Promise.reject(new Error('no prompt')), confirm: () => Promise.reject(new Error('no prompt')), text: () => Promise.reject(new Error('no prompt')) };
  const abort = new AbortController();
  abort.abort();
  const code = await runCommand(spec, parsed.options, { emit: (e) => void events.push(e), prompter, signal: abort.signal, env: {}, services: fakeServices().services });
  const end = events.find((e) => e.type === 'command-end');
  return { code, hint: end?.type === 'command-end' ? end.error?.hint : undefined };
}

test('Ctrl-C on cleanup: exit 130, and the hint says to run cleanup again to finish (its removals are not undone)', async (t) => {
  const { code, hint } = await interrupted(['cleanup', '--yes'], cleanupCommand);
  t.is(code, 130);
  t.is(hint, 'Run `sudo ignite-net cleanup` again to finish: what this run removed stays removed, the rest goes then.');
});

test('Ctrl-C on init (every change undone): the runner\'s hint to start over, not cleanup', async (t) => {
  const { code, hint } = await interrupted(['init', '--yes'], initCommand);
  t.is(code, 130);
  t.is(hint, 'Run the same command again to start over.');
});
