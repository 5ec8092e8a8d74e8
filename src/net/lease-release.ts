/**
 * Which flannel lease cleanup releases in etcd, and when a lease it could not release expires.
 * Pure: the leases come from the etcd adapter, the times from the caller.
 */
import type { Lease } from './lease.js';

/** flannel's subnet lease TTL (subnetTTL in flannel's source) and how long before expiry it renews. */
export const LEASE_TTL_MS = 24 * 3600 * 1000;
export const LEASE_RENEW_MARGIN_MS = 3600 * 1000;

export interface ThisHost {
  /** The subnet recorded for this host (state file or subnet.env), e.g. 10.50.31.0/24. */
  subnet?: string;
  /** This host's PublicIP as flannel registers it. */
  publicIP?: string;
}

export interface LeaseDecision {
  lease: Lease;
  why: string;
}

export interface LeaseSelection {
  release: Lease[];
  keep: LeaseDecision[];
}

/**
 * This host's leases, and only them. A lease is this host's when its PublicIP is this host's (the
 * rule flannel itself uses to find its lease again); when the PublicIP is not known, the recorded
 * subnet decides. Never released: a lease of that subnet that now names another PublicIP (ours
 * expired and another host took the subnet), a reservation (a key without an etcd lease: an operator
 * pinned that subnet to this host on purpose), or a value flannel would not write.
 */
export function selectLeasesToRelease(leases: readonly Lease[], host: ThisHost): LeaseSelection {
  const release: Lease[] = [];
  const keep: LeaseDecision[] = [];
  for (const lease of leases) {
    const recorded = host.subnet !== undefined && lease.subnet === host.subnet;
    const mine = host.publicIP !== undefined ? lease.publicIP === host.publicIP : recorded;
    if (!mine) {
      if (recorded) keep.push({ lease, why: `now held by ${lease.publicIP || 'another host'}` });
      continue;
    }
    if (lease.problem !== undefined) keep.push({ lease, why: `not written by flannel (${lease.problem})` });
    else if (lease.reserved) keep.push({ lease, why: 'a reservation (no TTL): kept for this host on purpose' });
    else release.push(lease);
  }
  return { release, keep };
}

/**
 * The latest time a lease this host's flannel held can expire, when etcd cannot be asked. Flannel
 * takes (or re-takes) its lease with a fresh 24 h TTL when it starts — when it writes subnet.env —
 * and renews it 1 h before expiry while it runs, so if it ran from `acquiredAt` until `now` the
 * lease expires 24 h after the last of those renewals. Without `acquiredAt` the bound is now + 24 h.
 */
export function leaseExpiresBy(now: Date, acquiredAt?: Date): Date {
  const ttl = LEASE_TTL_MS;
  if (acquiredAt === undefined || acquiredAt.getTime() > now.getTime()) return new Date(now.getTime() + ttl);
  const period = ttl - LEASE_RENEW_MARGIN_MS;
  const renewals = Math.floor((now.getTime() - acquiredAt.getTime()) / period);
  return new Date(acquiredAt.getTime() + renewals * period + ttl);
}

/** The value of a flanneld flag in a container's command (`--name=value` or `--name value`). */
export function flannelFlag(cmd: readonly string[], name: string): string | undefined {
  for (let i = 0; i < cmd.length; i++) {
    const word = cmd[i] ?? '';
    for (const dashes of ['--', '-']) {
      if (word.startsWith(`${dashes}${name}=`)) return word.slice(dashes.length + name.length + 1);
      if (word === `${dashes}${name}`) return cmd[i + 1];
    }
  }
  return undefined;
}

/** What cleanup knows about this host's lease before asking etcd. */
export interface LeaseFacts {
  /** The state file, if one was read. */
  recorded?: { role: 'init' | 'joined'; etcdEndpoint: string; subnet?: string; advertiseAddress: string };
  /** The lease subnet.env names (flannel's own record), e.g. 10.50.31.0/24. */
  envSubnet?: string;
  /** From the flannel container's command, for hosts set up before the state file existed. */
  flannelEtcdEndpoint?: string;
  flannelPublicIP?: string;
  /** An ignite-etcd container was there when cleanup started. */
  hadEtcdContainer: boolean;
  /** Docker answered, so hadEtcdContainer is known rather than assumed. */
  dockerReachable: boolean;
}

export type LeaseReleasePlan =
  | { kind: 'skip'; detail: string }
  | { kind: 'ask'; endpoint: string; host: ThisHost; isInitHost: boolean };

/**
 * Whether to ask etcd at all, where, and for which host. The state file's records come first, then
 * what flannel's container and subnet.env say; an IPv6 advertise address is not flannel's PublicIP.
 */
export function planLeaseRelease(facts: LeaseFacts): LeaseReleasePlan {
  const { recorded } = facts;
  const endpoint = recorded?.etcdEndpoint ?? facts.flannelEtcdEndpoint;
  const subnet = recorded?.subnet ?? facts.envSubnet;
  const advertise = recorded?.advertiseAddress;
  const publicIP = facts.flannelPublicIP ?? (advertise !== undefined && !advertise.includes(':') ? advertise : undefined);
  if (endpoint === undefined) return { kind: 'skip', detail: 'no etcd known (no state file, no flannel container): nothing to release' };
  if (subnet === undefined && publicIP === undefined) return { kind: 'skip', detail: 'no lease recorded for this host' };
  const isInitHost = recorded ? recorded.role === 'init' : facts.hadEtcdContainer;
  if (isInitHost && facts.dockerReachable && !facts.hadEtcdContainer) {
    // An earlier, interrupted cleanup already released the lease and removed etcd: nothing to ask.
    return { kind: 'skip', detail: `etcd's container is gone; anything left in its data goes with --purge` };
  }
  return { kind: 'ask', endpoint, host: { ...(subnet ? { subnet } : {}), ...(publicIP ? { publicIP } : {}) }, isInitHost };
}
