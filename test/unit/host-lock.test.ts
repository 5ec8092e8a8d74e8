import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { acquireLock } from '../../src/adapters/state.js';
import { IgniteError } from '../../src/core/errors.js';

/** The host lock (src/adapters/state.ts): one ignite-net changing a host at a time. */

const run = promisify(execFile);
const STATE_MODULE = fileURLToPath(new URL('../../src/adapters/state.ts', import.meta.url));

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ignite-net-lock-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A PID no process has: one that just exited. */
async function deadPid(): Promise<number> {
  const child = execFile(process.execPath, ['-e', '0']);
  const pid = child.pid ?? 0;
  await new Promise((resolve) => child.on('exit', resolve));
  return pid;
}

test('a lock held by a live process is refused, naming it; the lock stays as it was', async (t) => {
  const dir = await tempDir(t);
  const holder = process.ppid; // alive for as long as this test runs
  await writeFile(join(dir, 'lock'), `${holder}\n`);
  const error = await t.throwsAsync(acquireLock(dir), { instanceOf: IgniteError });
  t.is(error?.kind, 'conflict');
  t.is(error?.message, `another ignite-net (pid ${holder}) is changing this host`);
  t.deepEqual(await readdir(dir), ['lock'], 'nothing of ours left beside it');
  t.is(await readFile(join(dir, 'lock'), 'utf8'), `${holder}\n`);
});

for (const [what, content] of [
  ['a dead process', async () => `${await deadPid()}\n`],
  ['no PID (an empty file)', async () => ''],
] as const) {
  test(`a lock left by ${what} is taken over, and holds our PID`, async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'lock'), await content());
    const lock = await acquireLock(dir);
    t.deepEqual(await readdir(dir), ['lock']);
    t.is(await readFile(join(dir, 'lock'), 'utf8'), `${process.pid}\n`);
    await lock.release();
    t.deepEqual(await readdir(dir), []);
  });
}

/**
 * Runs `count` processes that each take the lock at the same instant and hold it a while. Each
 * prints "won" or the error's kind.
 */
async function race(dir: string, count: number): Promise<string[]> {
  const at = Date.now() + 2_500; // after every process has started
  const script = `
    import { acquireLock } from ${JSON.stringify(STATE_MODULE)};
    await new Promise((r) => setTimeout(r, ${at} - Date.now()));
    try {
      const lock = await acquireLock(${JSON.stringify(dir)});
      console.log('won');
      await new Promise((r) => setTimeout(r, 1_000));
      await lock.release();
    } catch (error) {
      console.log(error.kind ?? error.message);
    }`;
  const runs = Array.from({ length: count }, () => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000 }));
  return (await Promise.all(runs)).map((r) => r.stdout.trim()).sort();
}

test('runs starting at the same instant: exactly one takes the lock, the others are refused', async (t) => {
  const dir = await tempDir(t);
  t.deepEqual(await race(dir, 6), ['conflict', 'conflict', 'conflict', 'conflict', 'conflict', 'won']);
  t.deepEqual(await readdir(dir), [], 'released, nothing left');
});

test('runs starting at the same instant on a stale lock: exactly one takes it over', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'lock'), `${await deadPid()}\n`);
  t.deepEqual(await race(dir, 6), ['conflict', 'conflict', 'conflict', 'conflict', 'conflict', 'won']);
  t.deepEqual(await readdir(dir), [], 'released, nothing left');
});
