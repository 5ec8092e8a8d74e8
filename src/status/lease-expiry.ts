/**
 * What status remembers of etcd lease expiry between runs, so that a run asks etcd only about the
 * leases it has not seen (etcd has no call that returns many leases' TTLs: one LeaseTimeToLive per
 * lease made a 1,000-host status cost 1,000 round trips, and every host polling status multiplied
 * that on the one etcd).
 *
 * Why a remembered expiry is safe to show: a lease's expiry can only move later (KeepAlive), never
 * earlier, and a revoked or expired lease takes its keys with it, so the range read drops it. A
 * remembered expiry is therefore a lower bound, and exact for flannel, which renews by granting a
 * new lease (a new ID, asked about afresh). Whenever the remembered time left is under `recheckBelow`
 * (where status would warn), etcd is asked again, so every warning rests on a fresh answer.
 */

export interface LeaseExpiryCache {
  version: 1;
  /** etcd's cluster ID: lease IDs are only unique within one cluster. */
  clusterId: string;
  /** Lease ID (hex) → when it expires, in ms since the epoch. */
  expiresAt: Record<string, number>;
}

/** Parses a cache file; anything unexpected (torn write, other version) is an empty cache. */
export function parseLeaseExpiryCache(text: string | undefined): LeaseExpiryCache | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<LeaseExpiryCache> | null;
    if (value?.version !== 1 || typeof value.clusterId !== 'string' || typeof value.expiresAt !== 'object' || value.expiresAt === null) return undefined;
    const expiresAt: Record<string, number> = {};
    for (const [id, at] of Object.entries(value.expiresAt)) if (typeof at === 'number' && Number.isFinite(at)) expiresAt[id] = at;
    return { version: 1, clusterId: value.clusterId, expiresAt };
  } catch {
    return undefined;
  }
}

/**
 * Seconds left on the lease as remembered, or undefined when etcd must be asked: unknown lease,
 * another cluster, or less than `recheckBelowSeconds` left.
 */
export function rememberedTtl(cache: LeaseExpiryCache | undefined, clusterId: string, leaseId: string, nowMs: number, recheckBelowSeconds: number): number | undefined {
  if (cache?.clusterId !== clusterId) return undefined;
  const at = cache.expiresAt[leaseId];
  if (at === undefined) return undefined;
  const seconds = Math.floor((at - nowMs) / 1000);
  return seconds < recheckBelowSeconds ? undefined : seconds;
}

/**
 * The cache after a read: exactly the leases just listed. `ttlSeconds` is what etcd answered (or
 * what was remembered) for a read that started at `readStartedMs`; etcd truncates to whole seconds,
 * so `readStartedMs + ttl` is a lower bound of the expiry, and so is what was remembered: keeping the
 * later of the two loses nothing, and a remembered expiry does not creep earlier run after run.
 */
export function nextLeaseExpiryCache(previous: LeaseExpiryCache | undefined, clusterId: string, leases: readonly { leaseId?: string; ttlSeconds?: number }[], readStartedMs: number): LeaseExpiryCache {
  const prior = previous?.clusterId === clusterId ? previous.expiresAt : {};
  const expiresAt: Record<string, number> = {};
  for (const lease of leases) {
    if (lease.leaseId === undefined || lease.ttlSeconds === undefined) continue;
    expiresAt[lease.leaseId] = Math.max(prior[lease.leaseId] ?? 0, readStartedMs + lease.ttlSeconds * 1000);
  }
  return { version: 1, clusterId, expiresAt };
}
