import test from 'ava';
import { testLease } from '../_helpers/fakes.js';
import type { Lease } from '../../src/net/lease.js';
import { flannelFlag, leaseExpiresBy, selectLeasesToRelease } from '../../src/net/lease-release.js';

const lease = testLease;

const ME = '192.168.1.3';
const leases = [lease('10.50.11.0/24', '192.168.1.2'), lease('10.50.31.0/24', ME), lease('10.50.40.0/24', '192.168.1.4')];

test('releases the lease with this host\'s PublicIP, never another host\'s', (t) => {
  const { release, keep } = selectLeasesToRelease(leases, { subnet: '10.50.31.0/24', publicIP: ME });
  t.deepEqual(release.map((l) => l.subnet), ['10.50.31.0/24']);
  t.deepEqual(keep, []);
});

test('the recorded subnet now held by another host is kept and said so', (t) => {
  const { release, keep } = selectLeasesToRelease(leases, { subnet: '10.50.40.0/24', publicIP: ME });
  t.deepEqual(release.map((l) => l.subnet), ['10.50.31.0/24'], 'flannel finds its lease by PublicIP, so does cleanup');
  t.deepEqual(keep.map((k) => [k.lease.subnet, k.why]), [['10.50.40.0/24', 'now held by 192.168.1.4']]);
});

test('without a PublicIP, the recorded subnet decides', (t) => {
  t.deepEqual(selectLeasesToRelease(leases, { subnet: '10.50.11.0/24' }).release.map((l) => l.subnet), ['10.50.11.0/24']);
  t.deepEqual(selectLeasesToRelease(leases, {}).release, []);
});

test('a reservation (no etcd lease) and a value flannel would not write are kept', (t) => {
  const reserved = lease('10.50.31.0/24', ME, { reserved: true });
  const odd = lease('10.50.32.0/24', ME, { problem: 'value is not a JSON object' });
  const { release, keep } = selectLeasesToRelease([reserved, odd], { subnet: '10.50.31.0/24', publicIP: ME });
  t.deepEqual(release, []);
  t.deepEqual(keep.map((k) => k.why), ['a reservation (no TTL): kept for this host on purpose', 'not written by flannel (value is not a JSON object)']);
});

const H = 3600 * 1000;

test('expiry bound: 24 h after the last renewal, flannel renewing 1 h before expiry', (t) => {
  const acquired = new Date('2025-01-01T00:00:00Z');
  t.is(leaseExpiresBy(new Date(acquired.getTime() + 2 * H), acquired).toISOString(), '2025-01-02T00:00:00.000Z');
  // renewed at 23 h: expires 47 h after it was taken
  t.is(leaseExpiresBy(new Date(acquired.getTime() + 23 * H + 1), acquired).toISOString(), '2025-01-02T23:00:00.000Z');
  t.is(leaseExpiresBy(new Date(acquired.getTime() + 50 * H), acquired).toISOString(), '2025-01-03T22:00:00.000Z');
});

test('expiry bound without a start time (or one in the future): now + 24 h', (t) => {
  const now = new Date('2025-03-01T12:00:00Z');
  t.is(leaseExpiresBy(now).toISOString(), '2025-03-02T12:00:00.000Z');
  t.is(leaseExpiresBy(now, new Date(now.getTime() + H)).toISOString(), '2025-03-02T12:00:00.000Z');
});

test('expiry bound is never more than 24 h away and never in the past', (t) => {
  const acquired = new Date('2025-01-01T00:00:00Z');
  for (let hours = 0; hours < 200; hours += 7) {
    const now = new Date(acquired.getTime() + hours * H + 123);
    const by = leaseExpiresBy(now, acquired).getTime();
    t.true(by > now.getTime() && by <= now.getTime() + 24 * H, `at +${hours} h`);
  }
});

test('reads flanneld flags from a container command', (t) => {
  const cmd = ['--ip-masq', '--etcd-endpoints=http://192.168.1.2:2379,http://192.168.1.5:2379', '--public-ip', '192.168.1.3', '-iface=eth0'];
  t.is(flannelFlag(cmd, 'etcd-endpoints'), 'http://192.168.1.2:2379,http://192.168.1.5:2379');
  t.is(flannelFlag(cmd, 'public-ip'), '192.168.1.3');
  t.is(flannelFlag(cmd, 'iface'), 'eth0');
  t.is(flannelFlag(cmd, 'etcd-prefix'), undefined);
  t.is(flannelFlag(['--etcd-endpoints-extra=x'], 'etcd-endpoints'), undefined);
});
