import test from 'ava';
import { wrapWords } from '../../src/ui/format.js';
import { fitHostTable, hostLines, MIN_HOST_WIDTHS } from '../../src/ui/status-columns.js';
import { HOST_COLUMNS } from '../../src/ui/status-text.js';

test('wrapWords breaks at blanks and drops the blank at the break (a line that fills the width exactly)', (t) => {
  t.deepEqual(wrapWords('abc def ghi', 7), ['abc def', 'ghi']);
  t.deepEqual(wrapWords('abc def ghi', 3), ['abc', 'def', 'ghi']);
  t.deepEqual(wrapWords('a  b', 10), ['a  b'], 'blanks inside a line are kept (aligned columns)');
  t.deepEqual(wrapWords('sha256:0123456789', 8), ['sha256:0', '12345678', '9'], 'a word longer than the width is cut');
  t.deepEqual(wrapWords('x sha256:0123456789 y', 8), ['x', 'sha256:0', '12345678', '9 y']);
  t.deepEqual(wrapWords('one\ntwo', 80), ['one', 'two']);
  t.deepEqual(wrapWords('', 5), ['']);
});

const natural = HOST_COLUMNS.map((h) => h.length);

test('fitHostTable: the minimum widths only when they fit; else natural widths; else the reach columns on a second line', (t) => {
  t.deepEqual(fitHostTable(natural, 100), { widths: natural.map((w, i) => Math.max(w, MIN_HOST_WIDTHS[i] ?? 0)), twoLines: false });
  t.deepEqual(fitHostTable(natural, 80), { widths: natural, twoLines: false }, 'an empty table at 80: the header fits whole');
  const wide = [13, 9, 7, 8, 9, 12, 14];
  const fit = fitHostTable(wide, 80);
  t.true(fit.twoLines);
  t.deepEqual(fit.widths, [14, 13, 7, 8, 9]);
  const cells = ['10.50.11.0/24', '10.0.0.11', 'udp', '23h 53m', 'etcd', 'not rejected', 'answered (1ms)'];
  t.deepEqual(hostLines(cells, HOST_COLUMNS, fit), ['  10.50.11.0/24   10.0.0.11      udp      23h 53m   etcd', `${' '.repeat(18)}backend port: not rejected, overlay: answered (1ms)`]);
});
