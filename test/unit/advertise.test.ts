import test from 'ava';
import type { HostAddress, Route } from '../../src/net/interfaces.js';
import { chooseAdvertiseAddress } from '../../src/net/advertise.js';

const eth0: HostAddress = { iface: 'eth0', address: '192.168.1.2', cidr: '192.168.1.0/24', family: 'IPv4' };
const eth1: HostAddress = { iface: 'eth1', address: '172.16.0.2', cidr: '172.16.0.0/24', family: 'IPv4' };
const docker0: HostAddress = { iface: 'docker0', address: '172.17.0.1', cidr: '172.17.0.0/16', family: 'IPv4' };
const v6: HostAddress = { iface: 'eth0', address: 'fe80::1', cidr: 'fe80::/64', family: 'IPv6' };
const defaultVia = (iface: string): Route[] => [{ iface, destination: '0.0.0.0/0', gateway: '192.0.2.1' }];

test('one real interface: it is used, bridges and link-local ignored', (t) => {
  t.deepEqual(chooseAdvertiseAddress([eth0, docker0, v6], defaultVia('eth0')), { kind: 'single', address: '192.168.1.2', iface: 'eth0' });
});

test('several interfaces: the default-route one is preferred and listed first', (t) => {
  const choice = chooseAdvertiseAddress([eth0, eth1], defaultVia('eth1'));
  t.is(choice.kind, 'several');
  if (choice.kind !== 'several') return;
  t.is(choice.preferred.address, '172.16.0.2');
  t.deepEqual(choice.candidates.map((c) => c.iface), ['eth1', 'eth0']);
});

test('a requested address must be on this host', (t) => {
  t.deepEqual(chooseAdvertiseAddress([eth0, eth1], [], '172.16.0.2'), { kind: 'given', address: '172.16.0.2', iface: 'eth1' });
  t.is(chooseAdvertiseAddress([eth0], [], '192.0.2.99').kind, 'not-local');
});

test('no usable address', (t) => {
  t.deepEqual(chooseAdvertiseAddress([docker0], []), { kind: 'none' });
});
