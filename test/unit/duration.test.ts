import test from 'ava';
import { formatDuration } from '../../src/core/duration.js';

test('formatDuration: milliseconds, seconds to a tenth without a trailing .0, then minutes', (t) => {
  t.is(formatDuration(0), '0ms');
  t.is(formatDuration(0.3), '<1ms');
  t.is(formatDuration(0.6), '1ms');
  t.is(formatDuration(-3), '0ms');
  t.is(formatDuration(12), '12ms');
  t.is(formatDuration(999.4), '999ms');
  t.is(formatDuration(999.6), '1s');
  t.is(formatDuration(1_000), '1s');
  t.is(formatDuration(1_234), '1.2s');
  t.is(formatDuration(1_500), '1.5s');
  t.is(formatDuration(6_000), '6s');
  t.is(formatDuration(59_940), '59.9s');
  t.is(formatDuration(59_960), '1m 00s');
  t.is(formatDuration(60_000), '1m 00s');
  t.is(formatDuration(61_000), '1m 01s');
  t.is(formatDuration(125_000), '2m 05s');
});
