import test from 'ava';
import { IgniteError } from '../../src/core/errors.js';
import { toErrorView, type ErrorView } from '../../src/core/errors.js';
import { createPlainReporter } from '../../src/ui/plain-reporter.js';
import type { PlainReporterOptions } from '../../src/ui/plain-reporter.js';
import { Capture } from './_helpers.js';

function setup(options: Partial<PlainReporterOptions> & { tty?: boolean } = {}) {
  const stdout = new Capture(options.tty ?? false);
  const stderr = new Capture(options.tty ?? false);
  let clock = 0;
  const reporter = createPlainReporter({ stdout, stderr, env: {}, now: () => clock, ...options });
  return { reporter, stdout, stderr, advance: (ms: number) => (clock += ms) };
}

const etcdError: ErrorView = {
  kind: 'etcd',
  exitCode: 5,
  message: 'etcd did not answer on 127.0.0.1:2379 within 60s',
  hint: 'See `docker logs ignite-etcd`.',
  details: ['etcd: listen tcp 0.0.0.0:2379: bind: address already in use'],
};

test('running, succeeded, skipped and failed steps print one clear line each', (t) => {
  const { reporter, stdout, stderr } = setup();
  reporter.emit({ type: 'command-start', command: 'init' });
  reporter.emit({ type: 'step-start', id: 'preflight', title: 'Preflight checks' });
  reporter.emit({ type: 'step-success', id: 'preflight', title: 'Preflight checks', durationMs: 400 });
  reporter.emit({ type: 'step-skip', id: 'pull', title: 'Pull images', reason: 'images present' });
  reporter.emit({ type: 'step-start', id: 'subnet', title: 'Lease a subnet' });
  reporter.emit({ type: 'step-success', id: 'subnet', title: 'Lease a subnet', durationMs: 1234, detail: '10.50.31.0/24' });
  reporter.emit({ type: 'step-start', id: 'etcd', title: 'Start etcd' });
  reporter.emit({ type: 'step-fail', id: 'etcd', title: 'Start etcd', durationMs: 60_000, error: etcdError });
  t.deepEqual(stderr.lines, [
    '› preflight  Preflight checks',
    '✔ preflight  Preflight checks (400ms)',
    '↷ pull  Pull images — skipped: images present',
    '› subnet  Lease a subnet',
    '✔ subnet  Lease a subnet (1.2s) — 10.50.31.0/24',
    '› etcd  Start etcd',
    '✖ etcd  Start etcd (1m 00s)',
    '  error: etcd did not answer on 127.0.0.1:2379 within 60s',
    '    etcd: listen tcp 0.0.0.0:2379: bind: address already in use',
    '  hint: See `docker logs ignite-etcd`.',
  ]);
  t.deepEqual(stdout.lines, [], 'progress never goes to stdout');
});

test('checks and warnings print kubeadm-style tags; passing checks stay quiet', (t) => {
  const { reporter, stderr } = setup();
  reporter.emit({ type: 'check', stepId: 'preflight', check: { name: 'Docker', status: 'pass', message: 'reachable' } });
  reporter.emit({
    type: 'check',
    stepId: 'preflight',
    check: { name: 'Port-2379', status: 'fail', message: 'port 2379 is in use', hint: 'pass --ignore-preflight-errors=Port-2379' },
  });
  reporter.emit({ type: 'check', stepId: 'preflight', check: { name: 'Swap', status: 'warn', message: 'swap is on' } });
  reporter.emit({
    type: 'warning',
    stepId: 'advertise-address',
    message: 'several addresses could serve; picked 192.168.1.2 (eth0)',
    hint: 'pass --advertise-address to choose',
  });
  reporter.emit({ type: 'warning', message: 'an old 10-ignite.conflist is present' });
  t.deepEqual(stderr.lines, [
    '  [ERROR Port-2379] port 2379 is in use — pass --ignore-preflight-errors=Port-2379',
    '  [WARN Swap] swap is on',
    '  [WARN advertise-address] several addresses could serve; picked 192.168.1.2 (eth0) — pass --advertise-address to choose',
    '  [WARN] an old 10-ignite.conflist is present',
  ]);
});

test('progress is throttled per step and pulls are summarised in one line', (t) => {
  const { reporter, stderr, advance } = setup({ progressIntervalMs: 3000 });
  const pull = {
    image: 'gcr.io/etcd-development/etcd:v3.6.16',
    layers: {
      a: { status: 'Pull complete', current: 5e6, total: 5e6 },
      b: { status: 'Already exists' },
      c: { status: 'Pull complete', total: 2e6 },
      d: { status: 'Downloading', current: 5.3e6, total: 20e6 },
      e: { status: 'Extracting', current: 1e6, total: 13.1e6 },
    },
  };
  reporter.emit({ type: 'step-progress', id: 'pull', message: 'pulling', pull });
  advance(1000);
  reporter.emit({ type: 'step-progress', id: 'pull', message: 'pulling', pull }); // too soon
  reporter.emit({ type: 'step-progress', id: 'etcd', message: 'waiting for etcd' }); // another step: own budget
  advance(2500);
  reporter.emit({ type: 'step-progress', id: 'etcd', message: 'waiting for etcd' }); // same text: dropped
  reporter.emit({ type: 'step-progress', id: 'pull', message: 'verifying' });
  t.deepEqual(stderr.lines, [
    '  pulling gcr.io/etcd-development/etcd:v3.6.16: 3/5 layers, 25.4/40.1 MB',
    '  waiting for etcd',
    '  verifying',
  ]);
});

test('the summary goes to stdout as aligned label/value lines and next commands', (t) => {
  const { reporter, stdout, stderr } = setup();
  reporter.emit({
    type: 'summary',
    title: 'Overlay network ready',
    lines: [
      { label: 'network', value: '10.50.0.0/16' },
      { label: 'this host', value: '10.50.31.0/24 via 192.168.1.2' },
    ],
    next: ['sudo ignite-net join 192.168.1.2', 'restart ignited to load the CNI config'],
  });
  t.deepEqual(stdout.lines, [
    'Overlay network ready',
    '  network    10.50.0.0/16',
    '  this host  10.50.31.0/24 via 192.168.1.2',
    'next:',
    '  sudo ignite-net join 192.168.1.2',
    '  restart ignited to load the CNI config',
  ]);
  t.deepEqual(stderr.lines, []);
});

test('command-end: ok, failed after a step (error not repeated) with what is left in place', (t) => {
  const ok = setup();
  ok.reporter.emit({ type: 'command-start', command: 'init' });
  ok.reporter.emit({ type: 'command-end', ok: true, exitCode: 0, durationMs: 3200, leftInPlace: [] });
  t.deepEqual(ok.stderr.lines, ['✔ init done in 3.2s']);

  const failed = setup();
  failed.reporter.emit({ type: 'command-start', command: 'init' });
  failed.reporter.emit({ type: 'step-fail', id: 'etcd', title: 'Start etcd', durationMs: 5, error: etcdError });
  failed.reporter.emit({
    type: 'command-end',
    ok: false,
    exitCode: 5,
    durationMs: 61_000,
    error: etcdError,
    leftInPlace: ['container ignite-etcd', 'file /etc/cni/net.d/10-flannel.conflist'],
  });
  t.deepEqual(failed.stderr.lines.slice(4), [
    '✖ init failed after 1m 01s (exit 5)',
    '  left in place:',
    '    - container ignite-etcd',
    '    - file /etc/cni/net.d/10-flannel.conflist',
  ]);
});

test('command-end prints an error that no step showed', (t) => {
  const { reporter, stderr } = setup();
  reporter.emit({
    type: 'command-end',
    ok: false,
    exitCode: 2,
    durationMs: 3,
    error: { kind: 'usage', exitCode: 2, message: 'unknown option --foo', hint: 'Run `ignite-net --help` for usage.', details: [] },
    leftInPlace: [],
  });
  t.deepEqual(stderr.lines, [
    'error: unknown option --foo',
    'hint: Run `ignite-net --help` for usage.',
    '✖ failed after 3ms (exit 2)',
  ], 'the error first, the end line last (as after a failed step)');
});

test('undo results are listed', (t) => {
  const { reporter, stderr } = setup();
  reporter.emit({ type: 'undo', id: 'x', title: 'Remove container ignite-etcd', ok: true });
  reporter.emit({ type: 'undo', id: 'y', title: 'Remove 10-flannel.conflist', ok: false, message: 'EACCES' });
  t.deepEqual(stderr.lines, ['↶ undone  Remove container ignite-etcd', '✖ undo failed  Remove 10-flannel.conflist: EACCES']);
});

test('colour only on a terminal without NO_COLOR; never cursor codes', (t) => {
  const emitAll = (env: NodeJS.ProcessEnv, tty: boolean) => {
    const { reporter, stderr, stdout } = setup({ env, tty });
    reporter.emit({ type: 'step-success', id: 'a', title: 'A', durationMs: 1 });
    reporter.emit({ type: 'summary', title: 'Ready', lines: [{ label: 'k', value: 'v' }], next: [] });
    return stderr.text + stdout.text;
  };
  const coloured = emitAll({}, true);
  t.true(coloured.includes('\u001B[32m✔\u001B[39m'));
  t.false(emitAll({ NO_COLOR: '1' }, true).includes('\u001B'));
  t.false(emitAll({}, false).includes('\u001B'));
  t.true(emitAll({ FORCE_COLOR: '1' }, false).includes('\u001B[32m'));
  // No cursor movement or erase sequences, only SGR colour.
  t.false(/\u001B\[[0-9;]*[A-HJKSTf]/.test(coloured));
});

test('its prompter refuses a question and names the flag; a default answers and is reported', async (t) => {
  const { reporter, stderr } = setup();
  t.false(reporter.prompter.interactive);
  const choices = [
    { label: '192.168.1.2 (eth0)', value: '192.168.1.2' },
    { label: '10.0.0.2 (eth1)', value: '10.0.0.2' },
  ];
  const refused = await t.throwsAsync(reporter.prompter.select('Which address should flannel advertise?', choices, { flag: '--advertise-address' }), {
    instanceOf: IgniteError,
  });
  t.is(refused?.kind, 'usage');
  t.is(refused?.hint, 'Pass --advertise-address with one of: 192.168.1.2, 10.0.0.2.');
  const picked = await reporter.prompter.select('Which address should flannel advertise?', choices, {
    flag: '--advertise-address',
    defaultWithoutTty: '192.168.1.2',
  });
  t.is(picked, '192.168.1.2');
  reporter.emit({ type: 'step-start', id: 'advertise-address', title: 'Choose the address' });
  await reporter.prompter.confirm('Use it?', { flag: '--yes', defaultWithoutTty: true });
  t.deepEqual(stderr.lines, [
    '  [WARN] no terminal to ask "Which address should flannel advertise?"; using 192.168.1.2 (eth0) — pass --advertise-address to choose',
    '› advertise-address  Choose the address',
    '  [WARN advertise-address] no terminal to ask "Use it?"; using yes — pass --yes to choose',
  ]);
});

test('a cancelled cleanup (the operator said no) ends as cancelled with its exit code, not as failed', (t) => {
  const { reporter, stderr } = setup();
  const error = toErrorView(new IgniteError('interrupted', 'cleanup cancelled; nothing was changed', { hint: 'Run it again and answer yes, or pass --yes.', cancelled: true }));
  t.true(error.cancelled);
  reporter.emit({ type: 'command-start', command: 'cleanup' });
  reporter.emit({ type: 'step-fail', id: 'confirm', title: 'Confirm', durationMs: 5, error });
  reporter.emit({ type: 'command-end', ok: false, exitCode: 130, durationMs: 900, error, leftInPlace: [] });
  t.deepEqual(stderr.lines, [
    '↷ confirm  Confirm (5ms)',
    '  cancelled: cleanup cancelled; nothing was changed',
    '  hint: Run it again and answer yes, or pass --yes.',
    '↷ cleanup cancelled (exit 130)',
  ]);
  t.false(stderr.text.includes('failed'));
});
