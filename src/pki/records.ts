/**
 * What ignite-net keeps about tokens and joins in etcd (root-only keys, see etcd-roles.ts): written by
 * `token create` and by join's identity step, read by `token list` and `hosts list`. One shape each.
 */

/** At tokenKey(id). */
export interface TokenRecord {
  id: string;
  /** The host identity the token carries. */
  user: string;
  createdAt: string;
  expiresAt: string;
  /** A control-plane token (docs/ha.md): it also carries the sealed control-plane bundle. */
  controlPlane?: boolean;
}

/** At joinKey(id), written by the host that used the token. */
export interface JoinRecord {
  address: string;
  hostname: string;
  user: string;
  at: string;
}

/**
 * At revokedKey(id), written by `hosts revoke` when the host held a lease, under an etcd lease that
 * ends a little after that lease can last: status on the init host marks the lease as revoked until
 * it runs out (the host can no longer renew it).
 */
export interface RevokedRecord {
  user: string;
  address: string;
  hostname: string;
  /** The lease the host held when it was revoked. */
  subnet: string;
  at: string;
  /** When that lease runs out without a renewal; a later expiry means a new identity renewed it. */
  leaseExpiresAt: string;
}

/**
 * At hostRecordKey(user), written by that host after it (re)started flannel (docs/ha.md, "Member list
 * refresh"): the client URLs flannel was given, so a control-plane host can tell which hosts still
 * point at an old member list.
 */
export interface HostRecord {
  address: string;
  hostname: string;
  endpoints: string[];
  updated: string;
}

/** undefined for a missing or unreadable record: listings show "?" rather than fail. */
function parse<T>(text: string | undefined, fields: readonly (keyof T)[]): T | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    return fields.every((f) => typeof value[f as string] === 'string') ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

export const parseTokenRecord = (text: string | undefined): TokenRecord | undefined => parse<TokenRecord>(text, ['id', 'user', 'createdAt', 'expiresAt']);
export const parseJoinRecord = (text: string | undefined): JoinRecord | undefined => parse<JoinRecord>(text, ['address', 'hostname', 'user', 'at']);
export const parseRevokedRecord = (text: string | undefined): RevokedRecord | undefined => parse<RevokedRecord>(text, ['user', 'address', 'hostname', 'subnet', 'at', 'leaseExpiresAt']);

export function parseHostRecord(text: string | undefined): HostRecord | undefined {
  const record = parse<HostRecord>(text, ['address', 'hostname', 'updated']);
  return record && Array.isArray(record.endpoints) && record.endpoints.every((e) => typeof e === 'string') ? record : undefined;
}

/** A record's ISO time as the commands print it: `2026-12-02 04:53 UTC`. */
export const recordTime = (iso: string): string => `${iso.replace('T', ' ').slice(0, 16)} UTC`; // core/duration.ts formatUtcMinute, for a string that may not parse
