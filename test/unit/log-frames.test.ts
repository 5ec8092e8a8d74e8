// The one container-log decoder (src/adapters/docker/log-frames.ts), whole and in chunks.
import test from 'ava';
import { decodeLog, LogDecoder, logBytes } from '../../src/adapters/docker/log-frames.js';

function frame(stream: 1 | 2, text: string | Buffer): Buffer {
  const payload = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

test('decodeLog: frames of both streams, and raw TTY output', (t) => {
  t.deepEqual(decodeLog(Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n'), frame(1, 'c')])), [
    { stream: 'stdout', text: 'a' },
    { stream: 'stderr', text: 'b' },
    { stream: 'stdout', text: 'c' },
  ]);
  t.deepEqual(decodeLog(Buffer.from('plain tty\n')), [{ stream: 'stdout', text: 'plain tty' }]);
  t.deepEqual(decodeLog(Buffer.alloc(0)), []);
});

test('LogDecoder gives the same lines as decodeLog whatever the chunk boundaries', (t) => {
  const euro = Buffer.from('€ price\n'); // a 3-byte character, to be cut in the middle
  const whole = Buffer.concat([frame(1, 'first line\nsecond '), frame(2, 'err line\n'), frame(1, 'half\n'), frame(1, euro)]);
  const expected = [
    { stream: 'stdout', text: 'first line' },
    { stream: 'stderr', text: 'err line' },
    { stream: 'stdout', text: 'second half' },
    { stream: 'stdout', text: '€ price' },
  ];
  t.deepEqual(decodeLog(whole), expected, 'each stream\'s lines stay whole');
  for (const size of [1, 3, 7, 8, 9, 64]) {
    const decoder = new LogDecoder();
    const lines = [];
    for (let at = 0; at < whole.length; at += size) lines.push(...decoder.push(whole.subarray(at, at + size)));
    lines.push(...decoder.end());
    t.deepEqual(lines, expected, `chunks of ${size}`);
  }
});

test('LogDecoder takes a TTY container\'s unframed log as text and flushes a last line without newline', (t) => {
  const decoder = new LogDecoder();
  t.deepEqual(decoder.push(Buffer.from('plain text\r\nmore')), [{ stream: 'stdout', text: 'plain text' }]);
  t.deepEqual(decoder.end(), [{ stream: 'stdout', text: 'more' }]);
  const short = new LogDecoder();
  t.deepEqual(short.push(Buffer.from('hi')), [], 'under 8 bytes it cannot tell yet');
  t.deepEqual(short.end(), [{ stream: 'stdout', text: 'hi' }]);
});

test('logBytes: a logs answer docker-modem parsed as JSON goes back to bytes', (t) => {
  t.deepEqual(logBytes(Buffer.from('x')), Buffer.from('x'));
  t.deepEqual(logBytes('text'), Buffer.from('text'));
  t.deepEqual(logBytes({ level: 'info' }), Buffer.from('{"level":"info"}'));
});

test('every line leaves the decoder redacted: the etcdPassword field always, known secrets anywhere, also when cut between chunks', (t) => {
  const whole = decodeLog(Buffer.concat([frame(1, 'CLI flags config: {etcdUsername:u etcdPassword:s3cret help:false}\n'), frame(2, 'retry with s3cret\n')]), ['s3cret']);
  t.deepEqual(whole, [
    { stream: 'stdout', text: 'CLI flags config: {etcdUsername:u etcdPassword:[redacted] help:false}' },
    { stream: 'stderr', text: 'retry with [redacted]' },
  ]);
  t.deepEqual(decodeLog(frame(1, '{etcdPassword:s3cret}\n')), [{ stream: 'stdout', text: '{etcdPassword:[redacted]}' }], 'no known secrets: the field still');

  // The password split across two frames and two chunks: lines are redacted only once whole.
  const decoder = new LogDecoder(['s3cret']);
  const bytes = Buffer.concat([frame(1, 'say s3'), frame(1, 'cret now\nand s3cret at the end')]);
  const lines = [];
  for (let i = 0; i < bytes.length; i += 5) lines.push(...decoder.push(bytes.subarray(i, i + 5)));
  lines.push(...decoder.end());
  t.deepEqual(lines.map((l) => l.text), ['say [redacted] now', 'and [redacted] at the end']);
});
