/**
 * Flannel's network config, the JSON seeded once at /coreos.com/network/config: build it from
 * options, check it the way flanneld will (so a bad config fails here, not inside the container),
 * render it canonically and compare what etcd holds with what the operator asked for.
 */
import { IgniteError, usageError } from '../core/errors.js';
import { DEFAULT_NETWORK, ETCD_KEYS } from '../defaults.js';
import { blockSize, ipToNumber, isAligned, isIPv4, numberToIp, overlaps, parseCidr } from './cidr.js';
import type { Cidr } from './cidr.js';
import { buildBackend, renderBackend, validateBackend, type BackendConfig, type BackendOptions } from './backend.js';

export { BACKEND_TYPES, DEFAULT_BACKEND_PORTS, type BackendConfig, type BackendType } from './backend.js';

export interface NetworkConfig {
  Network: string;
  SubnetLen: number;
  SubnetMin: string;
  SubnetMax: string;
  Backend: BackendConfig;
}

export interface NetworkOptions extends BackendOptions {
  network?: string;
  subnetLen?: number;
  subnetMin?: string;
  subnetMax?: string;
}

/** Smallest network flanneld accepts: four /30 subnets. */
const MAX_NETWORK_PREFIX = 28;
const MAX_SUBNET_LEN = 30;

/** Ranges a Flannel network must not cover: hosts route these specially, so VMs could not use them. */
const RESERVED_RANGES: { cidr: string; what: string }[] = [
  { cidr: '0.0.0.0/8', what: '"this network" (0.0.0.0/8)' },
  { cidr: '127.0.0.0/8', what: 'loopback (127.0.0.0/8)' },
  { cidr: '169.254.0.0/16', what: 'link-local (169.254.0.0/16)' },
  { cidr: '224.0.0.0/3', what: 'multicast/reserved (224.0.0.0/3)' },
];

/** Flannel's own rule when SubnetLen is not set: /24 per host if it fits four times, else four subnets. */
export function defaultSubnetLen(networkPrefix: number): number {
  return networkPrefix <= 22 ? DEFAULT_NETWORK.subnetLen : networkPrefix + 2;
}

/** Flannel's defaults: skip the first subnet (its address is the network address), end at the last. */
export function defaultSubnetRange(network: Cidr, subnetLen: number): { min: string; max: string } {
  const size = blockSize(subnetLen);
  return { min: numberToIp(network.networkAddress + size), max: numberToIp(network.broadcastAddress + 1 - size) };
}

/**
 * Fills what the operator did not give. On the default network the script's 10.50.10.0 – 10.50.99.0
 * range is kept while it stays aligned to the subnet length; any other network or an unaligned
 * length gets flannel's derived range, because the script's range would not fit it.
 */
export function buildNetworkConfig(opts: NetworkOptions = {}): NetworkConfig {
  return completeConfig(opts, true);
}

function completeConfig(opts: NetworkOptions, scriptDefaults: boolean): NetworkConfig {
  // From flags the operator fixes --network; from etcd the stored field is what is wrong.
  const label = scriptDefaults ? '--network' : 'Network';
  const network = parseCidr(opts.network ?? DEFAULT_NETWORK.network, { label });
  checkNetwork(network, label);
  const subnetLen =
    opts.subnetLen ?? (scriptDefaults && opts.network === undefined ? DEFAULT_NETWORK.subnetLen : defaultSubnetLen(network.prefix));
  const keepScriptRange =
    scriptDefaults &&
    network.cidr === DEFAULT_NETWORK.network &&
    Number.isInteger(subnetLen) &&
    isAligned(DEFAULT_NETWORK.subnetMin, subnetLen) &&
    isAligned(DEFAULT_NETWORK.subnetMax, subnetLen);
  const flannelRange = validSubnetLen(subnetLen, network)
    ? defaultSubnetRange(network, subnetLen)
    : { min: '', max: '' }; // validateNetworkConfig reports the bad SubnetLen before these matter
  const derived = keepScriptRange ? scriptRange(opts, flannelRange) : flannelRange;
  const config: NetworkConfig = {
    Network: network.cidr,
    SubnetLen: subnetLen,
    SubnetMin: opts.subnetMin ?? derived.min,
    SubnetMax: opts.subnetMax ?? derived.max,
    // Placeholder until the subnet fields pass: flanneld reports those first, and so do we.
    Backend: { Type: 'host-gw' },
  };
  validateNetworkConfig(config);
  config.Backend = buildBackend(opts, scriptDefaults);
  return config;
}

/**
 * The script's range, except that a single bound given beyond the other default bound (e.g.
 * --subnet-min 10.50.120.0 alone) widens the range to flannel's bound instead of failing.
 */
function scriptRange(opts: NetworkOptions, flannelRange: { min: string; max: string }): { min: string; max: string } {
  const min: string = DEFAULT_NETWORK.subnetMin;
  const max: string = DEFAULT_NETWORK.subnetMax;
  const beyond = (a: string, b: string): boolean => isIPv4(a) && isIPv4(b) && ipToNumber(a) > ipToNumber(b);
  if (opts.subnetMin !== undefined && opts.subnetMax === undefined && beyond(opts.subnetMin, max)) return { min, max: flannelRange.max };
  if (opts.subnetMax !== undefined && opts.subnetMin === undefined && beyond(min, opts.subnetMax)) return { min: flannelRange.min, max };
  return { min, max };
}

const validSubnetLen = (len: number, network: Cidr): boolean =>
  Number.isInteger(len) && len >= network.prefix + 2 && len <= MAX_SUBNET_LEN;

function checkNetwork(network: Cidr, label: string): void {
  const text = network.cidr;
  if (network.prefix > MAX_NETWORK_PREFIX) {
    throw usageError(
      `${label} ${text} is too small: flannel needs at least a /${MAX_NETWORK_PREFIX}`,
      `Use a network of /${MAX_NETWORK_PREFIX} or larger, e.g. 10.50.0.0/16.`,
    );
  }
  for (const reserved of RESERVED_RANGES) {
    if (overlaps(network, reserved.cidr)) {
      throw usageError(
        `${label} ${text} overlaps ${reserved.what}`,
        'Use a private range that is not in use on your hosts, e.g. 10.50.0.0/16.',
      );
    }
  }
}

/**
 * Throws a usage error for the first problem, in the order flanneld checks. Hints name the flag
 * that sets the field, since operators set these through flags.
 */
export function validateNetworkConfig(cfg: NetworkConfig): void {
  if (typeof cfg.Network !== 'string') throw usageError('Network is missing', 'Pass --network, e.g. --network 10.50.0.0/16.');
  const network = parseCidr(cfg.Network, { label: 'Network' });
  checkNetwork(network, 'Network');

  const len = cfg.SubnetLen;
  const lowest = network.prefix + 2;
  if (!Number.isInteger(len) || len < lowest || len > MAX_SUBNET_LEN) {
    throw usageError(
      `SubnetLen ${String(len)} does not fit Network ${cfg.Network}: it must be an integer from ${lowest} to ${MAX_SUBNET_LEN}`,
      `Pass --subnet-len between ${lowest} (at least four subnets) and ${MAX_SUBNET_LEN} (four addresses per host).`,
    );
  }

  const bounds: [field: 'SubnetMin' | 'SubnetMax', flag: string][] = [
    ['SubnetMin', '--subnet-min'],
    ['SubnetMax', '--subnet-max'],
  ];
  for (const [field, flag] of bounds) {
    const value = cfg[field];
    if (typeof value !== 'string' || !isIPv4(value)) {
      throw usageError(`${field} "${String(value)}" is not a valid IPv4 address`, `Pass ${flag} as an address inside ${cfg.Network}, e.g. ${firstSubnet(network, len)}.`);
    }
    const number = ipToNumber(value, field);
    if (number < network.networkAddress || number > network.broadcastAddress) {
      throw usageError(`${field} ${value} is outside Network ${cfg.Network}`, `Pass ${flag} as an address inside ${cfg.Network}.`);
    }
    if (!isAligned(number, len)) {
      const below = numberToIp(number - (number % blockSize(len)));
      throw usageError(
        `${field} ${value} is not on a /${len} boundary; did you mean ${below}?`,
        `Pass ${flag} as the first address of a /${len} subnet, e.g. ${below}.`,
      );
    }
  }
  if (ipToNumber(cfg.SubnetMin) > ipToNumber(cfg.SubnetMax)) {
    throw usageError(
      `SubnetMin ${cfg.SubnetMin} is above SubnetMax ${cfg.SubnetMax}`,
      'Pass --subnet-min lower than or equal to --subnet-max.',
    );
  }

  validateBackend(cfg.Backend);
}

const firstSubnet = (network: Cidr, len: number): string => numberToIp(network.networkAddress + blockSize(len));

/** Canonical text: DESIGN's key order, no whitespace, so equal configs render byte-equal. */
export function renderNetworkConfig(cfg: NetworkConfig): string {
  return JSON.stringify({
    Network: cfg.Network,
    SubnetLen: cfg.SubnetLen,
    SubnetMin: cfg.SubnetMin,
    SubnetMax: cfg.SubnetMax,
    Backend: renderBackend(cfg.Backend),
  });
}

const KNOWN_KEYS = ['Network', 'SubnetLen', 'SubnetMin', 'SubnetMax', 'Backend'];

const badStoredConfig = (message: string, cause?: unknown): IgniteError =>
  new IgniteError('etcd', `network config in etcd is invalid: ${message}`, {
    hint: `Inspect it with \`etcdctl get ${ETCD_KEYS.config}\`, then fix it or delete it and run \`ignite-net init\` again.`,
    cause,
  });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads a config as flanneld would: only Network is required; SubnetLen, SubnetMin/Max and the
 * backend get flannel's defaults when absent (configs seeded by other tools often omit them).
 * Keys we do not model are ignored here; see unknownNetworkConfigKeys.
 */
export function parseNetworkConfig(text: string): NetworkConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw badStoredConfig('not JSON', error);
  }
  if (!isRecord(raw)) throw badStoredConfig('not a JSON object');
  const network = raw['Network'];
  if (typeof network !== 'string') throw badStoredConfig('"Network" is missing or not a string');

  const optional = <T>(key: string, type: 'string' | 'number' | 'boolean', from: Record<string, unknown>): T | undefined => {
    const value = from[key];
    if (value === undefined) return undefined;
    if (typeof value !== type) throw badStoredConfig(`"${key}" must be a ${type}`);
    return value as T; // checked by typeof just above
  };
  const backendRaw = raw['Backend'];
  if (backendRaw !== undefined && !isRecord(backendRaw)) throw badStoredConfig('"Backend" must be an object');
  const backend = backendRaw ?? {};

  const backendType = optional<string>('Type', 'string', backend);
  try {
    return completeConfig({
      network,
      subnetLen: optional<number>('SubnetLen', 'number', raw),
      subnetMin: optional<string>('SubnetMin', 'string', raw),
      subnetMax: optional<string>('SubnetMax', 'string', raw),
      backendType,
      // Each backend's own fields only: flanneld ignores the others (e.g. a Port left on host-gw).
      backendPort: optional<number>(backendType === 'wireguard' ? 'ListenPort' : 'Port', 'number', backend),
      ...(backendType === 'vxlan'
        ? { vni: optional<number>('VNI', 'number', backend), directRouting: optional<boolean>('DirectRouting', 'boolean', backend) }
        : {}),
      ...(backendType === 'wireguard'
        ? { wireguardMode: optional<string>('Mode', 'string', backend), psk: optional<string>('PSK', 'string', backend) }
        : {}),
    }, false);
  } catch (error) {
    if (error instanceof IgniteError && error.kind === 'usage') throw badStoredConfig(error.message, error);
    throw error;
  }
}

/** Top-level keys in a stored config that parseNetworkConfig ignores, so callers can warn. */
export function unknownNetworkConfigKeys(text: string): string[] {
  const raw: unknown = JSON.parse(text);
  return isRecord(raw) ? Object.keys(raw).filter((key) => !KNOWN_KEYS.includes(key)) : [];
}

/**
 * One line per differing field, "SubnetLen: 24 → 26" (from a to b). Text inputs are parsed, so
 * key order, whitespace and flannel's implied defaults do not count as differences.
 */
export function diffNetworkConfig(a: NetworkConfig | string, b: NetworkConfig | string): string[] {
  const x = typeof a === 'string' ? parseNetworkConfig(a) : a;
  const y = typeof b === 'string' ? parseNetworkConfig(b) : b;
  const fields: [string, unknown, unknown][] = [
    ['Network', x.Network, y.Network],
    ['SubnetLen', x.SubnetLen, y.SubnetLen],
    ['SubnetMin', x.SubnetMin, y.SubnetMin],
    ['SubnetMax', x.SubnetMax, y.SubnetMax],
    ...backendFields(x.Backend, y.Backend),
  ];
  return fields.filter(([, from, to]) => from !== to).map(([name, from, to]) => `${name}: ${String(from)} → ${String(to)}`);
}

/** Backend.Type first, then each field either backend has, in flannel's order (absent shows as "-"). */
function backendFields(a: BackendConfig, b: BackendConfig): [string, unknown, unknown][] {
  const x: Record<string, unknown> = renderBackend(a);
  const y: Record<string, unknown> = renderBackend(b);
  const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])];
  // The pre-shared key is a secret: a diff says whether it is set or changes, never what it is.
  const shown = (v: Record<string, unknown>, key: string): unknown => (key === 'PSK' && v[key] !== undefined ? '(set)' : (v[key] ?? '-'));
  return keys.map((key): [string, unknown, unknown] => {
    if (key === 'PSK' && x[key] !== undefined && y[key] !== undefined) return [`Backend.${key}`, '(set)', x[key] === y[key] ? '(set)' : '(another key)'];
    return [`Backend.${key}`, shown(x, key), shown(y, key)];
  });
}
