/**
 * Output piped to a file or a script carries no terminal escape codes (issue 14: `ESC[?25h` reached
 * non-TTY output): each command's stdout and stderr, the built CLI (dist/, as installed; tsx compiling
 * src/ took 3–6 s a run) with stdin, stdout and stderr not terminals.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { assertBuilt, CLI } from '../_helpers/cli.js';


function runPiped(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { timeout: 30_000, env: { ...process.env, FORCE_COLOR: undefined, TERM: 'xterm-256color' } },
      (_error, stdout, stderr) => resolve({ stdout, stderr }),
    );
    child.stdin?.end();
  });
}

assertBuilt();
const stateDir = await mkdtemp(join(tmpdir(), 'ignite-net-noesc-'));
test.after.always(() => rm(stateDir, { recursive: true, force: true }));

for (const args of [
  ['--help'],
  ['status', '--state-dir', stateDir],
  ['doctor', '--state-dir', stateDir],
  ['logs', '--state-dir', stateDir],
  ['cleanup', '--state-dir', stateDir],
  ['join', '--state-dir', stateDir],
  ['init', '--timeout', '-5'],
]) {
  test(`no escape codes when piped: ${args.join(' ').replace(stateDir, '<tmp>')}`, async (t) => {
    const { stdout, stderr } = await runPiped(args);
    t.true(stdout.length + stderr.length > 0, 'the command printed something');
    t.false(stdout.includes('\u001b'), stdout);
    t.false(stderr.includes('\u001b'), stderr);
  });
}
