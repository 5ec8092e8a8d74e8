import test from 'ava';
import { doctorCommand } from '../../src/commands/doctor.js';
import { IgniteError } from '../../src/core/errors.js';
import type { CheckResult } from '../../src/core/events.js';
import { peerCheckStep } from '../../src/doctor/peer.js';
import { doctorStateStep } from '../../src/doctor/state.js';
import { checkStep, doctorReport } from '../../src/doctor/report.js';
import type { Check } from '../../src/steps/preflight.js';
import { stepHarness } from '../_helpers/step-harness.js';

function harness(argv: string[]) {
  return stepHarness(['doctor', ...argv], { forbidChanges: true });
}

const fixed = (name: string, status: CheckResult['status']): Check => ({
  name,
  run: async () => ({ status, message: `${name} says ${status}`, ...(status === 'pass' ? {} : { hint: `fix ${name}` }) }),
});
const throwing = (name: string, error: Error): Check => ({
  name,
  run: async () => {
    throw error;
  },
});

const mixed = [
  fixed('DockerEngine', 'pass'),
  fixed('Port-2379', 'fail'),
  throwing('Port-2380', new IgniteError('preflight', 'Cannot check whether 0.0.0.0:2380/tcp is free (EINVAL)', { hint: 'look at it' })),
  fixed('TunDevice', 'warn'),
  throwing('IPForward', new Error('EACCES: permission denied')),
];

test('a check step runs every check, reports each, and never throws on a failure', async (t) => {
  const { ctx, io, checks } = harness([]);
  const result = await checkStep('preflight', 'Preflight checks', () => mixed).run(ctx, io);
  t.deepEqual(checks.map((c) => `${c.name}:${c.status}`), ['DockerEngine:pass', 'Port-2379:fail', 'Port-2380:fail', 'TunDevice:warn', 'IPForward:fail']);
  t.is(result?.detail, '5 checks, 1 warning, 3 failures');
  t.like(checks[2], { message: 'Cannot check whether 0.0.0.0:2380/tcp is free (EINVAL)', hint: 'look at it' }, 'a typed error keeps its message and hint');
  t.regex(checks[4]?.message ?? '', /could not run: EACCES/);
  t.is(doctorReport(ctx).results.length, 5);
});

test('the summary names every check, gives the fix of each failure and exit code 3', async (t) => {
  const { ctx, io } = harness([]);
  await checkStep('preflight', 'Preflight checks', () => mixed).run(ctx, io);
  const summary = doctorCommand.summary(ctx);
  t.is(summary.exitCode, 3);
  t.is(summary.title, 'ignite-net doctor: 3 of 5 checks failed');
  t.deepEqual(summary.lines.map((l) => l.label), ['checked', 'DockerEngine', 'Port-2379', 'Port-2380', 'TunDevice', 'IPForward']);
  t.regex(summary.lines[2]?.value ?? '', /^FAIL {2}Port-2379 says fail$/);
  t.regex(summary.lines[1]?.value ?? '', /^ok/);
  t.deepEqual(summary.next.slice(0, 2), ['Port-2379: fix Port-2379', 'Port-2380: look at it']);
});

test('--ignore-preflight-errors turns doctor failures into warnings and the exit code into 0', async (t) => {
  const { ctx, io, checks } = harness(['--ignore-preflight-errors', 'Port-2379,port-2380,IPForward']);
  await checkStep('preflight', 'Preflight checks', () => mixed).run(ctx, io);
  t.like(checks[1], { status: 'warn', message: 'Port-2379 says fail (ignored)' });
  const summary = doctorCommand.summary(ctx);
  t.is(summary.exitCode, undefined);
  t.is(summary.title, 'ignite-net doctor: no failures, 4 warnings (5 checks)');
});


test('--ignore-preflight-errors=all does not make a fatal check (Docker) a warning in doctor either', async (t) => {
  const { ctx, io, checks } = harness(['--ignore-preflight-errors', 'all']);
  const docker: Check = { ...fixed('DockerEngine', 'fail'), fatal: true };
  await checkStep('preflight', 'Preflight checks', () => [docker, fixed('Port-2379', 'fail')]).run(ctx, io);
  t.deepEqual(checks.map((c) => `${c.name}:${c.status}`), ['DockerEngine:fail', 'Port-2379:warn']);
  t.is(doctorCommand.summary(ctx).exitCode, 3);
});
test('all passing: exit code 0 and, on a host not set up, what to run next', async (t) => {
  const { ctx, io } = harness([]);
  await checkStep('preflight', 'Preflight checks', () => [fixed('A', 'pass'), fixed('B', 'pass')]).run(ctx, io);
  const summary = doctorCommand.summary(ctx);
  t.is(summary.exitCode, undefined);
  t.is(summary.title, 'ignite-net doctor: all 2 checks passed');
  t.deepEqual(summary.next, ['Ready for `sudo ignite-net init`.']);
});

test('doctor is a read-only command: no host lock, the peer step only with a peer', async (t) => {
  t.false(doctorCommand.changesHost);
  t.deepEqual(doctorCommand.steps(harness([]).ctx.options).map((s) => s.id), ['state', 'docker', 'peer', 'advertise', 'preflight', 'host', 'security', 'control-plane']);
  const { ctx } = harness([]);
  t.truthy(await peerCheckStep.skip?.(ctx));
  const withPeer = harness(['--peer', '127.0.0.1']).ctx;
  t.is(await peerCheckStep.skip?.(withPeer), undefined);
});

test('peer checks: a peer that is this host fails PeerAddress, and what needs it is not run', async (t) => {
  // Loopback only; Docker at a socket that does not exist, so HostRole cannot find an etcd.
  const { ctx, io, checks } = harness(['--peer', '127.0.0.1', '--docker-host', 'unix:///nonexistent/ignite-net-test.sock']);
  const result = await peerCheckStep.run(ctx, io);
  t.deepEqual(checks.map((c) => `${c.name}:${c.status}`), ['PeerAddress:fail', 'HostRole:pass']);
  t.is(checks[0]?.message, '127.0.0.1 is this host: a host cannot join itself', "join's own message");
  t.deepEqual(doctorReport(ctx).notRun.map((n) => `${n.name} (${n.reason})`), [
    'PeerEtcd (needs PeerAddress)',
    'PeerAuth (needs PeerEtcd)',
    'PeerNetworkConfig (needs PeerEtcd)',
    'PeerBackendPort (needs PeerNetworkConfig)',
  ]);
  t.is(result?.detail, '2 checks, 1 failure');
  t.regex(doctorCommand.summary(ctx).lines.map((l) => `${l.label} ${l.value}`).join('\n'), /PeerEtcd not run \(needs PeerAddress\)/);
});

test('one check is not counted twice: the state step says what it found, the title says "the 1 check"', async (t) => {
  const { ctx, io, checks } = harness(['--state-dir', '/nonexistent/ignite-net-test-state']);
  const result = await doctorStateStep.run(ctx, io);
  t.is(result?.detail, 'none');
  t.deepEqual(checks.map((c) => `${c.name}:${c.status}`), ['StateFile:pass']);
  t.is(doctorCommand.summary(ctx).title, 'ignite-net doctor: the 1 check passed');
});
