import test from 'ava';
import { pickLease, toLease } from '../../src/net/lease.js';

const PREFIX = '/coreos.com/network/subnets/';
const value = (publicIP: string): string => JSON.stringify({ PublicIP: publicIP, BackendType: 'udp', BackendData: null });

test('toLease reads flannel key and value, the etcd lease in hex and its TTL when known', (t) => {
  const lease = toLease({ key: `${PREFIX}10.50.31.0-24`, value: value('192.0.2.3'), lease: '255' }, PREFIX, new Map([['255', 42]]));
  t.deepEqual(lease, {
    key: `${PREFIX}10.50.31.0-24`,
    subnet: '10.50.31.0/24',
    publicIP: '192.0.2.3',
    backendType: 'udp',
    leaseId: 'ff',
    ttlSeconds: 42,
    reserved: false,
    raw: value('192.0.2.3'),
  });
});

test('toLease marks a key without an etcd lease as a reservation, and what flannel would not write as a problem', (t) => {
  t.like(toLease({ key: `${PREFIX}10.50.32.0-24`, value: value('192.0.2.4'), lease: '0' }, PREFIX, new Map()), { reserved: true, subnet: '10.50.32.0/24' });
  const bad = toLease({ key: `${PREFIX}10.50.300.0-24`, value: '{"PublicIP":', lease: '' }, PREFIX, new Map());
  t.is(bad.problem, 'key is not <subnet>-<length>; value is not a JSON object');
  t.is(bad.subnet, '');
  t.is(bad.leaseId, undefined);
});

test('pickLease prefers a live lease over a reservation and skips malformed ones', (t) => {
  const reserved = toLease({ key: `${PREFIX}10.50.11.0-24`, value: value('192.0.2.3'), lease: '0' }, PREFIX, new Map());
  const live = toLease({ key: `${PREFIX}10.50.31.0-24`, value: value('192.0.2.3'), lease: '7' }, PREFIX, new Map());
  const broken = toLease({ key: `${PREFIX}10.50.33.0-24`, value: '{}', lease: '8' }, PREFIX, new Map());
  t.is(pickLease([broken, reserved, live], '192.0.2.3'), live);
  t.is(pickLease([broken, reserved], '192.0.2.3'), reserved);
  t.is(pickLease([broken], '192.0.2.3'), undefined);
});
