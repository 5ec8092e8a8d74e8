import test from 'ava';
import { render as inkRender } from 'ink';
import { render } from 'ink-testing-library';
import type { ErrorView } from '../../src/core/errors.js';
import { IgniteError } from '../../src/core/errors.js';
import type { RunEventBody } from '../../src/core/events.js';
import { createEventStore } from '../../src/ui/event-store.js';
import type { EventStore } from '../../src/ui/event-store.js';
import { App } from '../../src/ui/ink/App.js';
import { createInkPrompter } from '../../src/ui/ink/prompter.js';
import { waitForFrame } from '../_helpers/frames.js';
import { Capture, FakeStdin, TS, at } from './_helpers.js';

function mount(onInterrupt = () => {}) {
  const store = createEventStore();
  const screen = render(<App store={store} color={false} onInterrupt={onInterrupt} />);
  const emit = (...events: RunEventBody[]) => {
    for (const event of events) store.dispatch({ kind: 'event', event: at(event, new Date().toISOString()) });
  };
  /** The frame once it shows what the test waits for: the last event dispatched, a key's effect. */
  const frame = (shows: string | ((frame: string) => boolean)) =>
    waitForFrame(screen.lastFrame, typeof shows === 'string' ? (f) => f.includes(shows) : shows);
  return { store, emit, frame, ...screen };
}

const spinnerFrames = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

test('a running step shows a spinner, its title and its latest progress message', async (t) => {
  const { emit, frame, unmount } = mount();
  emit({ type: 'step-start', id: 'etcd', title: 'Start etcd' }, { type: 'step-progress', id: 'etcd', message: 'waiting for 127.0.0.1:2379' });
  const screen = await frame('waiting for 127.0.0.1:2379');
  t.regex(screen, new RegExp(`^${spinnerFrames.source} Start etcd`, 'm'));
  t.regex(screen, /^ {2}waiting for 127\.0\.0\.1:2379$/m);
  t.notRegex(screen, /✔/);
  unmount();
});

test('a long-running step shows the time so far', async (t) => {
  const { store, frame, unmount } = mount();
  store.dispatch({ kind: 'event', event: { type: 'step-start', id: 'etcd', title: 'Start etcd', timestamp: new Date(Date.now() - 12_500).toISOString() } });
  t.regex(await frame('Start etcd'), /Start etcd 12s/);
  unmount();
});

test('a succeeded step shows ✔, its title, duration and detail, and no spinner', async (t) => {
  const { emit, frame, unmount } = mount();
  emit(
    { type: 'step-start', id: 'subnet', title: 'Lease a subnet' },
    { type: 'step-success', id: 'subnet', title: 'Lease a subnet', durationMs: 1234, detail: '10.50.31.0/24' },
  );
  const screen = await frame('Lease a subnet');
  t.regex(screen, /^✔ Lease a subnet \(1\.2s\) 10\.50\.31\.0\/24$/m);
  t.notRegex(screen, spinnerFrames);
  unmount();
});

test('a skipped step shows ↷ and the reason', async (t) => {
  const { emit, frame, unmount } = mount();
  emit({ type: 'step-skip', id: 'pull', title: 'Pull images', reason: 'images present' });
  t.regex(await frame('Pull images'), /^↷ Pull images — skipped: images present$/m);
  unmount();
});

const etcdError: ErrorView = {
  kind: 'etcd',
  exitCode: 5,
  message: 'etcd did not answer on 127.0.0.1:2379 within 60s',
  hint: 'See `docker logs ignite-etcd`.',
  details: ['bind: address already in use'],
};

test('a failed step shows ✖, what failed, why and what to do; the end line does not repeat it', async (t) => {
  const { emit, frame, unmount } = mount();
  emit(
    { type: 'command-start', command: 'init' },
    { type: 'step-start', id: 'etcd', title: 'Start etcd' },
    { type: 'step-fail', id: 'etcd', title: 'Start etcd', durationMs: 60_000, error: etcdError },
    { type: 'undo', id: 'u', title: 'Remove container ignite-etcd', ok: true },
    { type: 'command-end', ok: false, exitCode: 5, durationMs: 61_000, error: etcdError, leftInPlace: ['volume ignite-etcd-data'] },
  );
  const lines = (await frame('init failed')).split('\n');
  const at = lines.indexOf('✖ Start etcd (1m 00s)');
  t.true(at >= 0, lines.join('\n'));
  t.deepEqual(lines.slice(at + 1, at + 4), [
    '  error: etcd did not answer on 127.0.0.1:2379 within 60s',
    '    bind: address already in use',
    '  hint: See `docker logs ignite-etcd`.',
  ]);
  t.true(lines.includes('↶ undone: Remove container ignite-etcd'));
  t.true(lines.includes('✖ init failed after 1m 01s (exit 5)'));
  t.true(lines.includes('    - volume ignite-etcd-data'));
  t.is(lines.filter((line) => line.includes('error: etcd did not answer')).length, 1);
  unmount();
});

test('an error outside any step (the host lock) is shown before the end line, not after it', async (t) => {
  const { emit, frame, unmount } = mount();
  const error: ErrorView = { kind: 'permission', exitCode: 9, message: 'cannot create the lock /etc/passwd/lock: /etc/passwd exists but is not a directory', hint: 'Pass a --state-dir that is a directory (or does not exist yet).', details: [] };
  emit({ type: 'command-start', command: 'init' }, { type: 'command-end', ok: false, exitCode: 9, durationMs: 2, error, leftInPlace: [] });
  const lines = (await frame('init failed')).split('\n');
  const errorAt = lines.findIndex((l) => l.startsWith('error: cannot create the lock'));
  const endAt = lines.findIndex((l) => l.startsWith('✖ init failed after'));
  t.true(errorAt >= 0 && endAt > errorAt, lines.join('\n'));
  t.is(lines[errorAt + 1], 'hint: Pass a --state-dir that is a directory (or does not exist yet).');
  unmount();
});

test('a cancelled cleanup shows ↷ and "cleanup cancelled (exit 130)", not ✖ failed', async (t) => {
  const { emit, frame, unmount } = mount();
  const error: ErrorView = { kind: 'interrupted', exitCode: 130, message: 'cleanup cancelled; nothing was changed', hint: 'Run it again and answer yes, or pass --yes.', details: [], cancelled: true };
  emit(
    { type: 'command-start', command: 'cleanup' },
    { type: 'step-start', id: 'confirm', title: 'Confirm' },
    { type: 'step-fail', id: 'confirm', title: 'Confirm', durationMs: 5, error },
    { type: 'command-end', ok: false, exitCode: 130, durationMs: 900, error, leftInPlace: [] },
  );
  const lines = (await frame('cleanup cancelled (exit')).split('\n');
  t.true(lines.includes('↷ Confirm (5ms)'), lines.join('\n'));
  t.true(lines.includes('  cancelled: cleanup cancelled; nothing was changed'));
  t.true(lines.includes('↷ cleanup cancelled (exit 130)'));
  t.false(lines.some((l) => l.includes('failed') || l.includes('✖')));
  unmount();
});

test('a preflight lists its error and warning checks under the step and counts the passes', async (t) => {
  const { emit, frame, unmount } = mount();
  emit(
    { type: 'step-start', id: 'preflight', title: 'Preflight checks' },
    { type: 'check', stepId: 'preflight', check: { name: 'Docker', status: 'pass', message: 'reachable' } },
    { type: 'check', stepId: 'preflight', check: { name: 'Port-2379', status: 'fail', message: 'port 2379 is in use by etcd (pid 42)', hint: 'stop it, or pass --ignore-preflight-errors=Port-2379' } },
    { type: 'check', stepId: 'preflight', check: { name: 'CNI-flannel', status: 'warn', message: '/opt/cni/bin/flannel is missing' } },
  );
  const running = await frame('CNI-flannel');
  t.regex(running, /Preflight checks\n {2}\[ERROR Port-2379\] port 2379 is in use by etcd \(pid 42\)\n {4}hint: stop it, or pass --ignore-preflight-errors=Port-2379\n {2}\[WARN CNI-flannel\] \/opt\/cni\/bin\/flannel is missing\n {2}1 check passed/);
  emit({
    type: 'step-fail',
    id: 'preflight',
    title: 'Preflight checks',
    durationMs: 300,
    error: { kind: 'preflight', exitCode: 3, message: '1 preflight check failed', details: [] },
  });
  const ended = await frame('1 preflight check failed');
  t.regex(ended, /^✖ Preflight checks \(300ms\)\n {2}\[ERROR Port-2379\]/m);
  t.regex(ended, /error: 1 preflight check failed/);
  unmount();
});

test('pull progress: one line per moving layer (at most five), then what is done, waiting and hidden', async (t) => {
  const { emit, frame, unmount } = mount();
  const layers: Record<string, { status: string; current?: number; total?: number }> = {
    done1: { status: 'Pull complete', total: 1e6 },
    done2: { status: 'Already exists' },
    wait1: { status: 'Waiting' },
  };
  for (let i = 1; i <= 7; i++) layers[`layer${i}`] = { status: 'Downloading', current: i * 1e6, total: 10e6 };
  emit(
    { type: 'step-start', id: 'pull', title: 'Pull images' },
    { type: 'step-progress', id: 'pull', message: 'pulling', pull: { image: 'ghcr.io/flannel-io/flannel:v0.28.9', layers } },
  );
  const screen = await frame('pulling ghcr.io');
  t.regex(screen, /^ {2}pulling ghcr\.io\/flannel-io\/flannel:v0\.28\.9: 2\/10 layers, 29\.0\/71\.0 MB$/m);
  t.regex(screen, /^ {2}layer1 +Downloading +█{2}░{14} +1\.0\/10\.0 MB$/m);
  t.regex(screen, /^ {2}layer5 +Downloading +█{8}░{8} +5\.0\/10\.0 MB$/m);
  t.notRegex(screen, /layer6/);
  t.regex(screen, /^ {2}2 done · 2 more moving · 1 waiting$/m);
  unmount();
});

test('warnings show under their step', async (t) => {
  const { emit, frame, unmount } = mount();
  emit(
    { type: 'step-start', id: 'advertise-address', title: 'Choose the address to advertise' },
    { type: 'warning', stepId: 'advertise-address', message: 'several addresses could serve; picked 192.168.1.2 (eth0)', hint: 'pass --advertise-address to choose' },
  );
  t.regex(await frame('several addresses could serve'), /Choose the address to advertise\n {2}⚠ several addresses could serve; picked 192\.168\.1\.2 \(eth0\) — pass --advertise-address to choose/);
  unmount();
});

test('the summary is a bordered box of aligned label/value lines; the next commands are not in it (the reporter writes them after it)', async (t) => {
  const { emit, frame, unmount } = mount();
  emit(
    { type: 'command-start', command: 'init' },
    {
      type: 'summary',
      title: 'Overlay network ready',
      lines: [
        { label: 'network', value: '10.50.0.0/16' },
        { label: 'this host', value: '10.50.31.0/24' },
      ],
      next: ['sudo ignite-net join 192.168.1.2'],
    },
    { type: 'command-end', ok: true, exitCode: 0, durationMs: 3200, leftInPlace: [] },
  );
  const lines = (await frame('init done')).split('\n').map((line) => line.trimEnd());
  const top = lines.findIndex((line) => line.startsWith('╭'));
  t.true(top >= 0);
  const box = lines.slice(top, lines.findIndex((line) => line.startsWith('╰')) + 1);
  const width = box[0]?.length ?? 0;
  t.true(box.every((line) => line.length === width), 'box edges line up');
  t.deepEqual(
    box.slice(1, -1).map((line) => line.slice(2, -1).trimEnd()),
    ['Overlay network ready', '', 'network    10.50.0.0/16', 'this host  10.50.31.0/24'],
  );
  t.false(lines.some((line) => line.includes('sudo ignite-net join')), 'no command drawn where a border or a wrap would cut it');
  t.true(lines.includes('✔ init done in 3.2s'));
  unmount();
});

test('on a narrow terminal long lines wrap inside the width instead of overflowing', async (t) => {
  const store = createEventStore();
  const stdout = new Capture(true, 40);
  const instance = inkRender(<App store={store} color={false} />, {
    // ink wants Node streams; these fakes implement what it uses (write, columns, events, raw mode).
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
    debug: true,
    patchConsole: false,
  });
  const long = 'advertise 192.168.100.200 on interface enp0s31f6 and route 10.50.0.0/16 through flannel0';
  store.dispatch({ kind: 'event', event: at({ type: 'step-success', id: 'a', title: long, durationMs: 5 }) });
  store.dispatch({ kind: 'event', event: at({ type: 'summary', title: 'Ready', lines: [{ label: 'route', value: long }], next: [long] }) });
  await waitForFrame(() => stdout.chunks.at(-1), (f) => f.includes('╰'));
  instance.unmount();
  const frame = [...stdout.chunks].reverse().find((chunk) => chunk.includes('╰')) ?? '';
  const lines = frame.split('\n');
  t.true(lines.length > 8);
  for (const line of lines) t.true(line.length <= 40, `too wide: ${JSON.stringify(line)}`);
  t.true(frame.replace(/[\s│]+/g, ' ').includes('enp0s31f6'));
});

async function withPrompt(t: { teardown(fn: () => void): void }) {
  const interrupts: number[] = [];
  const screen = mount(() => interrupts.push(1));
  t.teardown(() => screen.unmount());
  const prompter = createInkPrompter(screen.store);
  return { ...screen, prompter, interrupts };
}

const addresses = [
  { label: '192.168.1.2 (eth0)', value: '192.168.1.2', description: 'default route' },
  { label: '10.0.0.2 (eth1)', value: '10.0.0.2', description: 'private' },
  { label: '172.17.0.1 (docker0)', value: '172.17.0.1' },
];

test('select: shows the choices with descriptions; ↓ and enter resolve the second value', async (t) => {
  const { prompter, stdin, frame } = await withPrompt(t);
  t.true(prompter.interactive);
  const answer = prompter.select('Which address should flannel advertise?', addresses, { flag: '--advertise-address' });
  const shown = await frame('Which address should flannel advertise?');
  t.regex(shown, /\? Which address should flannel advertise\? \(or pass --advertise-address\)/);
  t.regex(shown, /^❯ 192\.168\.1\.2 \(eth0\) {2}default route$/m);
  t.regex(shown, /^ {2}10\.0\.0\.2 \(eth1\) {2}private$/m);
  stdin.write('\u001B[B');
  t.regex(await frame((f) => !f.includes('❯ 192.168.1.2')), /^❯ 10\.0\.0\.2 \(eth1\)/m);
  stdin.write('\r');
  t.is(await answer, '10.0.0.2');
  const after = await frame((f) => /advertise\? 10\.0\.0\.2/.test(f));
  t.regex(after, /^\? Which address should flannel advertise\? 10\.0\.0\.2 \(eth1\)$/m);
  t.notRegex(after, /❯/);
});

test('select: ↑ wraps to the last choice; the default is preselected', async (t) => {
  const { prompter, stdin, frame } = await withPrompt(t);
  const answer = prompter.select('Which address?', addresses, { flag: '--advertise-address', defaultWithoutTty: '10.0.0.2' });
  t.regex(await frame('Which address?'), /^❯ 10\.0\.0\.2/m);
  stdin.write('\u001B[A');
  await frame('❯ 192.168.1.2');
  stdin.write('\u001B[A');
  await frame('❯ 172.17.0.1');
  stdin.write('\r');
  t.is(await answer, '172.17.0.1');
});

test('confirm: y answers yes; enter takes the default', async (t) => {
  const { prompter, stdin, frame } = await withPrompt(t);
  const yes = prompter.confirm('Replace /etc/cni/net.d/10-flannel.conflist?', { flag: '--force' });
  t.regex(await frame('Replace /etc/cni'), /\? Replace \/etc\/cni\/net\.d\/10-flannel\.conflist\? \(y\/N\) \(or pass --force\)/);
  stdin.write('y');
  t.true(await yes);
  const byDefault = prompter.confirm('Keep going?', { flag: '--yes', initial: true });
  t.regex(await frame('Keep going?'), /Keep going\? \(Y\/n\)/);
  stdin.write('\r');
  t.true(await byDefault);
  const no = prompter.confirm('Really?', { flag: '--yes', initial: true });
  await frame('Really?');
  stdin.write('n');
  t.false(await no);
});

test('text: a refused answer shows the validation message; a valid one resolves', async (t) => {
  const { prompter, stdin, frame } = await withPrompt(t);
  let settled = false;
  const answer = prompter.text('etcd endpoint?', {
    flag: '--etcd-endpoint',
    validate: (value) => (/^[\w.-]+:\d+$/.test(value) ? undefined : 'expected host:port, e.g. 192.168.1.2:2379'),
  });
  void answer.then(() => (settled = true));
  await frame('etcd endpoint?');
  stdin.write('node1');
  t.regex(await frame('node1'), /^❯ node1▏$/m);
  stdin.write('\r');
  t.regex(await frame('expected host:port'), /^✖ expected host:port, e\.g\. 192\.168\.1\.2:2379$/m);
  t.false(settled);
  stdin.write('\u007F');
  stdin.write('1:2379');
  const fixed = await frame('node1:2379');
  t.regex(fixed, /^❯ node1:2379▏$/m);
  t.notRegex(fixed, /expected host:port/, 'editing clears the message');
  stdin.write('\r');
  t.is(await answer, 'node1:2379');
});

test('text: a pasted address with its Enter in one chunk is submitted', async (t) => {
  const { prompter, stdin, frame } = await withPrompt(t);
  const answer = prompter.text('etcd endpoint?', { flag: '--etcd-endpoint' });
  await frame('etcd endpoint?');
  stdin.write('192.168.1.2:2379\r');
  t.is(await answer, '192.168.1.2:2379');
});

test('text: several backspaces in one chunk all apply; Ctrl-U clears the line; Ctrl-W deletes a word', async (t) => {
  const { prompter, stdin, frame } = await withPrompt(t);
  const answer = prompter.text('etcd endpoint?', { flag: '--etcd-endpoint' });
  await frame('etcd endpoint?');
  stdin.write('10.0.0.9:2380');
  await frame('10.0.0.9:2380');
  stdin.write('\u007F\u007F\u007F\u007F');
  t.regex(await frame((f) => /^❯ 10\.0\.0\.9:▏$/m.test(f)), /^❯ 10\.0\.0\.9:▏$/m);
  stdin.write('\u0015');
  t.regex(await frame((f) => /^❯ ▏$/m.test(f)), /^❯ ▏$/m);
  stdin.write('wrong words');
  await frame('wrong words');
  stdin.write('\u0017');
  t.regex(await frame((f) => /^❯ wrong ▏$/m.test(f)), /^❯ wrong ▏$/m);
  stdin.write('\u0015192.168.1.2:2379\r');
  t.is(await answer, '192.168.1.2:2379');
});

test('Ctrl-C in a prompt rejects it as interrupted and tells the command', async (t) => {
  const { prompter, stdin, frame, interrupts } = await withPrompt(t);
  const answer = prompter.confirm('Proceed?', { flag: '--yes' });
  await frame('Proceed?');
  stdin.write('\u0003');
  const error = await t.throwsAsync(answer, { instanceOf: IgniteError });
  t.is(error?.kind, 'interrupted');
  t.deepEqual(interrupts, [1]);
  await t.notThrowsAsync(frame((f) => !f.includes('Proceed?')), 'the question leaves the screen');
});

test('the App only renders: a store fed by hand gives the same screen (no logic in components)', async (t) => {
  const store: EventStore = createEventStore();
  store.dispatch({ kind: 'event', event: { type: 'step-skip', id: 's', title: 'Skipped', reason: 'r', timestamp: TS } });
  const { lastFrame, unmount } = render(<App store={store} color={false} />);
  t.is(await waitForFrame(lastFrame, (f) => f.includes('Skipped')), '↷ Skipped — skipped: r\n');
  unmount();
});
