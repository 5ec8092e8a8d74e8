/**
 * The UI polish items across the whole screen: no SGR code at all under NO_COLOR (even when the
 * terminal library would colour), nothing wider than a 40-column terminal, per-image pull progress
 * in the plain log.
 */
import test from 'ava';
import type { RunEventBody } from '../../src/core/events.js';
import { createEventStore } from '../../src/ui/event-store.js';
import { createPlainReporter } from '../../src/ui/plain-reporter.js';
import { waitForFrame } from '../_helpers/frames.js';
import { Capture, FakeStdin, at } from './_helpers.js';

// chalk (ink's colouring) ignores NO_COLOR, and its level was fixed when ava loaded it: turn it up,
// so only our own switch (color={false}) can keep the codes out. (chalk is ink's dependency and
// ava's, one hoisted copy; imported here only to set that level.)
const chalk = (await import('chalk')).default;
chalk.level = 3;
const { render } = await import('ink');
const { App } = await import('../../src/ui/ink/App.js');
const { createInkPrompter } = await import('../../src/ui/ink/prompter.js');

const SGR = /\u001B\[[0-9;]*m/;

const layers = (count: number): Record<string, { status: string; current?: number; total?: number }> => {
  const result: Record<string, { status: string; current?: number; total?: number }> = {
    sha256done: { status: 'Pull complete', total: 3e6 },
    sha256wait: { status: 'Waiting' },
  };
  for (let i = 1; i <= count; i++) result[`sha256layer${i}abcdef`] = { status: i % 2 ? 'Downloading' : 'Extracting', current: i * 1e6, total: 12e6 };
  return result;
};

const LONG = 'the advertise address 192.168.100.200 on enp0s31f6 is not reachable from the init host';

/** Everything the screen can show: finished steps of every kind, a pull in progress, a question, the box, a failed end. */
const everything: RunEventBody[] = [
  { type: 'command-start', command: 'init' },
  { type: 'step-start', id: 'preflight', title: 'Preflight checks' },
  { type: 'check', stepId: 'preflight', check: { name: 'Port-2379', status: 'fail', message: 'port 2379 is in use', hint: 'pass --ignore-preflight-errors=Port-2379' } },
  { type: 'check', stepId: 'preflight', check: { name: 'Swap', status: 'warn', message: 'swap is on' } },
  { type: 'warning', stepId: 'preflight', message: 'several addresses could serve', hint: 'pass --advertise-address' },
  { type: 'step-success', id: 'preflight', title: 'Preflight checks', durationMs: 12, detail: '9 checks' },
  { type: 'step-skip', id: 'confirm', title: 'Confirm', reason: '--yes given' },
  { type: 'step-start', id: 'etcd', title: 'Start etcd' },
  { type: 'step-fail', id: 'etcd', title: 'Start etcd', durationMs: 60_000, error: { kind: 'timeout', exitCode: 7, message: LONG, details: ['last error: connection refused'], hint: `Check \`docker logs ignite-etcd\`; ${LONG}` } },
  { type: 'undo', id: 'etcd', title: 'remove container ignite-etcd', ok: true },
  { type: 'undo', id: 'vol', title: 'remove volume ignite-etcd-data', ok: false, message: 'in use' },
  { type: 'step-start', id: 'images', title: 'Container images' },
  { type: 'step-progress', id: 'images', message: 'pulling', pull: { image: 'ghcr.io/flannel-io/flannel:v0.28.9', layers: layers(7) } },
  { type: 'summary', title: 'ignite-net: overlay ready', lines: [{ label: 'advertise address', value: '192.168.100.200' }, { label: 'note', value: LONG }], next: [`sudo ignite-net join 192.168.100.200 # ${LONG}`] },
  { type: 'command-end', ok: false, exitCode: 7, durationMs: 61_000, error: { kind: 'timeout', exitCode: 7, message: 'another failure outside any step', details: [], hint: 'do this' }, leftInPlace: ['container ignite-flannel'] },
];

/** Renders App into a fake terminal `columns` wide (debug: whole frames, no cursor codes). */
async function screen(options: { color: boolean; columns: number; ask?: boolean }): Promise<{ frames: string; last: string }> {
  const store = createEventStore();
  const stdout = new Capture(true, options.columns);
  const instance = render(<App store={store} color={options.color} />, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
    debug: true,
    patchConsole: false,
  });
  for (const event of everything) store.dispatch({ kind: 'event', event: at(event, new Date().toISOString()) });
  if (options.ask === true) {
    const prompter = createInkPrompter(store);
    void prompter
      .select('Which address should flannel advertise to the other hosts?', [
        { label: '192.168.100.200 (enp0s31f6)', value: 'a', description: 'default route, the interface flannel would pick' },
        { label: '10.0.0.2 (eth1)', value: 'b' },
      ], { flag: '--advertise-address' })
      .catch(() => {});
  }
  // Drawn to the end: the box (the summary) and, when asked, the question's cursor.
  await waitForFrame(() => stdout.chunks.at(-1), (f) => f.includes('╰') && (options.ask !== true || f.includes('❯')));
  instance.unmount();
  const frames = stdout.text;
  const last = [...stdout.chunks].reverse().find((chunk) => chunk.includes('╰')) ?? '';
  return { frames, last };
}

test('NO_COLOR: the ink UI writes no SGR code at all, even where the terminal library would colour', async (t) => {
  const coloured = await screen({ color: true, columns: 100, ask: true });
  t.regex(coloured.frames, SGR, 'control: with colour on, chalk does colour (FORCE_COLOR took effect)');
  const plain = await screen({ color: false, columns: 100, ask: true });
  const found = [...plain.frames.matchAll(new RegExp(SGR.source, 'g'))].map((m) => plain.frames.slice(Math.max(0, m.index - 30), m.index + 10));
  t.deepEqual(found.slice(0, 5), [], 'SGR codes with colour off');
  t.regex(plain.last, /╭/, 'the box is still drawn');
  t.regex(plain.frames, /error: the advertise address/);
});

test('NO_COLOR: the plain reporter writes no escape code on either stream', (t) => {
  const stdout = new Capture(true);
  const stderr = new Capture(true);
  const reporter = createPlainReporter({ stdout, stderr, env: { NO_COLOR: '1', FORCE_COLOR: '3' } });
  for (const event of everything) reporter.emit(event);
  t.true(stderr.lines.length > 10);
  t.false(stdout.text.includes('\u001B'));
  t.false(stderr.text.includes('\u001B'));
});

test('40 columns: no line overflows, the pull, the question and the box stay readable', async (t) => {
  const { last } = await screen({ color: false, columns: 40, ask: true });
  const lines = last.split('\n');
  for (const line of lines) t.true(line.length <= 40, `too wide (${line.length}): ${JSON.stringify(line)}`);
  const text = last.replace(/[\s│]+/g, ' ');
  t.true(lines.some((line) => line.startsWith('╭')) && lines.some((line) => line.startsWith('╰')), 'the box is drawn');
  t.regex(text, /pulling ghcr\.io\/flannel-io\/flannel:v0\.28\.9: 1\/9 layers/);
  t.is(lines.filter((line) => /^ {2}sha256layer/.test(line)).length, 5, 'at most five layer lines');
  t.regex(text, /1 done · 2 more moving · 1 waiting/);
  t.regex(text, /Which address should flannel advertise/);
  t.regex(text, /❯ 192\.168\.100\.200/);
  t.regex(text, /hint: Check `docker logs ignite-etcd`/);
});

test('several layers moving: the layer lines keep their order as bytes move', async (t) => {
  const store = createEventStore();
  const stdout = new Capture(true, 80);
  const instance = render(<App store={store} color={false} />, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
    debug: true,
    patchConsole: false,
  });
  const now = () => new Date().toISOString();
  const emitPull = (pull: ReturnType<typeof layers>) =>
    store.dispatch({ kind: 'event', event: at({ type: 'step-progress', id: 'images', message: 'pulling', pull: { image: 'etcd:3.6', layers: pull } }, now()) });
  store.dispatch({ kind: 'event', event: at({ type: 'step-start', id: 'images', title: 'Container images' }, now()) });
  const first = layers(4);
  emitPull(first);
  const lastChunk = () => stdout.chunks.at(-1);
  const order = (frame: string) => [...frame.matchAll(/sha256layer(\d)/g)].map((m) => m[1]);
  const before = order(await waitForFrame(lastChunk, (f) => f.includes('etcd:3.6: 1/6 layers')));
  // Layer 3 races ahead, layer 1 finishes: the others keep their relative order, the finished one
  // leaves. Bytes: extracting layers count as downloaded, as docker counts them.
  const second = { ...first, sha256layer3abcdef: { status: 'Downloading', current: 11e6, total: 12e6 }, sha256layer1abcdef: { status: 'Pull complete', total: 12e6 } };
  emitPull(second);
  const frame = await waitForFrame(lastChunk, (f) => f.includes('etcd:3.6: 2/6 layers'));
  const after = order(frame);
  instance.unmount();
  t.deepEqual(before, ['1', '2', '3', '4']);
  t.deepEqual(after, ['2', '3', '4']);
  t.regex(frame, /etcd:3\.6: 2\/6 layers, 50\.0\/51\.0 MB/);
});

test('plain log: each image gets its first and its last pull line, whatever the throttle', (t) => {
  let clock = 0;
  const stdout = new Capture();
  const stderr = new Capture();
  const reporter = createPlainReporter({ stdout, stderr, env: {}, progressIntervalMs: 3000, now: () => clock });
  const pull = (image: string, status: string, current: number) => ({
    type: 'step-progress' as const,
    id: 'images',
    message: `pulling ${image}`,
    pull: { image, layers: { a: { status, current, total: 10e6 }, b: { status: 'Already exists' } } },
  });
  reporter.emit(pull('etcd:3.6', 'Downloading', 1e6));
  clock += 100;
  reporter.emit(pull('etcd:3.6', 'Downloading', 5e6)); // throttled
  clock += 100;
  reporter.emit(pull('etcd:3.6', 'Pull complete', 10e6)); // the last line of this image
  clock += 100;
  reporter.emit(pull('flannel:0.28', 'Downloading', 2e6)); // a new image: its first line
  clock += 100;
  reporter.emit(pull('flannel:0.28', 'Downloading', 3e6)); // throttled
  t.deepEqual(stderr.lines, [
    '  pulling etcd:3.6: 1/2 layers, 1.0/10.0 MB',
    '  pulling etcd:3.6: 2/2 layers, 10.0/10.0 MB',
    '  pulling flannel:0.28: 1/2 layers, 2.0/10.0 MB',
  ]);
  t.deepEqual(stdout.lines, [], 'progress never goes to stdout');
});
