import { ETCD_KEYS } from '../defaults.js';

/**
 * The etcd users and roles ignite-net makes, and the keys each role may touch (docs/security.md,
 * "Identities and roles" and "Join token"). Pure: the admin adapter (src/adapters/etcd/admin.ts)
 * applies them.
 */

/** One grant: a single key, or every key starting with `key` when `prefix`. */
export interface EtcdPermission {
  permission: 'read' | 'write' | 'readwrite';
  key: string;
  prefix?: boolean;
}

export const ROOT_USER = 'root';
/** etcd's built-in role that may do everything, auth management included. */
export const ROOT_ROLE = 'root';
export const FLANNEL_ROLE = 'ignite-flannel';

/** Where ignite-net's own keys live (never under flannel's prefix, so flannel's role cannot reach them). */
export const IGNITE_PREFIX = '/ignite-net';

/** What flanneld does with etcd: read the network config, create and renew its subnet lease. */
export function flannelPermissions(prefix: string = ETCD_KEYS.prefix): EtcdPermission[] {
  const base = prefix.replace(/\/+$/, '');
  return [
    { permission: 'read', key: `${base}/config` },
    // No trailing slash: flannel ranges over [<prefix>/subnets, <prefix>/subnett).
    { permission: 'readwrite', key: `${base}/subnets`, prefix: true },
  ];
}

export const hostUser = (id: string): string => `ignite-host-${id}`;
/** A host identity's own role (docs/ha.md), named as its user: flannel's permissions and its own record. */
export const hostRole = (user: string): string => user;
export const tokenUser = (id: string): string => `ignite-token-${id}`;
export const tokenRole = (id: string): string => `ignite-token-${id}`;

export const bootstrapKey = (id: string): string => `${IGNITE_PREFIX}/bootstrap/${id}`;
export const joinKey = (id: string): string => `${IGNITE_PREFIX}/joins/${id}`;
/** Root-only: what `hosts revoke` recorded, for status (pki/records.ts RevokedRecord). */
export const revokedKey = (id: string): string => `${IGNITE_PREFIX}/revoked/${id}`;
/** A control-plane token's sealed bundle (docs/ha.md), on the same etcd lease as its bootstrap box. */
export const controlPlaneKey = (id: string): string => `${IGNITE_PREFIX}/control-plane/${id}`;
/** What each host's flannel was started with (pki/records.ts HostRecord), written by that host. */
export const hostRecordKey = (user: string): string => `${IGNITE_PREFIX}/hosts/${user}`;
export const HOST_RECORDS_PREFIX = `${IGNITE_PREFIX}/hosts/`;
/**
 * Fixed subnets (docs/commands.md, "Fixed subnets"): one durable record (no etcd lease) per host that
 * keeps a subnet for good. A host writes its own under its user (granted with its role at token time,
 * when its subnet is not known yet); root writes `subnets reserve`'s for a host not joined yet under
 * its PublicIP. Every host may read them all, to re-create a missing reservation of any host.
 */
export const FIXED_PREFIX = `${IGNITE_PREFIX}/fixed/`;
export const fixedHostKey = (user: string): string => `${FIXED_PREFIX}${user}`;
export const fixedAddressKey = (publicIP: string): string => `${FIXED_PREFIX}ip-${publicIP}`;
/** Root-only metadata for `token list`. */
export const tokenKey = (id: string): string => `${IGNITE_PREFIX}/tokens/${id}`;

/**
 * A host identity's role: what flannel does, readwrite on the host's own record and own fixed-subnet
 * record (no other host's), and read on every fixed-subnet record.
 */
export function hostPermissions(user: string): EtcdPermission[] {
  return [
    ...flannelPermissions(),
    { permission: 'readwrite', key: hostRecordKey(user) },
    { permission: 'read', key: FIXED_PREFIX, prefix: true },
    { permission: 'readwrite', key: fixedHostKey(user) },
  ];
}

/**
 * A join token's user may take its sealed identity once and record the join: two single keys; a
 * control-plane token's user may also take its sealed bundle (a third single key).
 */
export function tokenPermissions(id: string, controlPlane = false): EtcdPermission[] {
  return [
    { permission: 'readwrite', key: bootstrapKey(id) },
    { permission: 'readwrite', key: joinKey(id) },
    ...(controlPlane ? [{ permission: 'readwrite' as const, key: controlPlaneKey(id) }] : []),
  ];
}
