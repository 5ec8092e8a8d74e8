import test from 'ava';
import { IgniteError } from '../../src/core/errors.js';
import { formatSubnetEnv, leaseSubnet, parseSubnetEnv } from '../../src/net/subnet-env.js';
import type { SubnetEnv } from '../../src/net/subnet-env.js';

const FLANNEL_WRITES = 'FLANNEL_NETWORK=10.50.0.0/16\nFLANNEL_SUBNET=10.50.31.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n';
const expected: SubnetEnv = { network: '10.50.0.0/16', subnet: '10.50.31.1/24', mtu: 1472, ipMasq: true };

test('parses what flanneld writes', (t) => {
  t.deepEqual(parseSubnetEnv(FLANNEL_WRITES), expected);
});

const tolerated: [string, string][] = [
  ['no trailing newline', FLANNEL_WRITES.trimEnd()],
  ['blank lines and comments', `\n# written by flanneld\n\n${FLANNEL_WRITES.replace('\n', '\n\n')}\n\n`],
  ['CRLF line ends', FLANNEL_WRITES.replace(/\n/g, '\r\n')],
  ['keys in another order', 'FLANNEL_IPMASQ=true\nFLANNEL_MTU=1472\nFLANNEL_SUBNET=10.50.31.1/24\nFLANNEL_NETWORK=10.50.0.0/16\n'],
  ['IPv6 keys flannel adds in dual-stack mode', `${FLANNEL_WRITES}FLANNEL_IPV6_NETWORK=fd00::/56\nFLANNEL_IPV6_SUBNET=fd00:0:0:1::1/64\n`],
  ['surrounding spaces', FLANNEL_WRITES.split('\n').map((line) => (line ? `  ${line}  ` : line)).join('\n')],
];
for (const [what, text] of tolerated) {
  test(`tolerates ${what}`, (t) => {
    t.deepEqual(parseSubnetEnv(text), expected);
  });
}

test('IPMASQ false and a small MTU', (t) => {
  const env = parseSubnetEnv('FLANNEL_NETWORK=10.0.0.0/8\nFLANNEL_SUBNET=10.9.8.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n');
  t.false(env.ipMasq);
  t.is(env.mtu, 1450);
  t.is(leaseSubnet(env), '10.9.8.0/24');
});

const garbage: [string, string, RegExp][] = [
  ['an empty file', '', /^subnet\.env: file is empty$/],
  ['only blank lines', '\n\n  \n', /file is empty/],
  ['a binary blob', '\u0000\u0001\u0002', /line 1 is not KEY=value/],
  ['a JSON file', '{"Network":"10.50.0.0/16"}', /line 1 is not KEY=value/],
  ['a line without "="', `${FLANNEL_WRITES}oops\n`, /line 5 is not KEY=value: "oops"/],
  ['lower-case keys', FLANNEL_WRITES.toLowerCase(), /line 1 is not KEY=value/],
  ['a missing key', 'FLANNEL_NETWORK=10.50.0.0/16\nFLANNEL_SUBNET=10.50.31.1/24\n', /^subnet\.env: missing FLANNEL_MTU, FLANNEL_IPMASQ$/],
  ['no known key', 'FOO=bar\n', /missing FLANNEL_NETWORK, FLANNEL_SUBNET, FLANNEL_MTU, FLANNEL_IPMASQ/],
  ['a key twice', `${FLANNEL_WRITES}FLANNEL_MTU=1400\n`, /FLANNEL_MTU is set twice \(line 5\)/],
  ['a network with host bits', FLANNEL_WRITES.replace('10.50.0.0/16', '10.50.0.1/16'), /FLANNEL_NETWORK 10\.50\.0\.1\/16 has host bits set/],
  ['an empty network', FLANNEL_WRITES.replace('10.50.0.0/16', ''), /FLANNEL_NETWORK "" is not an IPv4 CIDR/],
  ['a subnet without prefix', FLANNEL_WRITES.replace('10.50.31.1/24', '10.50.31.1'), /FLANNEL_SUBNET "10\.50\.31\.1" is not an IPv4 CIDR/],
  ['a subnet outside the network', FLANNEL_WRITES.replace('10.50.31.1/24', '10.51.31.1/24'), /FLANNEL_SUBNET 10\.51\.31\.1\/24 is outside FLANNEL_NETWORK 10\.50\.0\.0\/16/],
  ['a subnet larger than the network', FLANNEL_WRITES.replace('10.50.31.1/24', '10.50.31.1/8'), /is outside FLANNEL_NETWORK/],
  ['a non-numeric MTU', FLANNEL_WRITES.replace('1472', 'big'), /FLANNEL_MTU "big" is not an MTU \(68–65535\)/],
  ['a negative MTU', FLANNEL_WRITES.replace('1472', '-1'), /FLANNEL_MTU "-1" is not an MTU/],
  ['a tiny MTU', FLANNEL_WRITES.replace('1472', '67'), /FLANNEL_MTU "67"/],
  ['a huge MTU', FLANNEL_WRITES.replace('1472', '70000'), /FLANNEL_MTU "70000"/],
  ['a fractional MTU', FLANNEL_WRITES.replace('1472', '1472.5'), /FLANNEL_MTU "1472\.5"/],
  ['an empty MTU', FLANNEL_WRITES.replace('1472', ''), /FLANNEL_MTU ""/],
  ['IPMASQ yes', FLANNEL_WRITES.replace('IPMASQ=true', 'IPMASQ=yes'), /FLANNEL_IPMASQ "yes" is not true or false/],
  ['IPMASQ TRUE', FLANNEL_WRITES.replace('IPMASQ=true', 'IPMASQ=TRUE'), /FLANNEL_IPMASQ "TRUE"/],
];
for (const [what, text, message] of garbage) {
  test(`refuses ${what}`, (t) => {
    const error = t.throws(() => parseSubnetEnv(text), { instanceOf: IgniteError });
    t.is(error?.kind, 'conflict');
    t.regex(error?.message ?? '', message);
    t.regex(error?.hint ?? '', /docker logs ignite-flannel/);
    t.false((error?.message ?? '').includes('\n'));
  });
}

test('names the file it read in errors', (t) => {
  const error = t.throws(() => parseSubnetEnv('', '/run/flannel/subnet.env'), { instanceOf: IgniteError });
  t.is(error?.message, '/run/flannel/subnet.env: file is empty');
});

test('long garbage lines are shortened in the message', (t) => {
  const error = t.throws(() => parseSubnetEnv('x'.repeat(500)), { instanceOf: IgniteError });
  t.true((error?.message.length ?? 1000) < 120);
});

test('format writes flanneld\'s four lines with a trailing newline, and parse reads them back', (t) => {
  t.is(formatSubnetEnv(expected), FLANNEL_WRITES);
  const other: SubnetEnv = { network: '172.20.0.0/14', subnet: '172.21.7.1/24', mtu: 1450, ipMasq: false };
  t.deepEqual(parseSubnetEnv(formatSubnetEnv(other)), other);
});

test('leaseSubnet turns the gateway address into the lease', (t) => {
  t.is(leaseSubnet(expected), '10.50.31.0/24');
  t.is(leaseSubnet({ subnet: '10.50.31.65/26' }), '10.50.31.64/26');
});
