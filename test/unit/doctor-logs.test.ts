// Pure parts of `ignite-net logs` (issue 3, with doctor): timestamps and the merge (the frame decoder: log-frames.test.ts).
import test from 'ava';
import { formatLine, mergeByTime, splitTimestamp } from '../../src/commands/logs.js';

test('splitTimestamp takes Docker\'s RFC 3339 prefix off', (t) => {
  t.deepEqual(splitTimestamp('2025-01-02T03:04:05.123456789Z I0102 lease acquired'), { time: '2025-01-02T03:04:05.123456789Z', text: 'I0102 lease acquired' });
  t.deepEqual(splitTimestamp('no time here'), { text: 'no time here' });
});

test('mergeByTime interleaves containers by time (nanoseconds, trimmed zeros) and keeps each one\'s order', (t) => {
  const etcd = [
    { container: 'ignite-etcd', time: '2025-01-02T03:04:05.1Z', text: 'e1' },
    { container: 'ignite-etcd', time: '2025-01-02T03:04:05.300000001Z', text: 'e2' },
    { container: 'ignite-etcd', time: '2025-01-02T03:04:05.300000001Z', text: 'e3' },
  ];
  const flannel = [
    { container: 'ignite-flannel', time: '2025-01-02T03:04:05.25Z', text: 'f1' },
    { container: 'ignite-flannel', time: '2025-01-02T03:04:06Z', text: 'f2' },
  ];
  t.deepEqual(mergeByTime([etcd, flannel]).map((l) => l.text), ['e1', 'f1', 'e2', 'e3', 'f2']);
  t.is(formatLine(flannel[0]!, 14), 'ignite-flannel | f1');
  t.is(formatLine(etcd[0]!, 14), 'ignite-etcd    | e1');
  t.is(formatLine(etcd[0]!, undefined), 'e1', 'one container: lines as they are');
});
