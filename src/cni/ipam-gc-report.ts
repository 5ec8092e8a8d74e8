/**
 * What `ignite-net ipam gc [--yes]` says: each stale allocation (address, container ID, since when) and
 * why it is stale, what is kept, and what was freed (with --yes) or how to free it (without). Pure: the
 * command's step gathers and frees (steps/ipam.ts), the reporters render the summary this returns.
 */
import type { SummaryLine } from '../core/events.js';
import { formatUtcMinute } from '../core/duration.js';
import { describeKept, GRACE_MS, IGNITE_CONTAINER, type Allocation, type StoreFindings } from './ipam-stale.js';

export interface IpamGcOutcome {
  found: StoreFindings;
  /** --yes: what was freed and what was kept after the re-read under host-local's lock. */
  released?: { freed: readonly Allocation[]; skipped: readonly { address: string; why: string }[] };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const since = (a: Allocation): string => formatUtcMinute(a.since);

/** Why the rule (cni/ipam-stale.ts) found no owner: every way one could still exist, said as not found. */
export function staleReason(a: Allocation, igniteVmDir: string): string {
  const vm = IGNITE_CONTAINER.exec(a.containerId)?.[1];
  const owner = vm === undefined ? `no Docker container is ${a.containerId || 'its owner'}, not an Ignite VM's ID` : `no ${igniteVmDir}/${vm} (Ignite VM gone), no Docker container ${a.containerId}`;
  return `${owner}, ${a.address} is in no netns in use, older than ${GRACE_MS / 60_000} min`;
}

export function ipamGcReport(outcome: IpamGcOutcome, igniteVmDir: string): { title: string; lines: SummaryLine[]; next: string[] } {
  const { found, released } = outcome;
  const store: SummaryLine = { label: 'store', value: found.dir };
  if (found.kind === 'missing') return { title: 'ignite-net ipam gc: no IP allocations', lines: [{ ...store, value: `${found.dir} (does not exist: no VM has had an address here)` }], next: [] };
  if (found.kind === 'unreadable') return { title: 'ignite-net ipam gc: the store could not be read', lines: [{ ...store, value: `${found.dir}: ${found.problem}` }], next: [] };
  const { stale, kept, unknown } = found.verdicts;
  const freed = new Set(released?.freed.map((a) => a.address));
  const skipped = new Map(released?.skipped.map((s) => [s.address, s.why]));
  const lines: SummaryLine[] = [
    store,
    ...stale.map((a) => {
      const fate = released === undefined ? '' : freed.has(a.address) ? ' — freed' : ` — kept: ${skipped.get(a.address) ?? 'not freed'}`;
      return { label: a.address, value: `${a.containerId || 'no container ID'}, since ${since(a)}: stale (${staleReason(a, igniteVmDir)})${fate}` };
    }),
    ...(kept.length > 0 ? [{ label: 'kept', value: describeKept(kept) }] : []),
    ...(unknown.length > 0 ? [{ label: 'not read', value: `${unknown.join(', ')}: what they decide is kept` }] : []),
  ];
  if (stale.length === 0) return { title: `ignite-net ipam gc: no stale IP allocations (${kept.length} kept)`, lines, next: [] };
  if (released === undefined) {
    return { title: `ignite-net ipam gc: ${plural(stale.length, 'stale IP allocation')} (dry run, nothing freed)`, lines, next: ['Run with --yes to free them: sudo ignite-net ipam gc --yes'] };
  }
  return { title: `ignite-net ipam gc: freed ${plural(freed.size, 'stale IP allocation')}${freed.size < stale.length ? ` of ${stale.length}` : ''}`, lines, next: [] };
}
