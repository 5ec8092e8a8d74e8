/**
 * Issue 4, bad input — the pure parts of the product fixes it needed (the end-to-end cases are in
 * test/e2e/bad-input.test.ts): a check nothing can go on without cannot be ignored, a single
 * preflight error says what is wrong on its own line, and a run that fails to take the host lock
 * leaves no directory behind and says why the lock cannot be created.
 */
import test from 'ava';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from '../../src/adapters/state.js';
import { IgniteError } from '../../src/core/errors.js';
import type { CheckResult } from '../../src/core/events.js';
import { dockerCheck, preflightStep, type Check } from '../../src/steps/preflight.js';
import { stepHarness } from '../_helpers/step-harness.js';

const fixed = (name: string, status: CheckResult['status'], fatal = false): Check => ({
  name,
  ...(fatal ? { fatal: true } : {}),
  run: async () => ({ status, message: `${name} says ${status}`, ...(status === 'pass' ? {} : { hint: `Fix ${name}.` }) }),
});

function harness(argv: string[]) {
  return stepHarness(['init', ...argv]);
}

test('the Docker check is fatal: nothing after preflight runs without Docker', (t) => {
  t.true(dockerCheck.fatal);
});

test('a fatal check stays an error under --ignore-preflight-errors all, and the hint does not offer to ignore it', async (t) => {
  const { ctx, io, checks } = harness(['--ignore-preflight-errors', 'all']);
  const error = await t.throwsAsync(preflightStep([fixed('DockerEngine', 'fail', true), fixed('Port-2379', 'fail')]).run(ctx, io), { instanceOf: IgniteError });
  t.deepEqual(checks.map((c) => `${c.name}:${c.status}`), ['DockerEngine:fail', 'Port-2379:warn']);
  t.is(error?.exitCode, 3);
  t.is(error?.message, 'preflight found an error: DockerEngine: DockerEngine says fail');
  t.is(error?.hint, 'Fix DockerEngine.');
});

test('one preflight error: the message carries the check message, the hint its hint and how to ignore it', async (t) => {
  const { ctx, io } = harness([]);
  const error = await t.throwsAsync(preflightStep([fixed('DockerEngine', 'pass', true), fixed('NetworkOverlap', 'fail')]).run(ctx, io), { instanceOf: IgniteError });
  t.is(error?.message, 'preflight found an error: NetworkOverlap: NetworkOverlap says fail');
  t.is(error?.hint, 'Fix NetworkOverlap. Or pass --ignore-preflight-errors=NetworkOverlap to go on anyway.');
});

test('several preflight errors: named together; fatal ones are said to be unignorable and left out of the flag', async (t) => {
  const { ctx, io } = harness([]);
  const error = await t.throwsAsync(
    preflightStep([fixed('DockerEngine', 'fail', true), fixed('CNIConfDir', 'fail'), fixed('FlannelRunDir', 'fail')]).run(ctx, io),
    { instanceOf: IgniteError },
  );
  t.is(error?.message, 'preflight found 3 errors: DockerEngine,CNIConfDir,FlannelRunDir');
  t.is(error?.hint, 'Fix the above (DockerEngine cannot be ignored), or pass --ignore-preflight-errors=CNIConfDir,FlannelRunDir to go on anyway.');
});

test('the host lock removes the state dir (and parents) it created when released', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'ignite-net-lock-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const lock = await acquireLock(join(root, 'a', 'b', 'state'));
  t.deepEqual(await readdir(join(root, 'a', 'b', 'state')), ['lock']);
  await lock.release();
  t.deepEqual(await readdir(root), [], 'nothing left behind');
});

test('the host lock keeps a state dir that was there, and one that now holds a state file', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'ignite-net-lock-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const existing = await acquireLock(root);
  await existing.release();
  t.true((await stat(root)).isDirectory());

  const fresh = join(root, 'state');
  const lock = await acquireLock(fresh);
  await writeFile(join(fresh, 'state.json'), '{}\n');
  await lock.release();
  t.deepEqual(await readdir(fresh), ['state.json']);
});

test('a state dir that is a file: a permission error saying so, nothing created', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'ignite-net-lock-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const file = join(root, 'state');
  await writeFile(file, 'not a dir\n');
  const error = await t.throwsAsync(acquireLock(file), { instanceOf: IgniteError });
  t.is(error?.kind, 'permission');
  t.is(error?.exitCode, 9);
  t.is(error?.message, `cannot create the lock ${join(file, 'lock')}: ${file} exists but is not a directory`);
  t.regex(error?.hint ?? '', /--state-dir/);
  t.deepEqual(await readdir(root), ['state']);
});
