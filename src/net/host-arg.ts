/**
 * The `join <host>` argument and the --advertise-address value: what an operator types, checked
 * before anything touches the network, with errors that say what was expected.
 */
import { promises as dns } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { IgniteError, usageError } from '../core/errors.js';
import { PORTS } from '../defaults.js';
import { isIPv4 } from './cidr.js';

export type HostKind = 'ipv4' | 'ipv6' | 'dns';

export interface HostArg {
  /** Normalised: IPv6 without brackets and compressed, DNS names lower-case without a trailing dot. */
  host: string;
  kind: HostKind;
}

const JOIN_HINT = 'Give the IPv4/IPv6 address or DNS name of the host where `ignite-net init` ran, e.g. `ignite-net join 192.168.1.2`.';
const PORT_HINT = `Leave out the port: ignite-net always uses etcd's client port ${PORTS.etcdClient}, e.g. \`ignite-net join 192.168.1.2\`.`;

const refuse = (text: string, why: string, hint = JOIN_HINT): IgniteError => usageError(`invalid host "${text}": ${why}`, hint);

/** RFC 1123 label: letters, digits, inner hyphens, 1–63 characters. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * Accepts an IPv4 address, an IPv6 address with or without [brackets] (brackets are how URLs
 * write it, so operators paste them), or an RFC 1123 DNS name. Refuses what cannot name one peer:
 * ports, URLs, paths, CIDRs, zone ids and unspecified, multicast or broadcast addresses.
 */
export function parseHostArg(input: string): HostArg {
  const text = input;
  if (text === '') throw refuse(text, 'empty');
  if (/\s/.test(text)) throw refuse(text, 'contains whitespace');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw refuse(text, 'give a host, not a URL', `${JOIN_HINT.replace(/\.$/, '')}; ignite-net builds the etcd URL itself.`);
  }
  if (text.includes('@')) throw refuse(text, 'contains "@"; give a host, not a user or URL');

  const bracketed = /^\[(.*)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    const [, inner = '', port] = bracketed;
    if (port !== undefined) throw refuse(text, 'has a port', PORT_HINT);
    if (!isIPv6Literal(inner)) throw refuse(text, 'brackets hold something that is not an IPv6 address');
    return checkIPv6(text, inner);
  }
  if (text.includes('/')) {
    const why = /^[\d.:a-f]+\/\d+$/i.test(text) ? 'is a CIDR; give a single address' : 'contains "/"; give a host, not a path';
    throw refuse(text, why);
  }
  if (text.includes('%')) throw refuse(text, 'has an IPv6 zone id; use an address that is not link-local');
  if (text.includes(':')) {
    if (isIPv6Literal(text)) return checkIPv6(text, text);
    if (/^[^:]+:\d*$/.test(text)) throw refuse(text, 'has a port', PORT_HINT);
    throw refuse(text, 'is not a valid IPv6 address');
  }
  if (/^[\d.]+$/.test(text)) {
    if (!isIPv4(text)) throw refuse(text, 'is not a valid IPv4 address (four numbers 0–255, no leading zeros)');
    return checkIPv4(text, text);
  }
  return { host: checkDnsName(text), kind: 'dns' };
}

const isIPv6Literal = (text: string): boolean => /^[0-9a-f:.]+$/i.test(text) && ipaddr.IPv6.isValid(text);

function checkIPv4(text: string, address: string): HostArg {
  const range = ipaddr.IPv4.parse(address).range();
  if (range === 'unspecified') throw refuse(text, 'is the unspecified address; it names no host');
  if (range === 'multicast') throw refuse(text, 'is a multicast address; it names no single host');
  if (range === 'broadcast') throw refuse(text, 'is the broadcast address; it names no single host');
  return { host: address, kind: 'ipv4' };
}

function checkIPv6(text: string, address: string): HostArg {
  const parsed = ipaddr.IPv6.parse(address);
  // An IPv4-mapped address (::ffff:192.0.2.1) is an IPv4 host written the IPv6 way.
  if (parsed.isIPv4MappedAddress()) return checkIPv4(text, parsed.toIPv4Address().toString());
  const range = parsed.range();
  if (range === 'unspecified') throw refuse(text, 'is the unspecified address; it names no host');
  if (range === 'multicast') throw refuse(text, 'is a multicast address; it names no single host');
  if (range === 'linkLocal') throw refuse(text, 'is link-local; it needs a zone id and does not leave the link');
  return { host: parsed.toRFC5952String(), kind: 'ipv6' };
}

function checkDnsName(text: string): string {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length > 253) throw refuse(text, 'is longer than 253 characters');
  const labels = name.split('.');
  for (const label of labels) {
    if (label === '') throw refuse(text, 'has an empty label (two dots in a row, or a leading dot)');
    if (label.length > 63) throw refuse(text, `label "${label.slice(0, 20)}..." is longer than 63 characters`);
    if (!LABEL.test(label)) {
      throw refuse(text, `"${label}" is not a valid DNS label (letters, digits and inner hyphens only)`);
    }
  }
  // An all-numeric last label is never a name (RFC 3696 §2); it is a mistyped IPv4 address.
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) {
    throw refuse(text, 'is not a valid IPv4 address (four numbers 0–255) nor a DNS name');
  }
  return name.toLowerCase();
}

/** Host → URL form: IPv6 needs brackets in http://[2001:db8::1]:2379. */
export function bracketHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** URL → host, bracketHost's inverse: the URL's host with IPv6 unbracketed; '' when it is not a URL. */
export function hostFromUrl(url: string | URL): string {
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return '';
  }
}

/** The etcd client URL flannel and our etcd client use for a peer. */
export function etcdEndpoint(host: string, port: number = PORTS.etcdClient, scheme: 'http' | 'https' = 'http'): string {
  return `${scheme}://${bracketHost(host)}:${port}`;
}

/**
 * --advertise-address: flannel's --public-ip and the network are IPv4, so only an IPv4 address
 * that can name this host is accepted. Whether it is on this host is checked later, on the host.
 */
export function parseAdvertiseAddress(text: string): string {
  const hint = 'Pass the IPv4 address other hosts reach this one on, e.g. --advertise-address 192.168.1.2.';
  if (!isIPv4(text)) {
    const why = isIPv6Literal(text.replace(/^\[|\]$/g, '')) ? 'is IPv6; flannel advertises an IPv4 address' : 'is not a valid IPv4 address';
    throw usageError(`--advertise-address "${text}" ${why}`, hint);
  }
  const range = ipaddr.IPv4.parse(text).range();
  if (range === 'unspecified' || range === 'multicast' || range === 'broadcast' || range === 'loopback') {
    const what = range === 'unspecified' ? 'the unspecified address' : range === 'broadcast' ? 'the broadcast address' : `a ${range} address`;
    throw usageError(`--advertise-address ${text} is ${what}; other hosts cannot reach it`, hint);
  }
  return text;
}

export interface LookupAddress {
  address: string;
  family: number;
}

/** Resolves every address of a name, as dns.promises.lookup(name, { all: true }) does. */
export type Lookup = (hostname: string) => Promise<LookupAddress[]>;

const systemLookup: Lookup = (hostname) => dns.lookup(hostname, { all: true });

/** Error codes that mean the name does not exist, rather than that DNS did not answer. */
const NO_SUCH_NAME = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

/**
 * The address to reach a peer on. IP literals are returned as they are, without a lookup. IPv4
 * is preferred because etcd listens on 0.0.0.0, which takes IPv4 connections only.
 * A name that does not exist is a usage error (the argument is wrong); a lookup that fails for
 * any other reason is a peer error (DNS may be down; retrying can help).
 */
export async function resolveHost(host: string, lookup: Lookup = systemLookup): Promise<string> {
  const parsed = parseHostArg(host);
  if (parsed.kind !== 'dns') return parsed.host;
  let addresses: LookupAddress[];
  try {
    addresses = await lookup(parsed.host);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    if (NO_SUCH_NAME.has(code)) {
      throw usageError(`cannot resolve host "${parsed.host}": no such name`, 'Check the spelling, or give the IP address of the host where `ignite-net init` ran.');
    }
    throw new IgniteError('peer', `cannot resolve host "${parsed.host}": ${code || (error instanceof Error ? error.message : String(error))}`, {
      hint: 'Check this host\'s DNS settings (/etc/resolv.conf), or give the IP address of the host where `ignite-net init` ran.',
      cause: error,
    });
  }
  const usable = addresses.filter((entry) => {
    try {
      const range = ipaddr.parse(entry.address).range();
      return range !== 'unspecified' && range !== 'multicast' && range !== 'broadcast';
    } catch {
      return false;
    }
  });
  const chosen = usable.find((entry) => entry.family === 4) ?? usable[0];
  if (!chosen) {
    throw usageError(
      `host "${parsed.host}" resolves to no usable address`,
      'Check the name\'s DNS records, or give the IP address of the host where `ignite-net init` ran.',
    );
  }
  return chosen.address;
}
