import { PORTS } from '../defaults.js';
import { bracketHost } from '../net/host-arg.js';

/**
 * etcd's member list as ignite-net reads it, and what a joining member derives from it (docs/ha.md):
 * its name, `--initial-cluster`, and which hosts' flannel still points at an old list. Pure.
 */

export interface EtcdMember {
  /** Hex, as etcdctl prints it (e.g. `8e9e05c52164694d`). */
  id: string;
  /** Empty until the member has started once and published its name. */
  name: string;
  peerUrls: string[];
  /** Empty until the member has started. */
  clientUrls: string[];
  isLearner: boolean;
}

/** The init host's member: its name in `etcdSpec` since 0.1, kept so that its data dir needs no rename. */
export const FIRST_MEMBER_NAME = 's1';

export const peerUrlOf = (address: string): string => `https://${bracketHost(address)}:${PORTS.etcdPeer}`;
export const clientUrlOf = (address: string): string => `https://${bracketHost(address)}:${PORTS.etcdClient}`;

/**
 * A joining member's name: from its advertise address, unique as peer URLs must be (host names are
 * not: cloned VMs and network namespaces share them). `10.0.0.2` → `m-10-0-0-2`, `fd00::2` → `m-fd00--2`.
 */
export function memberNameFor(address: string): string {
  return `m-${address.toLowerCase().replace(/[^a-z0-9]/g, '-')}`;
}

/**
 * `--initial-cluster` for a member joining with `--initial-cluster-state existing`: every member's
 * every peer URL, the joining one (already added as a learner, not started, so nameless) under
 * `self.name`. etcd checks that this lists exactly the cluster's members by peer URL (names are not
 * compared), so another unstarted member, nameless too, gets a stand-in name. Sorted: etcd lists
 * members by their random ID, and the same cluster should give the same flag.
 * Throws when `self.peerUrl` is not in the list: add the learner first.
 */
export function initialCluster(members: readonly EtcdMember[], self: { name: string; peerUrl: string }): string {
  if (!members.some((m) => m.peerUrls.includes(self.peerUrl))) {
    throw new Error(`initialCluster: ${self.peerUrl} is not a member yet (add it as a learner first)`);
  }
  const entries: string[] = [];
  for (const member of members) {
    const name = member.peerUrls.includes(self.peerUrl) ? self.name : member.name || `unstarted-${member.id}`;
    for (const url of member.peerUrls) entries.push(`${name}=${url}`);
  }
  return entries.sort().join(',');
}

/** The client URLs a host's flannel must be given: every voting member's, sorted (learners refuse clients). */
export function flannelEndpoints(members: readonly EtcdMember[]): string[] {
  return [...new Set(members.filter((m) => !m.isLearner).flatMap((m) => m.clientUrls))].sort();
}

/** What each host recorded as the endpoints its flannel was started with (docs/ha.md, "Member list refresh"). */
export interface HostEndpoints {
  /** The host's etcd user (`ignite-host-<id>`) or address: whatever status shows it by. */
  host: string;
  endpoints: readonly string[];
}

export interface StaleHost {
  host: string;
  /** Current members' client URLs the host's flannel does not have. */
  missing: string[];
  /** URLs the host's flannel has that are no member's any more. */
  gone: string[];
}

/** Hosts whose flannel endpoints differ from the current members' client URLs (order does not matter). */
export function staleHosts(hosts: readonly HostEndpoints[], members: readonly EtcdMember[]): StaleHost[] {
  const current = new Set(flannelEndpoints(members));
  const stale: StaleHost[] = [];
  for (const host of hosts) {
    const have = new Set(host.endpoints);
    const missing = [...current].filter((url) => !have.has(url));
    const gone = [...have].filter((url) => !current.has(url)).sort();
    if (missing.length > 0 || gone.length > 0) stale.push({ host: host.host, missing, gone });
  }
  return stale;
}
