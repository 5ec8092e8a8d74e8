import test from 'ava';
import ipaddr from 'ipaddr.js';
import { IgniteError } from '../../src/core/errors.js';
import {
  blockSize,
  contains,
  containsCidr,
  firstAddress,
  firstHostAddress,
  ipToNumber,
  isAligned,
  isIPv4,
  lastAddress,
  leaseKeyToSubnet,
  numberToIp,
  overlaps,
  parseCidr,
  subnetToLeaseKey,
} from '../../src/net/cidr.js';

test('ipToNumber and numberToIp round-trip the edges', (t) => {
  const cases: [string, number][] = [
    ['0.0.0.0', 0],
    ['0.0.0.1', 1],
    ['10.50.0.0', 0x0a320000],
    ['192.168.1.2', 0xc0a80102],
    ['255.255.255.255', 0xffffffff],
  ];
  for (const [ip, value] of cases) {
    t.is(ipToNumber(ip), value, ip);
    t.is(numberToIp(value), ip, ip);
  }
});

for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.0', '300.1.1.1', '01.2.3.4', '1.2.3.04', '0x0a.0.0.1', '1.2.3.-1', ' 1.2.3.4', '1.2.3.4 ', 'a.b.c.d', '::1', '1..2.3', '1.2.3.4/24']) {
  test(`ipToNumber refuses ${JSON.stringify(bad)}`, (t) => {
    t.false(isIPv4(bad));
    const error = t.throws(() => ipToNumber(bad, '--subnet-min'), { instanceOf: IgniteError });
    t.is(error?.kind, 'usage');
    t.regex(error?.message ?? '', /^--subnet-min ".*" is not a valid IPv4 address$/);
    t.regex(error?.hint ?? '', /four numbers 0–255/);
  });
}

test('isIPv4 agrees with ipaddr.js on dotted quads for every octet form 0–299, with and without a leading zero', (t) => {
  const forms = Array.from({ length: 300 }, (_, n) => [String(n), `0${n}`]).flat();
  const disagree = forms
    .map((octet) => `10.${octet}.0.1`)
    .filter((text) => isIPv4(text) !== (/^[0-9.]+$/.test(text) && ipaddr.IPv4.isValidFourPartDecimal(text)));
  t.deepEqual(disagree, []);
  t.false(isIPv4('1.2.3.4\n'), 'no trailing newline');
});

for (const bad of [-1, 0x100000000, 1.5, Number.NaN]) {
  test(`numberToIp refuses ${bad} as a bug, not usage`, (t) => {
    t.throws(() => numberToIp(bad), { instanceOf: RangeError });
  });
}

test('parseCidr gives the block in both forms', (t) => {
  t.deepEqual(parseCidr('10.50.0.0/16'), {
    address: '10.50.0.0',
    prefix: 16,
    network: '10.50.0.0',
    networkAddress: 0x0a320000,
    broadcastAddress: 0x0a32ffff,
    size: 65536,
    cidr: '10.50.0.0/16',
  });
  t.is(parseCidr('0.0.0.0/0').size, 2 ** 32);
  t.is(parseCidr('0.0.0.0/0').broadcastAddress, 0xffffffff);
  t.is(parseCidr('192.0.2.7/32').size, 1);
  t.is(parseCidr('192.0.2.7/32').cidr, '192.0.2.7/32');
});

test('parseCidr refuses host bits and names the network address', (t) => {
  const error = t.throws(() => parseCidr('10.50.1.0/16', { label: '--network' }), { instanceOf: IgniteError });
  t.is(error?.message, '--network 10.50.1.0/16 has host bits set; did you mean 10.50.0.0/16?');
  t.is(error?.hint, 'Use the network address: 10.50.0.0/16.');
  t.is(error?.kind, 'usage');
});

test('parseCidr with allowHostBits keeps the address and computes the block', (t) => {
  const cidr = parseCidr('10.50.31.1/24', { allowHostBits: true });
  t.is(cidr.address, '10.50.31.1');
  t.is(cidr.network, '10.50.31.0');
  t.is(cidr.cidr, '10.50.31.0/24');
});

const badCidrs: [string, RegExp][] = [
  ['', /is not an IPv4 CIDR/],
  ['10.50.0.0', /is not an IPv4 CIDR/],
  ['10.50.0.0/', /is not an IPv4 CIDR/],
  ['10.50.0.0/abc', /is not an IPv4 CIDR/],
  ['10.50.0.0/16/1', /is not an IPv4 CIDR/],
  ['10.50.0.0/-1', /is not an IPv4 CIDR/],
  ['10.50.0.0/100', /is not an IPv4 CIDR/],
  ['10.50.0.0/33', /invalid prefix length \/33/],
  ['10.50.0.0/016', /is not an IPv4 CIDR/],
  ['10.50.0.0/08', /invalid prefix length \/08/],
  ['10.50.0/16', /invalid IPv4 address "10\.50\.0"/],
  ['300.0.0.0/8', /invalid IPv4 address "300\.0\.0\.0"/],
  ['fd00::/8', /invalid IPv4 address/],
];
for (const [bad, message] of badCidrs) {
  test(`parseCidr refuses ${JSON.stringify(bad)}`, (t) => {
    const error = t.throws(() => parseCidr(bad), { instanceOf: IgniteError });
    t.regex(error?.message ?? '', message);
    t.truthy(error?.hint);
    t.is(error?.kind, 'usage');
  });
}

test('contains: inclusive bounds, numbers or strings', (t) => {
  t.true(contains('10.50.0.0/16', '10.50.0.0'));
  t.true(contains('10.50.0.0/16', '10.50.255.255'));
  t.false(contains('10.50.0.0/16', '10.51.0.0'));
  t.false(contains('10.50.0.0/16', '10.49.255.255'));
  t.true(contains(parseCidr('10.50.0.0/16'), ipToNumber('10.50.31.1')));
  t.true(contains('0.0.0.0/0', '255.255.255.255'));
  // Interface addresses come with host bits; the block is what counts.
  t.true(contains('192.168.1.5/24', '192.168.1.200'));
  t.true(contains('192.0.2.9', '192.0.2.9'));
  t.false(contains('192.0.2.9', '192.0.2.10'));
});

test('overlaps: symmetric, touching is not overlapping', (t) => {
  const cases: [string, string, boolean][] = [
    ['10.50.0.0/16', '10.50.31.0/24', true],
    ['10.50.0.0/16', '10.0.0.0/8', true],
    ['10.50.0.0/16', '10.51.0.0/16', false],
    ['10.50.0.0/16', '10.49.255.255/32', false],
    ['10.50.0.0/16', '10.50.255.255/32', true],
    ['192.168.1.5/24', '192.168.1.0/25', true],
    ['0.0.0.0/0', '203.0.113.0/24', true],
    ['172.17.0.0/16', '10.50.0.0/16', false],
  ];
  for (const [a, b, expected] of cases) {
    t.is(overlaps(a, b), expected, `${a} ~ ${b}`);
    t.is(overlaps(b, a), expected, `${b} ~ ${a}`);
  }
});

test('overlaps refuses garbage instead of answering false', (t) => {
  t.throws(() => overlaps('10.50.0.0/16', 'nonsense'), { instanceOf: IgniteError });
});

test('containsCidr', (t) => {
  t.true(containsCidr('10.50.0.0/16', '10.50.31.0/24'));
  t.true(containsCidr('10.50.0.0/16', '10.50.0.0/16'));
  t.false(containsCidr('10.50.31.0/24', '10.50.0.0/16'));
  t.false(containsCidr('10.50.0.0/16', '10.49.0.0/15'));
});

test('isAligned', (t) => {
  t.true(isAligned('10.50.10.0', 24));
  t.false(isAligned('10.50.10.1', 24));
  t.true(isAligned('10.50.10.64', 26));
  t.false(isAligned('10.50.10.32', 26));
  t.false(isAligned('10.50.10.0', 16));
  t.true(isAligned('0.0.0.0', 0));
  t.true(isAligned('10.50.10.5', 32));
});

test('first, first host and last address', (t) => {
  t.is(firstAddress('10.50.31.0/24'), '10.50.31.0');
  t.is(firstAddress('10.50.31.1/24'), '10.50.31.0');
  t.is(firstHostAddress('10.50.31.0/24'), '10.50.31.1');
  t.is(firstHostAddress('192.0.2.9/32'), '192.0.2.9');
  t.is(lastAddress('10.50.31.0/24'), '10.50.31.255');
  t.is(blockSize(24), 256);
  t.is(blockSize(0), 2 ** 32);
});

test('lease keys convert both ways', (t) => {
  t.is(leaseKeyToSubnet('/coreos.com/network/subnets/10.50.31.0-24'), '10.50.31.0/24');
  t.is(leaseKeyToSubnet('/coreos.com/network/subnets/10.50.31.64-26'), '10.50.31.64/26');
  t.is(subnetToLeaseKey('10.50.31.0/24'), '/coreos.com/network/subnets/10.50.31.0-24');
  t.is(subnetToLeaseKey(parseCidr('10.50.31.64/26')), '/coreos.com/network/subnets/10.50.31.64-26');
  t.is(leaseKeyToSubnet('/other/subnets/10.1.2.0-24', '/other/subnets'), '10.1.2.0/24');
  t.is(subnetToLeaseKey('10.1.2.0/24', '/other/subnets'), '/other/subnets/10.1.2.0-24');
  for (const subnet of ['10.50.0.0/24', '10.50.255.0/24', '10.50.10.128/25']) {
    t.is(leaseKeyToSubnet(subnetToLeaseKey(subnet)), subnet);
  }
});

const badKeys: [string, RegExp][] = [
  ['/coreos.com/network/config', /not a flannel lease key under/],
  ['/coreos.com/network/subnets/', /not a flannel lease key/],
  ['/coreos.com/network/subnets/10.50.31.0', /not a flannel lease key/],
  ['/coreos.com/network/subnets/10.50.31.0/24', /not a flannel lease key/],
  ['/coreos.com/network/subnets/10.50.31.0-', /not a flannel lease key/],
  ['/coreos.com/network/subnets/10.50.31.0-33', /invalid prefix length/],
  ['/coreos.com/network/subnets/10.50.31.5-24', /has host bits set; did you mean 10\.50\.31\.0\/24\?/],
  ['/coreos.com/network/subnets/10.50.300.0-24', /invalid IPv4 address/],
  ['10.50.31.0-24', /not a flannel lease key under/],
];
for (const [bad, message] of badKeys) {
  test(`leaseKeyToSubnet refuses ${bad}`, (t) => {
    const error = t.throws(() => leaseKeyToSubnet(bad), { instanceOf: IgniteError });
    t.regex(error?.message ?? '', message);
  });
}

test('subnetToLeaseKey takes subnet.env style addresses and refuses garbage', (t) => {
  t.is(subnetToLeaseKey('10.50.31.1/24'), '/coreos.com/network/subnets/10.50.31.0-24');
  t.throws(() => subnetToLeaseKey('10.50.31.1/33'), { instanceOf: IgniteError });
  t.throws(() => subnetToLeaseKey('10.50.31.0-24'), { instanceOf: IgniteError });
});
