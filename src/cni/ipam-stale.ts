/**
 * Which host-local allocations of our CNI network are stale: their owner is gone, so the address
 * stays taken until someone frees it, and the next VM start may fail with "duplicate allocation is
 * not allowed" (Ignite issues #660, #527). Pure: adapters/ipam-store.ts gathers the facts and frees.
 *
 * host-local keeps one file per address in <cni-state-dir>/networks/<network>/, named after the
 * address, holding the container ID (first line) and the interface (second line); `lock` and
 * `last_reserved_ip.<range>` sit beside them. Freeing an allocation is removing its file, exactly
 * what host-local's own DEL does (last_reserved_ip is only where its round-robin search resumes, and
 * DEL leaves it too).
 *
 * The rule (when in doubt, keep): an allocation is kept when
 *   1. its file is younger than GRACE_MS (an ADD may be in progress, its container not yet visible);
 *   2. its container ID is a Docker container's (its full ID, an ID prefix of 12 or more, or a name);
 *   3. its container ID is Ignite's `ignite-<vm id>` and Ignite's VM dir
 *      /var/lib/firecracker/vm/<vm id> exists (the VM exists, running or not);
 *   4. its address is on an interface in a network namespace in use (a process's or a named one);
 *   5. any of those facts could not be read (Docker not reachable, the VM dir or the namespaces
 *      unreadable).
 * Everything else is stale.
 */

import { pass, warn, type Outcome } from '../core/check.js';
import { formatUtcMinute } from '../core/duration.js';

/** Two minutes: longer than any CNI ADD takes, so an allocation in progress is never freed. */
export const GRACE_MS = 2 * 60_000;

/** Ignite names each VM's container (and CNI container ID) `ignite-<16 hex digits of the VM id>`. */
export const IGNITE_CONTAINER = /^ignite-([0-9a-f]{16})$/;

export interface Allocation {
  address: string;
  containerId: string;
  ifname?: string;
  /** The file's mtime (ms since the epoch): when host-local reserved it. */
  since: number;
}

export interface AllocationFacts {
  now: number;
  allocations: readonly Allocation[];
  /** Docker's containers (all states): IDs and names without the leading slash; undefined: not reachable. */
  docker?: { ids: readonly string[]; names: readonly string[] };
  /** VM ids with a dir under Ignite's VM dir; undefined: that dir could not be read. */
  igniteVms?: ReadonlySet<string>;
  /** IPv4 addresses on interfaces in the network namespaces in use; undefined: could not be read. */
  netnsAddresses?: ReadonlySet<string>;
}

export type KeepReason = 'recent' | 'docker-container' | 'ignite-vm' | 'address-in-use' | 'unknown';

export interface AllocationVerdicts {
  stale: Allocation[];
  kept: { allocation: Allocation; why: KeepReason }[];
  /** Facts that could not be read (each keeps what it could have decided). */
  unknown: string[];
}

export function judgeAllocations(facts: AllocationFacts): AllocationVerdicts {
  const stale: Allocation[] = [];
  const kept: AllocationVerdicts['kept'] = [];
  const unknown = [
    ...(facts.docker ? [] : ['Docker containers']),
    ...(facts.igniteVms ? [] : ["Ignite's VM dirs"]),
    ...(facts.netnsAddresses ? [] : ['addresses in network namespaces']),
  ];
  for (const allocation of facts.allocations) {
    const why = keepReason(allocation, facts);
    if (why === undefined) stale.push(allocation);
    else kept.push({ allocation, why });
  }
  return { stale, kept, unknown };
}

function keepReason(a: Allocation, facts: AllocationFacts): KeepReason | undefined {
  if (facts.now - a.since < GRACE_MS) return 'recent';
  if (facts.docker && ownedByDocker(a.containerId, facts.docker)) return 'docker-container';
  const vm = IGNITE_CONTAINER.exec(a.containerId)?.[1];
  if (vm !== undefined && facts.igniteVms?.has(vm)) return 'ignite-vm';
  if (facts.netnsAddresses?.has(a.address)) return 'address-in-use';
  if (!facts.docker || !facts.igniteVms || !facts.netnsAddresses) return 'unknown';
  return undefined;
}

function ownedByDocker(id: string, docker: NonNullable<AllocationFacts['docker']>): boolean {
  if (docker.names.includes(id)) return true;
  return docker.ids.some((full) => full === id || (id.length >= 12 && /^[0-9a-f]+$/.test(id) && full.startsWith(id)));
}

/** The file's content as host-local writes it: "<container id>\r\n<ifname>" (older versions: the ID alone). */
export function parseAllocationFile(text: string): { containerId: string; ifname?: string } {
  const [id = '', ifname] = text.split(/\r?\n/);
  return { containerId: id.trim(), ...(ifname?.trim() ? { ifname: ifname.trim() } : {}) };
}

/** A file of the store that names an address (not `lock`, not `last_reserved_ip.*`). */
export function isAllocationFile(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || (name.includes(':') && /^[0-9a-fA-F:]+$/.test(name));
}

/** "10.50.31.2 (ignite-0123456789abcdef, since 2026-12-02 14:03 UTC)". */
export function describeAllocation(a: Allocation): string {
  return `${a.address} (${a.containerId || 'no container ID'}, since ${formatUtcMinute(a.since)})`;
}

const REASONS: Record<KeepReason, string> = {
  recent: 'just allocated',
  'docker-container': 'a Docker container',
  'ignite-vm': "an Ignite VM's dir",
  'address-in-use': 'address in use in a netns',
  unknown: 'owner could not be checked',
};

/** "3 kept (2 a Docker container, 1 just allocated)". */
export function describeKept(kept: AllocationVerdicts['kept']): string {
  const counts = new Map<KeepReason, number>();
  for (const { why } of kept) counts.set(why, (counts.get(why) ?? 0) + 1);
  return `${kept.length} kept${kept.length === 0 ? '' : ` (${[...counts].map(([why, n]) => `${n} ${REASONS[why]}`).join(', ')})`}`;
}

/** What the store read gave, for doctor and init/join: the store, its allocations judged. */
export type StoreFindings = { dir: string } & ({ kind: 'missing' } | { kind: 'unreadable'; problem: string } | { kind: 'judged'; verdicts: AllocationVerdicts });

/** doctor's CNIStaleAllocations: stale ones are a warning naming each and the command that frees them. */
export function evaluateStale(found: StoreFindings, command: string): Outcome {
  if (found.kind === 'missing') return pass(`no host-local allocations (${found.dir} does not exist)`);
  if (found.kind === 'unreadable') return warn(`${found.problem}: every allocation is kept, none checked`, 'Run ignite-net as root (sudo).');
  const { stale, kept, unknown } = found.verdicts;
  const could = unknown.length > 0 ? `; could not read ${unknown.join(', ')}, so what they decide is kept` : '';
  if (stale.length === 0) return pass(`${kept.length === 0 ? 'no allocations' : describeKept(kept)} in ${found.dir}, none stale${could}`);
  return warn(
    `${stale.length} stale IP allocation${stale.length === 1 ? '' : 's'} in ${found.dir} (owner gone): ${stale.map(describeAllocation).join(', ')}${kept.length > 0 ? `; ${describeKept(kept)}` : ''}${could}`,
    `\`sudo ignite-net ipam gc --yes\` frees them (so does \`sudo ignite-net ${command}\` again); a VM start may otherwise fail with "duplicate allocation is not allowed".`,
  );
}
