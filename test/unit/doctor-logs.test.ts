// Pure parts of `ignite-net logs` (issue 3, with doctor): timestamps and the merge (the frame decoder: log-frames.test.ts).
import test from 'ava';
import { formatLine, jsonLine, mergeByTime, splitTimestamp } from '../../src/commands/logs.js';

test('splitTimestamp takes Docker\'s RFC 3339 prefix off', (t) => {
  t.deepEqual(splitTimestamp('2025-01-02T03:04:05.123456789Z I0102 lease acquired'), { time: '2025-01-02T03:04:05.123456789Z', text: 'I0102 lease acquired' });
  t.deepEqual(splitTimestamp('no time here'), { text: 'no time here' });
});

test('mergeByTime interleaves containers by time (nanoseconds, trimmed zeros) and keeps each one\'s order', (t) => {
  const etcd = [
    { container: 'ignite-etcd', stream: 'stderr' as const, time: '2025-01-02T03:04:05.1Z', text: 'e1' },
    { container: 'ignite-etcd', stream: 'stderr' as const, time: '2025-01-02T03:04:05.300000001Z', text: 'e2' },
    { container: 'ignite-etcd', stream: 'stderr' as const, time: '2025-01-02T03:04:05.300000001Z', text: 'e3' },
  ];
  const flannel = [
    { container: 'ignite-flannel', stream: 'stdout' as const, time: '2025-01-02T03:04:05.25Z', text: 'f1' },
    { container: 'ignite-flannel', stream: 'stdout' as const, time: '2025-01-02T03:04:06Z', text: 'f2' },
  ];
  t.deepEqual(mergeByTime([etcd, flannel]).map((l) => l.text), ['e1', 'f1', 'e2', 'e3', 'f2']);
  t.is(formatLine(flannel[0]!, 14), 'ignite-flannel | f1');
  t.is(formatLine(etcd[0]!, 14), 'ignite-etcd    | e1');
  t.is(formatLine(etcd[0]!, undefined), 'e1', 'one container: lines as they are');
});

test('jsonLine: one JSON object with container, stream, time and text, on one line whatever the text holds', (t) => {
  const line = { container: 'ignite-flannel', stream: 'stderr' as const, time: '2025-01-02T03:04:05.25Z', text: 'I0102 "quoted" \\ back\u001b[0m tab\there' };
  const out = jsonLine(line);
  t.false(out.includes('\n'));
  t.deepEqual(Object.keys(JSON.parse(out) as object), ['container', 'stream', 'time', 'text']);
  t.deepEqual(JSON.parse(out), line);
  // A line Docker gave no timestamp: time is null, not missing (every object has the same keys).
  t.deepEqual(JSON.parse(jsonLine({ container: 'ignite-etcd', stream: 'stdout', text: 'x' })), { container: 'ignite-etcd', stream: 'stdout', time: null, text: 'x' });
});
