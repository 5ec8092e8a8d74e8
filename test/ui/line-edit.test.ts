import test from 'ava';
import { chunkFromInk, editLine } from '../../src/ui/line-edit.js';
import type { InkKey } from '../../src/ui/line-edit.js';

const rows: [string, string, string, boolean][] = [
  // [line before, chunk, line after, submitted]
  ['', '192.168.1.2\r', '192.168.1.2', true],
  ['', '192.168.1.2\r\n', '192.168.1.2', true],
  ['', '10.0.0.1\rignored', '10.0.0.1', true],
  ['192.168.1.234', '\u007F\u007F\u007F', '192.168.1.', false],
  ['ab', '\u007F\u007F\u007F\u007F', '', false],
  ['192.168.1.2', '\u0015', '', false],
  ['wrong', '\u0015192.168.1.2\r', '192.168.1.2', true],
  ['join the host', '\u0017', 'join the ', false],
  ['join the  ', '\u0017', 'join ', false],
  ['abc', '\b', 'ab', false],
  ['ab', '\u001B[Dc', 'abc', false],
  ['ab', '\tc\u0001', 'abc', false],
  ['', '\r', '', true],
];

for (const [before, chunk, after, submitted] of rows) {
  test(`editLine(${JSON.stringify(before)}, ${JSON.stringify(chunk)}) → ${JSON.stringify(after)}${submitted ? ' submitted' : ''}`, (t) => {
    t.deepEqual(editLine(before, chunk), { value: after, submitted });
  });
}

const none: InkKey = {
  return: false, backspace: false, delete: false, ctrl: false, meta: false,
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, tab: false, escape: false,
};

test('chunkFromInk gives back the raw chunk ink parsed a single key from', (t) => {
  t.is(chunkFromInk('', { ...none, return: true }), '\r');
  t.is(chunkFromInk('', { ...none, delete: true }), '\u007F');
  t.is(chunkFromInk('u', { ...none, ctrl: true }), '\u0015');
  t.is(chunkFromInk('w', { ...none, ctrl: true }), '\u0017');
  t.is(chunkFromInk('', { ...none, leftArrow: true }), '');
  t.is(chunkFromInk('192.168.1.2\r', none), '192.168.1.2\r', 'a longer chunk reaches useInput unparsed');
});
