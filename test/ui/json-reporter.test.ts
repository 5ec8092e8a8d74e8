import test from 'ava';
import type { RunEventBody } from '../../src/core/events.js';
import { createJsonReporter } from '../../src/ui/json-reporter.js';
import { Capture } from './_helpers.js';

const events: RunEventBody[] = [
  { type: 'command-start', command: 'init' },
  { type: 'step-start', id: 'etcd', title: 'Start etcd' },
  { type: 'step-progress', id: 'etcd', message: 'pulling', pull: { image: 'etcd:v3', layers: { a: { status: 'Downloading', current: 1, total: 2 } } } },
  { type: 'check', stepId: 'preflight', check: { name: 'Port-2379', status: 'fail', message: 'in use' } },
  { type: 'warning', message: 'w' },
  {
    type: 'step-fail',
    id: 'etcd',
    title: 'Start etcd',
    durationMs: 12,
    error: { kind: 'etcd', exitCode: 5, message: 'no answer', hint: 'check logs', details: ['line'] },
  },
  { type: 'summary', title: 'Ready', lines: [{ label: 'a', value: 'b' }], next: ['x'] },
  { type: 'command-end', ok: false, exitCode: 5, durationMs: 20, leftInPlace: ['container ignite-etcd'] },
];

test('one JSON object per line on stdout for every event, type and timestamp first', (t) => {
  const stdout = new Capture();
  const clock = () => new Date('2025-01-02T03:04:05.678Z');
  const reporter = createJsonReporter({ stdout, clock });
  for (const event of events) reporter.emit(event);
  const lines = stdout.lines;
  t.is(lines.length, events.length);
  lines.forEach((line, index) => {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    t.deepEqual(Object.keys(parsed).slice(0, 2), ['type', 'timestamp']);
    t.is(parsed['timestamp'], '2025-01-02T03:04:05.678Z');
    t.deepEqual(parsed, { ...events[index], timestamp: '2025-01-02T03:04:05.678Z' });
  });
  const fail = JSON.parse(lines[5] ?? '{}') as { error?: { kind: string; exitCode: number; hint: string; details: string[] } };
  t.deepEqual(fail.error, { kind: 'etcd', exitCode: 5, message: 'no answer', hint: 'check logs', details: ['line'] });
});

test('the timestamp is the time of emitting, ISO 8601', (t) => {
  const stdout = new Capture();
  const reporter = createJsonReporter({ stdout });
  const before = Date.now();
  reporter.emit({ type: 'command-start', command: 'cleanup' });
  const parsed = JSON.parse(stdout.lines[0] ?? '{}') as { timestamp: string };
  t.regex(parsed.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.true(Date.parse(parsed.timestamp) >= before - 1);
});

test('no question is asked with --json: refused with the flag, or a default reported as a warning event', async (t) => {
  const stdout = new Capture();
  const reporter = createJsonReporter({ stdout, clock: () => new Date(0) });
  const error = await t.throwsAsync(reporter.prompter.confirm('Replace 10-flannel.conflist?', { flag: '--force' }));
  t.regex(error?.message ?? '', /cannot ask "Replace 10-flannel.conflist\?": nothing is asked with --json/);
  t.deepEqual(stdout.lines, []);
  t.true(await reporter.prompter.confirm('Replace 10-flannel.conflist?', { flag: '--force', defaultWithoutTty: true }));
  t.deepEqual(
    stdout.lines.map((line) => JSON.parse(line) as unknown),
    [
      {
        type: 'warning',
        timestamp: '1970-01-01T00:00:00.000Z',
        message: 'no terminal to ask "Replace 10-flannel.conflist?"; using yes',
        hint: 'pass --force to choose',
      },
    ],
  );
});
