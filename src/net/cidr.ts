/**
 * IPv4 address and CIDR arithmetic on unsigned 32-bit numbers. Flannel's network config, its lease
 * keys and subnet.env are all IPv4, so this module stays IPv4-only on purpose.
 */
import { usageError } from '../core/errors.js';
import { ETCD_KEYS } from '../defaults.js';

export interface Cidr {
  /** The address as written, e.g. "10.50.31.1" for "10.50.31.1/24" (only with allowHostBits). */
  address: string;
  prefix: number;
  /** The block's network address, dotted: "10.50.31.0". */
  network: string;
  /** The network address as a number (host bits of `address` cleared). */
  networkAddress: number;
  /** The block's last address as a number. */
  broadcastAddress: number;
  /** Number of addresses in the block, 2^(32-prefix). */
  size: number;
  /** Canonical form, "10.50.31.0/24". */
  cidr: string;
}

export interface ParseCidrOptions {
  /** Names the value in error messages, e.g. "--network" or "FLANNEL_SUBNET". */
  label?: string;
  /** Accept "10.50.31.1/24" (an interface address with its prefix), as subnet.env writes it. */
  allowHostBits?: boolean;
}

const ADDRESS_HINT = 'Write an IPv4 address as four numbers 0–255 without leading zeros, e.g. 10.50.0.0.';

/** One octet, 0–255, without leading zeros. */
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const DOTTED_QUAD = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/**
 * Strict dotted quad: four decimal octets, no leading zeros (ipaddr.IPv4.isValid also takes "1.2.3",
 * hex and octal forms). A regular expression rather than ipaddr.js: status checks every lease.
 */
export function isIPv4(text: string): boolean {
  return DOTTED_QUAD.test(text);
}

export function ipToNumber(ip: string, label = 'address'): number {
  if (!isIPv4(ip)) throw usageError(`${label} "${ip}" is not a valid IPv4 address`, ADDRESS_HINT);
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function numberToIp(value: number): string {
  // A value outside 0..2^32-1 can only come from our own arithmetic, so it is a bug, not usage.
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`not an IPv4 address number: ${value}`);
  }
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

/** Size of a block with this prefix; multiplication instead of shifts because 1 << 32 overflows. */
export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** Clears the host bits of `value` for a prefix length. */
export function networkOf(value: number, prefix: number): number {
  const size = blockSize(prefix);
  return value - (value % size);
}

export function parseCidr(text: string, options: ParseCidrOptions = {}): Cidr {
  const label = options.label ?? 'network';
  const example = 'e.g. 10.50.0.0/16';
  const match = /^([^/]*)\/(\d{1,2})$/.exec(text);
  if (!match) {
    throw usageError(`${label} "${text}" is not an IPv4 CIDR`, `Write it as address/prefix, ${example}.`);
  }
  const [, address = '', prefixText = ''] = match;
  if (!isIPv4(address)) {
    throw usageError(`${label} "${text}" has an invalid IPv4 address "${address}"`, ADDRESS_HINT);
  }
  const prefix = Number(prefixText);
  if (prefix > 32 || (prefixText.length > 1 && prefixText.startsWith('0'))) {
    throw usageError(`${label} "${text}" has an invalid prefix length /${prefixText}`, `Use a prefix 0–32, ${example}.`);
  }
  const value = ipToNumber(address, label);
  const network = networkOf(value, prefix);
  if (value !== network && !options.allowHostBits) {
    const proper = `${numberToIp(network)}/${prefix}`;
    throw usageError(`${label} ${text} has host bits set; did you mean ${proper}?`, `Use the network address: ${proper}.`);
  }
  return cidrOf(value, prefix, address);
}

function cidrOf(value: number, prefix: number, address = numberToIp(value)): Cidr {
  const networkAddress = networkOf(value, prefix);
  const size = blockSize(prefix);
  const network = numberToIp(networkAddress);
  return { address, prefix, network, networkAddress, broadcastAddress: networkAddress + size - 1, size, cidr: `${network}/${prefix}` };
}

/**
 * The predicates below take blocks as callers find them on hosts: interface addresses with their
 * prefix ("192.168.1.5/24") and host routes written as a bare address (a /32).
 */
const toCidr = (cidr: Cidr | string): Cidr => {
  if (typeof cidr !== 'string') return cidr;
  return cidr.includes('/') ? parseCidr(cidr, { allowHostBits: true }) : cidrOf(ipToNumber(cidr), 32);
};
const toNumber = (ip: string | number): number => (typeof ip === 'string' ? ipToNumber(ip) : ip);

export function contains(cidr: Cidr | string, ip: string | number): boolean {
  const block = toCidr(cidr);
  const value = toNumber(ip);
  return value >= block.networkAddress && value <= block.broadcastAddress;
}

/** True when block `inner` lies entirely within `outer`. */
export function containsCidr(outer: Cidr | string, inner: Cidr | string): boolean {
  const a = toCidr(outer);
  const b = toCidr(inner);
  return b.networkAddress >= a.networkAddress && b.broadcastAddress <= a.broadcastAddress;
}

export function overlaps(a: Cidr | string, b: Cidr | string): boolean {
  const x = toCidr(a);
  const y = toCidr(b);
  return x.networkAddress <= y.broadcastAddress && y.networkAddress <= x.broadcastAddress;
}

/** True when `ip` is the first address of a block of `prefixLen` (a valid subnet start). */
export function isAligned(ip: string | number, prefixLen: number): boolean {
  const value = toNumber(ip);
  return networkOf(value, prefixLen) === value;
}

/**
 * The block's first address (its network address). Flannel's udp backend puts this on flannel0
 * as a /32, e.g. 10.50.31.0 for the lease 10.50.31.0/24.
 */
export function firstAddress(cidr: Cidr | string): string {
  return toCidr(cidr).network;
}

/** The first usable host address, the one flannel writes to FLANNEL_SUBNET (10.50.31.1/24). */
export function firstHostAddress(cidr: Cidr | string): string {
  const block = toCidr(cidr);
  return numberToIp(block.size > 1 ? block.networkAddress + 1 : block.networkAddress);
}

export function lastAddress(cidr: Cidr | string): string {
  return numberToIp(toCidr(cidr).broadcastAddress);
}

/** '/coreos.com/network/subnets/10.50.31.0-24' → '10.50.31.0/24'; throws on anything else. */
export function leaseKeyToSubnet(key: string, prefix: string = ETCD_KEYS.subnets): string {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const hint = `Flannel lease keys look like ${base}10.50.31.0-24.`;
  if (!key.startsWith(base)) throw usageError(`"${key}" is not a flannel lease key under ${base}`, hint);
  const match = /^(.+)-(\d{1,2})$/.exec(key.slice(base.length));
  if (!match) throw usageError(`"${key}" is not a flannel lease key`, hint);
  const subnet = `${match[1] ?? ''}/${match[2] ?? ''}`;
  return parseCidr(subnet, { label: 'lease subnet' }).cidr;
}

/** '10.50.31.0/24' → '/coreos.com/network/subnets/10.50.31.0-24'. */
export function subnetToLeaseKey(subnet: Cidr | string, prefix: string = ETCD_KEYS.subnets): string {
  const block = toCidr(subnet);
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return `${base}${block.network}-${block.prefix}`;
}
