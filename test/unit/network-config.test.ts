import test from 'ava';
import { IgniteError } from '../../src/core/errors.js';
import {
  buildNetworkConfig,
  defaultSubnetLen,
  diffNetworkConfig,
  parseNetworkConfig,
  renderNetworkConfig,
  unknownNetworkConfigKeys,
  validateNetworkConfig,
} from '../../src/net/network-config.js';
import type { NetworkConfig, NetworkOptions } from '../../src/net/network-config.js';

const DESIGN_JSON =
  '{ "Network": "10.50.0.0/16", "SubnetLen": 24, "SubnetMin": "10.50.10.0", "SubnetMax": "10.50.99.0",\n  "Backend": { "Type": "udp", "Port": 8285 } }';

const defaults: NetworkConfig = {
  Network: '10.50.0.0/16',
  SubnetLen: 24,
  SubnetMin: '10.50.10.0',
  SubnetMax: '10.50.99.0',
  Backend: { Type: 'udp' as const, Port: 8285 },
};

// Two keys as `wg genpsk` prints them (made for this test only).
const PSK = Buffer.alloc(32, 7).toString('base64');
const PSK2 = Buffer.alloc(32, 9).toString('base64');

test('no options: exactly DESIGN.md\'s config', (t) => {
  t.deepEqual(buildNetworkConfig(), defaults);
  t.deepEqual(buildNetworkConfig({}), defaults);
  t.deepEqual(JSON.parse(renderNetworkConfig(buildNetworkConfig())), JSON.parse(DESIGN_JSON));
});

test('the default network given explicitly keeps the script\'s range', (t) => {
  t.deepEqual(buildNetworkConfig({ network: '10.50.0.0/16' }), defaults);
  t.deepEqual(buildNetworkConfig({ network: '10.50.0.0/16', subnetLen: 24 }), defaults);
});

test('the default network with a longer subnet length keeps the (still aligned) script range', (t) => {
  const cfg = buildNetworkConfig({ subnetLen: 26 });
  t.is(cfg.SubnetLen, 26);
  t.is(cfg.SubnetMin, '10.50.10.0');
  t.is(cfg.SubnetMax, '10.50.99.0');
});

test('the default network with a shorter subnet length gets flannel\'s derived range', (t) => {
  const cfg = buildNetworkConfig({ subnetLen: 20 });
  t.is(cfg.SubnetMin, '10.50.16.0');
  t.is(cfg.SubnetMax, '10.50.240.0');
});

test('one bound beyond the other default bound widens to flannel\'s bound instead of failing', (t) => {
  t.like(buildNetworkConfig({ subnetMin: '10.50.120.0' }), { SubnetMin: '10.50.120.0', SubnetMax: '10.50.255.0' });
  t.like(buildNetworkConfig({ subnetMax: '10.50.5.0' }), { SubnetMin: '10.50.1.0', SubnetMax: '10.50.5.0' });
  t.like(buildNetworkConfig({ subnetMin: '10.50.20.0' }), { SubnetMin: '10.50.20.0', SubnetMax: '10.50.99.0' });
  t.like(buildNetworkConfig({ subnetMax: '10.50.50.0' }), { SubnetMin: '10.50.10.0', SubnetMax: '10.50.50.0' });
});

const derived: [NetworkOptions, Partial<NetworkConfig>][] = [
  [{ network: '10.60.0.0/16' }, { SubnetLen: 24, SubnetMin: '10.60.1.0', SubnetMax: '10.60.255.0' }],
  [{ network: '10.60.0.0/16', subnetLen: 26 }, { SubnetLen: 26, SubnetMin: '10.60.0.64', SubnetMax: '10.60.255.192' }],
  [{ network: '172.20.0.0/14' }, { SubnetLen: 24, SubnetMin: '172.20.1.0', SubnetMax: '172.23.255.0' }],
  // flannel's rule: a network smaller than /22 is split into four
  [{ network: '192.168.100.0/24' }, { SubnetLen: 26, SubnetMin: '192.168.100.64', SubnetMax: '192.168.100.192' }],
  [{ network: '192.168.100.0/28' }, { SubnetLen: 30, SubnetMin: '192.168.100.4', SubnetMax: '192.168.100.12' }],
  [{ network: '10.60.0.0/16', subnetMin: '10.60.5.0' }, { SubnetMin: '10.60.5.0', SubnetMax: '10.60.255.0' }],
  [{ network: '10.60.0.0/16', subnetMax: '10.60.9.0' }, { SubnetMin: '10.60.1.0', SubnetMax: '10.60.9.0' }],
];
for (const [opts, expected] of derived) {
  test(`derives ${JSON.stringify(opts)}`, (t) => {
    const cfg = buildNetworkConfig(opts);
    t.like(cfg, expected);
    t.notThrows(() => validateNetworkConfig(cfg));
  });
}

test('backend type picks its usual port unless one is given', (t) => {
  t.deepEqual(buildNetworkConfig({ backendType: 'vxlan' }).Backend, { Type: 'vxlan', VNI: 1, Port: 8472, DirectRouting: false });
  t.deepEqual(buildNetworkConfig({ backendType: 'wireguard' }).Backend, { Type: 'wireguard', ListenPort: 51820 });
  t.deepEqual(buildNetworkConfig({ backendType: 'host-gw' }).Backend, { Type: 'host-gw' });
  t.deepEqual(buildNetworkConfig({ backendPort: 9000 }).Backend, { Type: 'udp', Port: 9000 });
  t.deepEqual(buildNetworkConfig({ backendType: 'vxlan', backendPort: 4789, vni: 42, directRouting: true }).Backend, { Type: 'vxlan', VNI: 42, Port: 4789, DirectRouting: true });
  t.deepEqual(buildNetworkConfig({ backendType: 'wireguard', backendPort: 51821 }).Backend, { Type: 'wireguard', ListenPort: 51821 });
});

test('each backend renders with the fields flannel reads, in its docs\' order', (t) => {
  const backendOf = (opts: Parameters<typeof buildNetworkConfig>[0]): string => {
    const text = renderNetworkConfig(buildNetworkConfig(opts));
    return text.slice(text.indexOf('"Backend":') + '"Backend":'.length, -1);
  };
  t.is(backendOf({}), '{"Type":"udp","Port":8285}');
  t.is(backendOf({ backendType: 'vxlan' }), '{"Type":"vxlan","VNI":1,"Port":8472,"DirectRouting":false}');
  t.is(backendOf({ backendType: 'host-gw' }), '{"Type":"host-gw"}');
  t.is(backendOf({ backendType: 'wireguard' }), '{"Type":"wireguard","ListenPort":51820}');
  for (const backendType of ['udp', 'vxlan', 'host-gw', 'wireguard']) {
    const config = buildNetworkConfig({ backendType, ...(backendType === 'vxlan' ? { vni: 7, directRouting: true } : {}) });
    t.deepEqual(parseNetworkConfig(renderNetworkConfig(config)), config, backendType);
  }
});

test('a stored config keeps only its backend\'s fields, as flanneld reads it', (t) => {
  // A Port left on host-gw, a VNI on udp: flanneld ignores them, so they are no difference.
  t.deepEqual(parseNetworkConfig('{"Network":"10.50.0.0/16","Backend":{"Type":"host-gw","Port":8285}}').Backend, { Type: 'host-gw' });
  t.deepEqual(parseNetworkConfig('{"Network":"10.50.0.0/16","Backend":{"Type":"udp","VNI":3}}').Backend, { Type: 'udp', Port: 8285 });
  t.deepEqual(parseNetworkConfig('{"Network":"10.50.0.0/16","Backend":{"Type":"wireguard","ListenPort":5000}}').Backend, { Type: 'wireguard', ListenPort: 5000 });
  t.deepEqual(parseNetworkConfig(`{"Network":"10.50.0.0/16","Backend":{"Type":"wireguard","ListenPort":5000,"Mode":"auto","PSK":"${PSK}"}}`).Backend, { Type: 'wireguard', ListenPort: 5000, Mode: 'auto', PSK });
  const badKey = t.throws(() => parseNetworkConfig('{"Network":"10.50.0.0/16","Backend":{"Type":"wireguard","PSK":"x-secret"}}'), { instanceOf: IgniteError });
  t.is(badKey?.message, 'network config in etcd is invalid: Backend.PSK is not a WireGuard key (base64 of 32 bytes)', 'the message never shows the value');
  t.throws(() => parseNetworkConfig('{"Network":"10.50.0.0/16","Backend":{"Type":"wireguard","Mode":"ipv6"}}'), { message: /Backend\.Mode "ipv6" is not a wireguard mode/ });
  const bad = t.throws(() => parseNetworkConfig('{"Network":"10.50.0.0/16","Backend":{"Type":"vxlan","VNI":0}}'), { instanceOf: IgniteError });
  t.regex(bad?.message ?? '', /^network config in etcd is invalid: Backend\.VNI 0 is not a VXLAN network identifier$/);
  const wrongType = t.throws(() => parseNetworkConfig('{"Network":"10.50.0.0/16","Backend":{"Type":"vxlan","DirectRouting":"yes"}}'), { instanceOf: IgniteError });
  t.regex(wrongType?.message ?? '', /"DirectRouting" must be a boolean/);
});

test('wireguard: Mode and PSK render as flannel reads them; a diff never shows the key', (t) => {
  const withKey = buildNetworkConfig({ backendType: 'wireguard', wireguardMode: 'ipv4', psk: PSK });
  t.deepEqual(JSON.parse(renderNetworkConfig(withKey)).Backend, { Type: 'wireguard', ListenPort: 51820, Mode: 'ipv4', PSK });
  const other = buildNetworkConfig({ backendType: 'wireguard', wireguardMode: 'ipv4', psk: PSK2 });
  const lines = [...diffNetworkConfig(withKey, other), ...diffNetworkConfig(buildNetworkConfig({ backendType: 'wireguard' }), withKey)];
  t.deepEqual(lines, ['Backend.PSK: (set) → (another key)', 'Backend.Mode: - → ipv4', 'Backend.PSK: - → (set)']);
  t.false(lines.join('\n').includes(PSK));
  t.throws(() => buildNetworkConfig({ backendType: 'vxlan', wireguardMode: 'auto' }), { message: '--wireguard-mode applies to --backend wireguard only, not vxlan' });
  t.throws(() => buildNetworkConfig({ backendType: 'wireguard', wireguardMode: 'ipv6' }), { message: /not a wireguard mode ignite-net supports/ });
});

test('changing the backend is a config difference, field by field', (t) => {
  t.deepEqual(diffNetworkConfig(defaults, buildNetworkConfig({ backendType: 'host-gw' })), ['Backend.Type: udp → host-gw', 'Backend.Port: 8285 → -']);
  t.deepEqual(diffNetworkConfig(buildNetworkConfig({ backendType: 'vxlan' }), buildNetworkConfig({ backendType: 'vxlan', vni: 2 })), ['Backend.VNI: 1 → 2']);
});

test('defaultSubnetLen follows flannel', (t) => {
  t.is(defaultSubnetLen(8), 24);
  t.is(defaultSubnetLen(22), 24);
  t.is(defaultSubnetLen(23), 25);
  t.is(defaultSubnetLen(28), 30);
});

const badOptions: [string, NetworkOptions, RegExp, RegExp][] = [
  ['not a CIDR', { network: '10.50.0.0' }, /^--network "10\.50\.0\.0" is not an IPv4 CIDR$/, /address\/prefix/],
  ['host bits', { network: '10.50.1.0/16' }, /has host bits set; did you mean 10\.50\.0\.0\/16\?/, /10\.50\.0\.0\/16/],
  ['too small', { network: '10.50.0.0/29' }, /is too small: flannel needs at least a \/28/, /\/28 or larger/],
  ['/32', { network: '10.50.0.1/32' }, /too small/, /\/28/],
  ['IPv6', { network: 'fd00::/64' }, /invalid IPv4 address/, /IPv4/],
  ['loopback', { network: '127.0.0.0/16' }, /overlaps loopback/, /private range/],
  ['whole internet', { network: '0.0.0.0/0' }, /overlaps "this network"/, /private range/],
  ['multicast', { network: '224.1.0.0/16' }, /overlaps multicast/, /private range/],
  ['link-local', { network: '169.254.0.0/16' }, /overlaps link-local/, /private range/],
  ['subnet-len too big', { subnetLen: 31 }, /^SubnetLen 31 does not fit Network 10\.50\.0\.0\/16: it must be an integer from 18 to 30$/, /--subnet-len between 18/],
  ['subnet-len equal to network', { subnetLen: 16 }, /SubnetLen 16 does not fit/, /at least four subnets/],
  ['subnet-len only two subnets', { subnetLen: 17 }, /SubnetLen 17 does not fit/, /--subnet-len/],
  ['subnet-len zero', { subnetLen: 0 }, /SubnetLen 0 does not fit/, /--subnet-len/],
  ['subnet-len fraction', { subnetLen: 24.5 }, /SubnetLen 24\.5 does not fit/, /--subnet-len/],
  ['subnet-len on small network', { network: '192.168.100.0/24', subnetLen: 25 }, /from 26 to 30/, /--subnet-len between 26/],
  ['subnet-min garbage', { subnetMin: 'ten' }, /^SubnetMin "ten" is not a valid IPv4 address$/, /--subnet-min/],
  ['subnet-min outside', { subnetMin: '10.51.0.0' }, /^SubnetMin 10\.51\.0\.0 is outside Network 10\.50\.0\.0\/16$/, /--subnet-min/],
  ['subnet-max outside', { subnetMax: '10.49.0.0' }, /SubnetMax 10\.49\.0\.0 is outside/, /--subnet-max/],
  ['subnet-min unaligned', { subnetMin: '10.50.10.7' }, /^SubnetMin 10\.50\.10\.7 is not on a \/24 boundary; did you mean 10\.50\.10\.0\?$/, /--subnet-min as the first address/],
  ['subnet-max unaligned', { network: '10.60.0.0/16', subnetLen: 26, subnetMax: '10.60.0.100' }, /did you mean 10\.60\.0\.64\?/, /--subnet-max/],
  ['min above max', { subnetMin: '10.50.100.0', subnetMax: '10.50.99.0' }, /^SubnetMin 10\.50\.100\.0 is above SubnetMax 10\.50\.99\.0$/, /--subnet-min lower/],
  ['backend type', { backendType: 'gre' }, /^--backend "gre" is not a flannel backend$/, /udp, vxlan, host-gw, wireguard/],
  ['vni on udp', { vni: 2 }, /^--vni applies to --backend vxlan only, not udp$/, /--backend vxlan/],
  ['direct routing on wireguard', { backendType: 'wireguard', directRouting: true }, /^--direct-routing applies to --backend vxlan only, not wireguard$/, /Drop --direct-routing/],
  ['vni and direct routing on host-gw', { backendType: 'host-gw', vni: 2, directRouting: true }, /^--vni and --direct-routing apply to --backend vxlan only, not host-gw$/, /--backend vxlan/],
  ['a port on host-gw', { backendType: 'host-gw', backendPort: 8285 }, /^--backend-port does not apply to --backend host-gw/, /Drop --backend-port/],
  ['vni zero', { backendType: 'vxlan', vni: 0 }, /^Backend\.VNI 0 is not a VXLAN network identifier$/, /--vni as an integer from 1 to 16777215/],
  ['vni above 24 bits', { backendType: 'vxlan', vni: 16_777_216 }, /Backend\.VNI 16777216/, /--vni/],
  ['vxlan port too big', { backendType: 'vxlan', backendPort: 70000 }, /^Backend\.Port 70000 is not a port number$/, /--backend-port/],
  ['wireguard port too big', { backendType: 'wireguard', backendPort: 70000 }, /^Backend\.ListenPort 70000 is not a port number$/, /--backend-port/],
  ['backend port zero', { backendPort: 0 }, /^Backend\.Port 0 is not a port number$/, /1 to 65535/],
  ['backend port too big', { backendPort: 65536 }, /Backend\.Port 65536/, /--backend-port/],
  ['backend port fraction', { backendPort: 80.5 }, /Backend\.Port 80\.5/, /--backend-port/],
];
for (const [what, opts, message, hint] of badOptions) {
  test(`buildNetworkConfig refuses ${what}`, (t) => {
    const error = t.throws(() => buildNetworkConfig(opts), { instanceOf: IgniteError });
    t.is(error?.kind, 'usage');
    t.regex(error?.message ?? '', message);
    t.regex(error?.hint ?? '', hint);
    t.false((error?.message ?? '').includes('\n'));
  });
}

test('validateNetworkConfig accepts DESIGN\'s config and edge values', (t) => {
  t.notThrows(() => validateNetworkConfig(defaults));
  t.notThrows(() => validateNetworkConfig({ ...defaults, SubnetMin: '10.50.0.0', SubnetMax: '10.50.255.0' }));
  t.notThrows(() => validateNetworkConfig({ ...defaults, SubnetMin: '10.50.20.0', SubnetMax: '10.50.20.0' }));
  t.notThrows(() => validateNetworkConfig({ ...defaults, Backend: { Type: 'udp', Port: 1 } }));
  t.notThrows(() => validateNetworkConfig({ ...defaults, Backend: { Type: 'udp', Port: 65535 } }));
});

test('validateNetworkConfig refuses a missing Backend (e.g. from a hand-built object)', (t) => {
  const cfg = { ...defaults, Backend: null } as unknown as NetworkConfig;
  const error = t.throws(() => validateNetworkConfig(cfg), { instanceOf: IgniteError });
  t.is(error?.message, 'Backend is missing');
});

test('renderNetworkConfig: DESIGN key order, compact, stable', (t) => {
  const scrambled = {
    Backend: { Port: 8285, Type: 'udp' as const },
    SubnetMax: '10.50.99.0',
    SubnetMin: '10.50.10.0',
    SubnetLen: 24,
    Network: '10.50.0.0/16',
  };
  const expected = '{"Network":"10.50.0.0/16","SubnetLen":24,"SubnetMin":"10.50.10.0","SubnetMax":"10.50.99.0","Backend":{"Type":"udp","Port":8285}}';
  t.is(renderNetworkConfig(defaults), expected);
  t.is(renderNetworkConfig(scrambled), expected);
});

test('parseNetworkConfig reads DESIGN\'s JSON and round-trips the rendering', (t) => {
  t.deepEqual(parseNetworkConfig(DESIGN_JSON), defaults);
  const other = buildNetworkConfig({ network: '10.60.0.0/16', subnetLen: 26, backendPort: 9000 });
  t.deepEqual(parseNetworkConfig(renderNetworkConfig(other)), other);
});

test('parseNetworkConfig fills what flanneld would, not the script defaults', (t) => {
  t.deepEqual(parseNetworkConfig('{"Network":"10.50.0.0/16"}'), {
    Network: '10.50.0.0/16',
    SubnetLen: 24,
    SubnetMin: '10.50.1.0',
    SubnetMax: '10.50.255.0',
    Backend: { Type: 'udp' as const, Port: 8285 },
  });
  t.deepEqual(parseNetworkConfig('{"Network":"10.50.0.0/16","Backend":{"Type":"vxlan"}}').Backend, { Type: 'vxlan', VNI: 1, Port: 8472, DirectRouting: false });
});

test('parseNetworkConfig ignores keys it does not model, and reports them on request', (t) => {
  const text = '{"Network":"10.50.0.0/16","EnableIPv6":false,"SubnetLen":24,"SubnetMin":"10.50.10.0","SubnetMax":"10.50.99.0","Backend":{"Type":"udp","Port":8285}}';
  t.deepEqual(parseNetworkConfig(text), defaults);
  t.deepEqual(unknownNetworkConfigKeys(text), ['EnableIPv6']);
  t.deepEqual(unknownNetworkConfigKeys(DESIGN_JSON), []);
});

const badStored: [string, string, RegExp][] = [
  ['empty', '', /not JSON/],
  ['truncated', '{"Network":"10.50.0.0/16"', /not JSON/],
  ['array', '[]', /not a JSON object/],
  ['null', 'null', /not a JSON object/],
  ['string', '"10.50.0.0/16"', /not a JSON object/],
  ['no Network', '{"SubnetLen":24}', /"Network" is missing or not a string/],
  ['numeric Network', '{"Network":10}', /"Network" is missing or not a string/],
  ['string SubnetLen', '{"Network":"10.50.0.0/16","SubnetLen":"24"}', /"SubnetLen" must be a number/],
  ['numeric SubnetMin', '{"Network":"10.50.0.0/16","SubnetMin":1}', /"SubnetMin" must be a string/],
  ['Backend array', '{"Network":"10.50.0.0/16","Backend":[]}', /"Backend" must be an object/],
  ['Backend port string', '{"Network":"10.50.0.0/16","Backend":{"Type":"udp","Port":"8285"}}', /"Port" must be a number/],
  ['bad Network', '{"Network":"10.50.0.0/33"}', /Network "10\.50\.0\.0\/33" has an invalid prefix length/],
  ['Network with host bits', '{"Network":"10.50.0.1/16"}', /invalid: Network 10\.50\.0\.1\/16 has host bits set/],
  ['unknown backend', '{"Network":"10.50.0.0/16","Backend":{"Type":"alloc"}}', /Backend\.Type "alloc"/],
  ['SubnetLen too big', '{"Network":"10.50.0.0/16","SubnetLen":31}', /SubnetLen 31 does not fit/],
];
for (const [what, text, message] of badStored) {
  test(`parseNetworkConfig refuses ${what} as an etcd error`, (t) => {
    const error = t.throws(() => parseNetworkConfig(text), { instanceOf: IgniteError });
    t.is(error?.kind, 'etcd');
    t.regex(error?.message ?? '', /^network config in etcd is invalid: /);
    t.regex(error?.message ?? '', message);
    t.regex(error?.hint ?? '', /etcdctl get \/coreos\.com\/network\/config/);
  });
}

test('diffNetworkConfig: empty when equal, regardless of key order and whitespace', (t) => {
  t.deepEqual(diffNetworkConfig(defaults, defaults), []);
  t.deepEqual(diffNetworkConfig(DESIGN_JSON, renderNetworkConfig(defaults)), []);
  t.deepEqual(diffNetworkConfig(DESIGN_JSON, defaults), []);
  const reordered = '{"Backend":{"Port":8285,"Type":"udp"},\n"SubnetMax":"10.50.99.0","SubnetMin":"10.50.10.0","SubnetLen":24,"Network":"10.50.0.0/16"}';
  t.deepEqual(diffNetworkConfig(reordered, defaults), []);
});

test('diffNetworkConfig: one line per changed field, from a to b', (t) => {
  const b = buildNetworkConfig({ subnetLen: 26, backendPort: 9000 });
  t.deepEqual(diffNetworkConfig(defaults, b), ['SubnetLen: 24 → 26', 'Backend.Port: 8285 → 9000']);
  t.deepEqual(diffNetworkConfig(b, defaults), ['SubnetLen: 26 → 24', 'Backend.Port: 9000 → 8285']);
  const c = buildNetworkConfig({ network: '10.60.0.0/16', backendType: 'vxlan' });
  t.deepEqual(diffNetworkConfig(defaults, c), [
    'Network: 10.50.0.0/16 → 10.60.0.0/16',
    'SubnetMin: 10.50.10.0 → 10.60.1.0',
    'SubnetMax: 10.50.99.0 → 10.60.255.0',
    'Backend.Type: udp → vxlan',
    'Backend.Port: 8285 → 8472',
    'Backend.VNI: - → 1',
    'Backend.DirectRouting: - → false',
  ]);
});

test('diffNetworkConfig compares a stored minimal config by its flannel meaning', (t) => {
  t.deepEqual(diffNetworkConfig('{"Network":"10.50.0.0/16"}', defaults), ['SubnetMin: 10.50.1.0 → 10.50.10.0', 'SubnetMax: 10.50.255.0 → 10.50.99.0']);
});

test('diffNetworkConfig refuses invalid text rather than calling it different', (t) => {
  t.throws(() => diffNetworkConfig('not json', defaults), { instanceOf: IgniteError });
});
