import test from 'ava';
import { IgniteError } from '../../src/core/errors.js';
import { clockSkewMs, evaluatePeerProbe, MAX_CLOCK_SKEW_MS } from '../../src/doctor/control-plane.js';

const member = { name: 'm-10-0-0-2', peerUrls: ['https://10.0.0.2:2380'] };
const SENT = Date.parse('2026-12-02T10:00:00.000Z');

/** A probe answered after `rttMs`, the member's clock `skewMs` ahead of ours in the middle of the trip. */
const probe = (skewMs: number, rttMs = 4) => ({ sentAt: SENT, receivedAt: SENT + rttMs, memberNow: new Date(SENT + rttMs / 2 + skewMs) });

test('clock skew is the member clock minus the middle of the round trip', (t) => {
  t.is(clockSkewMs(probe(0)), 0);
  t.is(clockSkewMs(probe(250, 40)), 250);
  t.is(clockSkewMs(probe(-1_500)), -1_500);
});

test('a member that answers over peer TLS with its clock within 1 s passes; more is a warning either way', (t) => {
  const ok = evaluatePeerProbe(member, probe(12));
  t.is(ok.status, 'pass');
  t.is(ok.message, 'https://10.0.0.2:2380 (member m-10-0-0-2) answers over peer TLS (2380/tcp), round trip 4ms; its clock is 12ms ahead of this host\'s');
  t.is(evaluatePeerProbe(member, probe(MAX_CLOCK_SKEW_MS)).status, 'pass', 'etcd warns above 1 s, not at it');
  const ahead = evaluatePeerProbe(member, probe(1_500));
  t.is(ahead.status, 'warn');
  t.regex(ahead.message, /its clock is 1\.5s ahead of this host's \(more than 1s; round trip 4ms\)$/);
  t.regex(ahead.hint ?? '', /chrony or systemd-timesyncd/);
  const behind = evaluatePeerProbe(member, probe(-3_000));
  t.is(behind.status, 'warn');
  t.regex(behind.message, /3s behind this host's/);
});

test('a member that does not answer, or refuses peer TLS, fails with the probe\'s hint', (t) => {
  const down = evaluatePeerProbe(member, new IgniteError('peer', 'https://10.0.0.2:2380 is not reachable (ECONNREFUSED)', { hint: 'Is 2380/tcp open between the control-plane hosts, and etcd running on 10.0.0.2?' }));
  t.is(down.status, 'fail');
  t.is(down.message, 'https://10.0.0.2:2380 (member m-10-0-0-2): https://10.0.0.2:2380 is not reachable (ECONNREFUSED)');
  t.regex(down.hint ?? '', /2380\/tcp open/);
  const unnamed = evaluatePeerProbe({ name: '', peerUrls: ['https://[fd00::3]:2380'] }, new Error('socket hang up'));
  t.is(unnamed.status, 'fail');
  t.regex(unnamed.message, /^https:\/\/\[fd00::3\]:2380 \(member not started\): socket hang up$/);
  t.regex(unnamed.hint ?? '', /etcd running on fd00::3\?/);
});
