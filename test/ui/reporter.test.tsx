import test from 'ava';
import { IgniteError } from '../../src/core/errors.js';
import { createInkReporter } from '../../src/ui/ink/reporter.js';
import { createReporter } from '../../src/ui/reporter.js';
import type { ReporterStreams } from '../../src/ui/reporter.js';
import { Capture, FakeStdin, delay, stripAnsi } from './_helpers.js';

function streams(stdoutTty: boolean) {
  const stdout = new Capture(stdoutTty);
  const stderr = new Capture(true, 60);
  const stdin = new FakeStdin();
  // The fakes implement what the reporters and ink use (write, isTTY, columns, events, read, raw mode).
  const forReporter = { stdout, stderr, stdin, env: {} } as unknown as ReporterStreams;
  return { stdout, stderr, stdin, forReporter };
}

test('createReporter gives the reporter of the mode', async (t) => {
  const plain = streams(false);
  const plainReporter = await createReporter('plain', plain.forReporter);
  t.is(plainReporter.mode, 'plain');
  plainReporter.emit({ type: 'step-skip', id: 'a', title: 'A', reason: 'r' });
  t.deepEqual(plain.stderr.lines.map(stripAnsi), ['↷ a  A — skipped: r']);

  const json = streams(false);
  const jsonReporter = await createReporter('json', json.forReporter);
  jsonReporter.emit({ type: 'step-skip', id: 'a', title: 'A', reason: 'r' });
  t.like(JSON.parse(json.stdout.lines[0] ?? '{}'), { type: 'step-skip', id: 'a' });
  t.deepEqual(json.stderr.lines, []);

  const live = streams(true);
  const inkReporter = await createReporter('interactive', live.forReporter);
  t.is(inkReporter.mode, 'interactive');
  t.true(inkReporter.prompter.interactive);
  await inkReporter.close();
});

test('the ink reporter renders to stderr, and close() writes the last frame and unmounts', async (t) => {
  const { stdout, stderr, forReporter } = streams(true);
  const reporter = createInkReporter(forReporter, { onInterrupt: () => {} });
  reporter.emit({ type: 'command-start', command: 'init' });
  reporter.emit({ type: 'step-start', id: 'etcd', title: 'Start etcd' });
  reporter.emit({ type: 'step-success', id: 'etcd', title: 'Start etcd', durationMs: 900 });
  reporter.emit({ type: 'summary', title: 'Overlay network ready', lines: [{ label: 'subnet', value: '10.50.31.0/24' }], next: [] });
  reporter.emit({ type: 'command-end', ok: true, exitCode: 0, durationMs: 1000, leftInPlace: [] });
  await reporter.close();
  const screen = stderr.text;
  t.regex(screen, /✔ Start etcd \(900ms\)/);
  t.regex(screen, /│ subnet {2}10\.50\.31\.0\/24 *│/);
  t.regex(screen, /✔ init done in 1s$/m);
  t.deepEqual(stdout.lines, [], 'stdout is a terminal: the box already showed the result');
  const written = stderr.chunks.length;
  reporter.emit({ type: 'warning', message: 'after close' });
  await delay();
  t.is(stderr.chunks.length, written, 'nothing renders after close');
});

test('on a terminal the next commands follow the box on stdout, each on one line however wide', async (t) => {
  const { stdout, stderr, forReporter } = streams(true);
  const reporter = createInkReporter(forReporter, { onInterrupt: () => {} });
  const join = `sudo ignite-net join 10.0.0.1 --token abcdef.0123456789abcdef --ca-cert-hash sha256:${'a'.repeat(64)}`;
  reporter.emit({ type: 'summary', title: 'Ready', lines: [{ label: 'subnet', value: '10.50.31.0/24' }], next: ['On the next host:', join] });
  reporter.emit({ type: 'command-end', ok: true, exitCode: 0, durationMs: 1000, leftInPlace: [] });
  await reporter.close();
  t.deepEqual(stdout.lines.map(stripAnsi), ['next:', '  On the next host:', `  ${join}`]);
  t.false(stderr.text.includes('--ca-cert-hash'), 'the box on stderr does not draw the command');
});

test('with stdout piped, the interactive reporter still writes the result to stdout', async (t) => {
  const { stdout, forReporter } = streams(false);
  const reporter = createInkReporter(forReporter, { onInterrupt: () => {} });
  reporter.emit({ type: 'summary', title: 'Ready', lines: [{ label: 'subnet', value: '10.50.31.0/24' }], next: ['ignite-net join 10.0.0.1'] });
  await reporter.close();
  t.deepEqual(stdout.lines, ['Ready', '  subnet  10.50.31.0/24', 'next:', '  ignite-net join 10.0.0.1']);
});

test('close() rejects an open question as interrupted', async (t) => {
  const { forReporter } = streams(true);
  const reporter = createInkReporter(forReporter, { onInterrupt: () => {} });
  const answer = reporter.prompter.confirm('Proceed?', { flag: '--yes' });
  await delay();
  await reporter.close();
  const error = await t.throwsAsync(answer, { instanceOf: IgniteError });
  t.is(error?.kind, 'interrupted');
});
