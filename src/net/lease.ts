/**
 * flannel's subnet leases as plain data: what one key under `<prefix>/subnets/` says, and which one a
 * host holds. Pure: the etcd adapter reads the keys and hands them over as strings.
 */
import { leaseKeyToSubnet } from './cidr.js';

/** One key under `<prefix>/subnets/`, as flannel writes it. */
export interface Lease {
  key: string;
  /** e.g. "10.50.31.0/24"; "" when the key is not `<ip>-<len>`. */
  subnet: string;
  /** "" when the value could not be parsed. */
  publicIP: string;
  publicIPv6?: string;
  /** "" when the value could not be parsed. */
  backendType: string;
  /** The etcd lease, in hex as `etcdctl lease list` prints it. */
  leaseId?: string;
  /** Seconds left on the etcd lease when read (readLeases only: listLeases asks etcd for no TTL). */
  ttlSeconds?: number;
  /** The key has no etcd lease: a host keeps this subnet for good (flannel's reservation). */
  reserved: boolean;
  /** Set when the key or value is not what flannel writes; the other fields are then best effort. */
  problem?: string;
  /** The value as stored. */
  raw: string;
  /**
   * etcd's revision of the key's last write. flannel writes its lease when it starts (and, real
   * flanneld, at each renewal, about a day later): one older than the network config's was written by a
   * flannel that started before the config changed.
   */
  modRevision?: number;
}

/** Seconds left on a lease (hex ID) of a cluster, as the caller remembers it, or undefined. */
export type KnownTtl = (clusterId: string, leaseId: string) => number | undefined;

export interface LeaseRead {
  clusterId: string;
  leases: Lease[];
  /** etcd leases (IDs; several keys may share one) whose TTL was asked of etcd, and known by the caller. */
  asked: number;
  remembered: number;
}

/** A subnet key as etcd returns it; `lease` is etcd's lease ID in decimal, "0" or "" for none. */
export interface SubnetKeyValue {
  key: string;
  value: string;
  lease: string;
  /** etcd's mod_revision of the key, when the reader has it. */
  modRevision?: number;
}

/** The lease held for this public IP, well formed, one under an etcd lease before a reservation. */
export function pickLease(leases: readonly Lease[], publicIP: string): Lease | undefined {
  const mine = leases.filter((lease) => lease.problem === undefined && lease.publicIP === publicIP);
  return mine.find((lease) => !lease.reserved) ?? mine[0];
}

export function hasLease(id: string | undefined): id is string {
  return id !== undefined && id !== '' && id !== '0';
}

/** etcd3 gives lease IDs in decimal; `etcdctl lease list` and our output use hex. */
export function leaseIdHex(id: string): string {
  return BigInt(id).toString(16);
}

/** `ttls` by etcd lease ID (decimal), as far as known; keys and values flannel would not write are marked. */
export function toLease(kv: SubnetKeyValue, subnetsPrefix: string, ttls: ReadonlyMap<string, number>): Lease {
  const { key, value: raw } = kv;
  const problems: string[] = [];
  const lease: Lease = { key, subnet: '', publicIP: '', backendType: '', reserved: !hasLease(kv.lease), raw, ...(kv.modRevision === undefined ? {} : { modRevision: kv.modRevision }) };

  try {
    lease.subnet = leaseKeyToSubnet(key, subnetsPrefix);
  } catch {
    problems.push(`key is not <subnet>-<length>`);
  }

  if (hasLease(kv.lease)) {
    lease.leaseId = leaseIdHex(kv.lease);
    const ttl = ttls.get(kv.lease);
    if (ttl !== undefined) lease.ttlSeconds = ttl;
  }

  const value = parseJsonObject(raw);
  if (value === undefined) {
    problems.push('value is not a JSON object');
  } else {
    const publicIP = value['PublicIP'];
    const publicIPv6 = value['PublicIPv6'];
    const backendType = value['BackendType'];
    if (typeof publicIP === 'string' && publicIP !== '') lease.publicIP = publicIP;
    else problems.push('value has no PublicIP');
    if (typeof publicIPv6 === 'string' && publicIPv6 !== '') lease.publicIPv6 = publicIPv6;
    if (typeof backendType === 'string') lease.backendType = backendType;
  }
  if (problems.length > 0) lease.problem = problems.join('; ');
  return lease;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
