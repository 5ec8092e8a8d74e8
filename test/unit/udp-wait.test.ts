import test from 'ava';
import { udpRejectionWaitMs, UDP_WAIT_MAX_MS, UDP_WAIT_MIN_MS } from '../../src/net/udp-wait.js';

test('the wait for a UDP rejection is ten measured round trips, between 25 ms and 1 s', (t) => {
  t.is(UDP_WAIT_MIN_MS, 25);
  t.is(udpRejectionWaitMs(1), UDP_WAIT_MIN_MS, 'a 1 ms round trip still waits 25 ms');
  t.is(udpRejectionWaitMs(0.3), UDP_WAIT_MIN_MS);
  t.is(udpRejectionWaitMs(0), UDP_WAIT_MIN_MS);
  t.is(udpRejectionWaitMs(2.6), 26);
  t.is(udpRejectionWaitMs(35), 350);
  t.is(udpRejectionWaitMs(12.3), 123);
  t.is(udpRejectionWaitMs(250), UDP_WAIT_MAX_MS, 'a slow link waits no longer than before');
  t.is(udpRejectionWaitMs(undefined), UDP_WAIT_MAX_MS, 'no round trip measured (doctor): the full second');
  t.is(udpRejectionWaitMs(Number.NaN), UDP_WAIT_MAX_MS);
  t.is(udpRejectionWaitMs(-1), UDP_WAIT_MAX_MS);
});
