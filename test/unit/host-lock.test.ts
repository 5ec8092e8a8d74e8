import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { acquireLock } from '../../src/adapters/state.js';
import { IgniteError } from '../../src/core/errors.js';

/** The host lock (src/adapters/state.ts): one ignite-net changing a host at a time. */

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
 * Runs `count` processes that each take the lock at the same instant. Each imports the lock module,
 * says "ready" and waits on its stdin; once all are ready the parent writes "go" to every one, and
 * each prints "won" or the error's kind. The winner holds the lock until the parent closes its
 * stdin, which it does only after every process has answered, so no late starter can find it free.
 */
async function race(dir: string, count: number): Promise<string[]> {
  const script = `
    import { createInterface } from 'node:readline';
    import { acquireLock } from ${JSON.stringify(STATE_MODULE)};
    const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
    console.log('ready');
    await input.next(); // "go"
    try {
      const lock = await acquireLock(${JSON.stringify(dir)});
      console.log('won');
      await input.next(); // end of stdin: everyone has answered
      await lock.release();
    } catch (error) {
      console.log(error.kind ?? error.message);
    }
    process.stdin.destroy();`;
  const racers = Array.from({ length: count }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'], timeout: 30_000 });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const line = async (): Promise<string> => {
      const next = await lines.next();
      if (next.done === true) throw new Error(`racer ${child.pid} exited with code ${await exited} before answering`);
      return next.value;
    };
    return { child, exited, line };
  });
  try {
    await Promise.all(racers.map((r) => r.line())); // "ready"
    for (const r of racers) r.child.stdin.write('go\n');
    const answers = await Promise.all(racers.map((r) => r.line()));
    for (const r of racers) r.child.stdin.end();
    const codes = await Promise.all(racers.map((r) => r.exited));
    if (codes.some((code) => code !== 0)) throw new Error(`racers exited with ${codes.join(', ')}`);
    return answers.sort();
  } finally {
    for (const r of racers) if (r.child.exitCode === null) r.child.kill();
  }
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
