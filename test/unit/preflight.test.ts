import test from 'ava';
import { IgniteError } from '../../src/core/errors.js';
import type { CheckResult } from '../../src/core/events.js';
import { preflightStep, type Check } from '../../src/steps/preflight.js';
import { stepHarness } from '../_helpers/step-harness.js';

const fixed = (name: string, status: CheckResult['status']): Check => ({
  name,
  run: async () => ({ status, message: `${name} says ${status}`, ...(status === 'pass' ? {} : { hint: `fix ${name}` }) }),
});

function harness(argv: string[]) {
  return stepHarness(['init', ...argv]);
}

const all = [fixed('DockerEngine', 'pass'), fixed('Port-2379', 'fail'), fixed('TunDevice', 'warn'), fixed('Port-2380', 'fail')];

test('every check runs and reports; all errors are named together in one failure', async (t) => {
  const { ctx, io, checks } = harness([]);
  const error = await t.throwsAsync(preflightStep(all).run(ctx, io), { instanceOf: IgniteError });
  t.deepEqual(checks.map((c) => `${c.name}:${c.status}`), ['DockerEngine:pass', 'Port-2379:fail', 'TunDevice:warn', 'Port-2380:fail']);
  t.is(error?.kind, 'preflight');
  t.is(error?.exitCode, 3);
  t.regex(error?.message ?? '', /2 errors: Port-2379,Port-2380/);
  t.regex(error?.hint ?? '', /--ignore-preflight-errors=Port-2379,Port-2380/);
});

test('--ignore-preflight-errors turns the named errors into warnings (case-insensitive)', async (t) => {
  const { ctx, io, checks } = harness(['--ignore-preflight-errors', 'port-2379']);
  const error = await t.throwsAsync(preflightStep(all).run(ctx, io), { instanceOf: IgniteError });
  t.regex(error?.message ?? '', /an error: Port-2380: Port-2380 says fail$/);
  t.like(checks[1], { name: 'Port-2379', status: 'warn', message: 'Port-2379 says fail (ignored)' });
});

test('--ignore-preflight-errors all lets the step pass with warnings counted', async (t) => {
  const { ctx, io } = harness(['--ignore-preflight-errors', 'all']);
  const result = await preflightStep(all).run(ctx, io);
  t.is(result?.detail, '4 checks, 3 warnings');
});
