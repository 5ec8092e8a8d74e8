// Pure parts of `ignite-net logs` (issue 3, with doctor): the streaming frame decoder and the merge.
import test from 'ava';
import { demuxLogs, LogDecoder } from '../../src/adapters/docker.js';
import { formatLine, mergeByTime, splitTimestamp } from '../../src/commands/logs.js';

function frame(stream: 1 | 2, text: string | Buffer): Buffer {
  const payload = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

test('LogDecoder gives the same lines as demuxLogs whatever the chunk boundaries', (t) => {
  const euro = Buffer.from('€ price\n'); // a 3-byte character, to be cut in the middle
  const whole = Buffer.concat([frame(1, 'first line\nsecond '), frame(2, 'err line\n'), frame(1, 'half\n'), frame(1, euro)]);
  for (const size of [1, 3, 7, 8, 9, 64]) {
    const decoder = new LogDecoder();
    const lines = [];
    for (let at = 0; at < whole.length; at += size) lines.push(...decoder.push(whole.subarray(at, at + size)));
    lines.push(...decoder.end());
    t.deepEqual(
      lines,
      [
        { stream: 'stdout', text: 'first line' },
        { stream: 'stderr', text: 'err line' },
        { stream: 'stdout', text: 'second half' },
        { stream: 'stdout', text: '€ price' },
      ],
      `chunks of ${size}`,
    );
  }
  t.is(demuxLogs(whole), 'first line\nsecond err line\nhalf\n€ price\n', 'demuxLogs joins streams; the decoder keeps each stream\'s lines whole');
});

test('LogDecoder takes a TTY container\'s unframed log as text and flushes a last line without newline', (t) => {
  const decoder = new LogDecoder();
  t.deepEqual(decoder.push(Buffer.from('plain text\r\nmore')), [{ stream: 'stdout', text: 'plain text' }]);
  t.deepEqual(decoder.end(), [{ stream: 'stdout', text: 'more' }]);
  const short = new LogDecoder();
  t.deepEqual(short.push(Buffer.from('hi')), [], 'under 8 bytes it cannot tell yet');
  t.deepEqual(short.end(), [{ stream: 'stdout', text: 'hi' }]);
});

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
