import test from 'ava';
import { IgniteError } from '../../src/core/errors.js';
import { etcdEndpoint, parseAdvertiseAddress, parseHostArg, resolveHost, bracketHost } from '../../src/net/host-arg.js';
import type { HostKind, Lookup } from '../../src/net/host-arg.js';

const good: [string, string, HostKind][] = [
  ['192.168.1.2', '192.168.1.2', 'ipv4'],
  ['10.0.0.1', '10.0.0.1', 'ipv4'],
  ['127.0.0.1', '127.0.0.1', 'ipv4'],
  ['169.254.3.4', '169.254.3.4', 'ipv4'],
  ['2001:db8::1', '2001:db8::1', 'ipv6'],
  ['2001:DB8:0:0:0:0:0:1', '2001:db8::1', 'ipv6'],
  ['[2001:db8::1]', '2001:db8::1', 'ipv6'],
  ['fd00::5', 'fd00::5', 'ipv6'],
  ['::1', '::1', 'ipv6'],
  ['[::1]', '::1', 'ipv6'],
  ['::ffff:192.168.1.2', '192.168.1.2', 'ipv4'],
  ['node1', 'node1', 'dns'],
  ['Node1.Example.COM', 'node1.example.com', 'dns'],
  ['node1.example.com.', 'node1.example.com', 'dns'],
  ['my-host-01.lan', 'my-host-01.lan', 'dns'],
  ['1node.example', '1node.example', 'dns'],
  ['localhost', 'localhost', 'dns'],
  [`${'a'.repeat(63)}.example`, `${'a'.repeat(63)}.example`, 'dns'],
];
for (const [input, host, kind] of good) {
  test(`accepts ${input}`, (t) => {
    t.deepEqual(parseHostArg(input), { host, kind });
  });
}

const PORT = /Leave out the port: ignite-net always uses etcd's client port 2379/;
const JOIN = /Give the IPv4\/IPv6 address or DNS name of the host where `ignite-net init` ran, e\.g\. `ignite-net join 192\.168\.1\.2`/;

const bad: [string, RegExp, RegExp][] = [
  ['', /: empty$/, JOIN],
  [' ', /contains whitespace/, JOIN],
  ['192.168.1.2 ', /contains whitespace/, JOIN],
  ['node 1', /contains whitespace/, JOIN],
  ['\t192.168.1.2', /contains whitespace/, JOIN],
  ['300.1.1.1', /is not a valid IPv4 address/, JOIN],
  ['1.2.3', /is not a valid IPv4 address/, JOIN],
  ['1.2.3.4.5', /is not a valid IPv4 address/, JOIN],
  ['01.2.3.4', /is not a valid IPv4 address/, JOIN],
  ['1.2.3.', /is not a valid IPv4 address/, JOIN],
  ['192.0.2.1:2379', /has a port/, PORT],
  ['node1:2379', /has a port/, PORT],
  ['localhost:', /has a port/, PORT],
  ['[::1]:2379', /has a port/, PORT],
  ['[2001:db8::1]:', /has a port/, PORT],
  ['http://192.0.2.1:2379', /give a host, not a URL/, /builds the etcd URL itself/],
  ['etcd://node1', /give a host, not a URL/, /builds the etcd URL itself/],
  ['HTTPS://node1', /not a URL/, /etcd URL/],
  ['user@node1', /contains "@"/, JOIN],
  ['192.0.2.1/24', /is a CIDR; give a single address/, JOIN],
  ['node1/etcd', /contains "\/"; give a host, not a path/, JOIN],
  ['/etc/hosts', /not a path/, JOIN],
  ['0.0.0.0', /is the unspecified address/, JOIN],
  ['::', /is the unspecified address/, JOIN],
  ['[::]', /is the unspecified address/, JOIN],
  ['224.0.0.1', /is a multicast address/, JOIN],
  ['239.255.255.250', /multicast/, JOIN],
  ['ff02::1', /is a multicast address/, JOIN],
  ['255.255.255.255', /is the broadcast address/, JOIN],
  ['::ffff:0.0.0.0', /unspecified/, JOIN],
  ['fe80::1', /is link-local/, JOIN],
  ['fe80::1%eth0', /has an IPv6 zone id/, JOIN],
  ['[fe80::1%eth0]', /brackets hold something that is not an IPv6 address/, JOIN],
  ['[node1]', /brackets hold something that is not an IPv6 address/, JOIN],
  ['[192.168.1.2]', /brackets hold something that is not an IPv6 address/, JOIN],
  ['1::2::3', /is not a valid IPv6 address/, JOIN],
  ['2001:db8::g', /is not a valid IPv6 address/, JOIN],
  ['node..example', /has an empty label/, JOIN],
  ['.node', /has an empty label/, JOIN],
  ['-node', /"-node" is not a valid DNS label/, JOIN],
  ['node-', /"node-" is not a valid DNS label/, JOIN],
  ['node_1', /"node_1" is not a valid DNS label/, JOIN],
  ['nödé', /is not a valid DNS label/, JOIN],
  ['node1.123', /is not a valid IPv4 address \(four numbers 0–255\) nor a DNS name/, JOIN],
  [`${'a'.repeat(64)}.example`, /is longer than 63 characters/, JOIN],
  [`${'abcdefghi.'.repeat(26)}com`, /is longer than 253 characters/, JOIN],
];
for (const [input, message, hint] of bad) {
  test(`refuses ${JSON.stringify(input)}`, (t) => {
    const error = t.throws(() => parseHostArg(input), { instanceOf: IgniteError });
    t.is(error?.kind, 'usage');
    t.true(error?.message.startsWith(`invalid host "${input}": `), error?.message);
    t.regex(error?.message ?? '', message);
    t.regex(error?.hint ?? '', hint);
    t.false((error?.message ?? '').includes('\n'));
  });
}

test('bracketHost and etcdEndpoint bracket IPv6 only', (t) => {
  t.is(bracketHost('192.168.1.2'), '192.168.1.2');
  t.is(bracketHost('node1'), 'node1');
  t.is(bracketHost('2001:db8::1'), '[2001:db8::1]');
  t.is(etcdEndpoint('192.168.1.2'), 'http://192.168.1.2:2379');
  t.is(etcdEndpoint('2001:db8::1'), 'http://[2001:db8::1]:2379');
  t.is(etcdEndpoint('node1', 12379), 'http://node1:12379');
});

test('advertise address: a reachable IPv4 address', (t) => {
  t.is(parseAdvertiseAddress('192.168.1.3'), '192.168.1.3');
  t.is(parseAdvertiseAddress('10.0.0.7'), '10.0.0.7');
});

const badAdvertise: [string, RegExp][] = [
  ['', /is not a valid IPv4 address/],
  ['node1', /is not a valid IPv4 address/],
  ['1.2.3', /is not a valid IPv4 address/],
  ['192.168.1.3/24', /is not a valid IPv4 address/],
  ['192.168.1.3:8285', /is not a valid IPv4 address/],
  ['2001:db8::1', /is IPv6; flannel advertises an IPv4 address/],
  ['[2001:db8::1]', /is IPv6/],
  ['0.0.0.0', /^--advertise-address 0\.0\.0\.0 is the unspecified address; other hosts cannot reach it$/],
  ['127.0.0.1', /is a loopback address/],
  ['224.0.0.5', /multicast address/],
  ['255.255.255.255', /is the broadcast address/],
];
for (const [input, message] of badAdvertise) {
  test(`advertise address refuses ${JSON.stringify(input)}`, (t) => {
    const error = t.throws(() => parseAdvertiseAddress(input), { instanceOf: IgniteError });
    t.is(error?.kind, 'usage');
    t.regex(error?.message ?? '', /^--advertise-address /);
    t.regex(error?.message ?? '', message);
    t.regex(error?.hint ?? '', /--advertise-address 192\.168\.1\.2/);
  });
}

const fakeLookup = (answers: Record<string, { address: string; family: number }[] | string>): { lookup: Lookup; calls: string[] } => {
  const calls: string[] = [];
  const lookup: Lookup = async (hostname) => {
    calls.push(hostname);
    const answer = answers[hostname];
    if (typeof answer === 'string') throw Object.assign(new Error(`${answer} ${hostname}`), { code: answer });
    if (answer === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer;
  };
  return { lookup, calls };
};

test('resolveHost returns IP literals without a lookup', async (t) => {
  const { lookup, calls } = fakeLookup({});
  t.is(await resolveHost('192.168.1.2', lookup), '192.168.1.2');
  t.is(await resolveHost('[2001:db8::1]', lookup), '2001:db8::1');
  t.deepEqual(calls, []);
});

test('resolveHost prefers IPv4 among the answers', async (t) => {
  const { lookup, calls } = fakeLookup({
    'node1.example': [
      { address: '2001:db8::5', family: 6 },
      { address: '192.168.1.5', family: 4 },
    ],
  });
  t.is(await resolveHost('Node1.Example', lookup), '192.168.1.5');
  t.deepEqual(calls, ['node1.example']);
});

test('resolveHost takes IPv6 when that is all there is, and skips unusable answers', async (t) => {
  const { lookup } = fakeLookup({
    v6only: [{ address: '2001:db8::5', family: 6 }],
    mixed: [
      { address: '0.0.0.0', family: 4 },
      { address: '192.168.1.9', family: 4 },
    ],
  });
  t.is(await resolveHost('v6only', lookup), '2001:db8::5');
  t.is(await resolveHost('mixed', lookup), '192.168.1.9');
});

test('resolveHost: no such name is a usage error', async (t) => {
  const { lookup } = fakeLookup({ gone: 'ENODATA' });
  for (const name of ['nosuchhost', 'gone']) {
    const error = await t.throwsAsync(resolveHost(name, lookup), { instanceOf: IgniteError });
    t.is(error?.kind, 'usage');
    t.is(error?.message, `cannot resolve host "${name}": no such name`);
    t.regex(error?.hint ?? '', /Check the spelling, or give the IP address/);
  }
});

test('resolveHost: a DNS failure is a peer error', async (t) => {
  const { lookup } = fakeLookup({ flaky: 'EAI_AGAIN' });
  const error = await t.throwsAsync(resolveHost('flaky', lookup), { instanceOf: IgniteError });
  t.is(error?.kind, 'peer');
  t.is(error?.message, 'cannot resolve host "flaky": EAI_AGAIN');
  t.regex(error?.hint ?? '', /resolv\.conf/);
});

test('resolveHost: a name resolving only to unusable addresses is refused', async (t) => {
  const { lookup } = fakeLookup({
    bogus: [
      { address: '0.0.0.0', family: 4 },
      { address: '224.0.0.1', family: 4 },
    ],
    empty: [],
  });
  for (const name of ['bogus', 'empty']) {
    const error = await t.throwsAsync(resolveHost(name, lookup), { instanceOf: IgniteError });
    t.is(error?.kind, 'usage');
    t.is(error?.message, `host "${name}" resolves to no usable address`);
  }
});

test('resolveHost validates the argument before any lookup', async (t) => {
  const { lookup, calls } = fakeLookup({});
  const error = await t.throwsAsync(resolveHost('node1:2379', lookup), { instanceOf: IgniteError });
  t.regex(error?.message ?? '', /has a port/);
  t.deepEqual(calls, []);
});

test('resolveHost resolves localhost with the system resolver', async (t) => {
  const address = await resolveHost('localhost');
  t.true(['127.0.0.1', '::1'].includes(address) || address.startsWith('127.'), address);
});
