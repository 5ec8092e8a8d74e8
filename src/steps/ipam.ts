import { join } from 'node:path';
import { DEFAULT_CONFLIST_VARS } from '../cni/conflist.js';
import { describeAllocation, judgeAllocations, type Allocation, type StoreFindings } from '../cni/ipam-stale.js';
import type { Step, StepIO } from '../core/step.js';
import { PATHS } from '../defaults.js';
import type { CommandContext } from './context.js';

/** host-local's store of our network: <cni-state-dir>/networks/cbr0. */
export const ipamStoreDir = (ctx: CommandContext): string => join(ctx.options.cniStateDir, 'networks', DEFAULT_CONFLIST_VARS.name);

/**
 * Reads the store and the facts that tell whether each allocation's owner still exists, and judges
 * them (cni/ipam-stale.ts). Docker's containers come through the command's Docker client; without
 * one (not reachable) they count as unknown, which keeps what they would decide.
 */
export async function gatherStoreFindings(ctx: CommandContext): Promise<StoreFindings> {
  const { ipam, clock } = ctx.services;
  const dir = ipamStoreDir(ctx);
  const read = await ipam.readStore(dir);
  if (read.kind !== 'ok') return { dir, ...read };
  if (read.allocations.length === 0) return { dir, kind: 'judged', verdicts: { stale: [], kept: [], unknown: [] } };
  const [docker, igniteVms, netnsAddresses] = await Promise.all([
    ctx.docker?.listAllContainers().catch(() => undefined),
    ipam.listIgniteVms(PATHS.igniteVmDir),
    ipam.netnsAddresses(),
  ]);
  const verdicts = judgeAllocations({
    now: clock.now(),
    allocations: read.allocations,
    ...(docker ? { docker } : {}),
    ...(igniteVms ? { igniteVms } : {}),
    ...(netnsAddresses ? { netnsAddresses } : {}),
  });
  return { dir, kind: 'judged', verdicts };
}

export type FreeResult = { freed: Allocation[]; skipped: { address: string; why: string }[] } | { lockProblem: string };

/**
 * Frees the allocations judged stale under host-local's lock, each read again first (adapters/ipam-store.ts);
 * init/join's ipam-gc step and `ipam gc --yes` both free through here. Each one kept meanwhile is a progress line.
 */
export async function freeStale(ctx: CommandContext, io: Pick<StepIO, 'progress'>, dir: string, stale: readonly Allocation[]): Promise<FreeResult> {
  const result = await ctx.services.ipam.releaseAllocations(dir, stale);
  if ('lockProblem' in result) return result;
  for (const { address, why } of result.skipped) io.progress(`${address} kept: ${why}`);
  return { freed: stale.filter((a) => result.freed.includes(a.address)), skipped: result.skipped };
}

/**
 * init and join free the stale host-local allocations of our network (an address whose VM died
 * without a CNI DEL), so the next VM start does not fail on it. Changes nothing else; a store that
 * cannot be read, or host-local's lock that cannot be taken, is a warning and frees nothing.
 * No undo: a freed allocation had no owner, and host-local hands the address out again anyway.
 */
export const ipamGcStep: Step<CommandContext> = {
  id: 'ipam-gc',
  title: 'Free stale IP allocations',
  async run(ctx, io) {
    const found = await gatherStoreFindings(ctx);
    if (found.kind !== 'judged') {
      ctx.unchanged.add('ipam-gc');
      if (found.kind === 'unreadable') io.warn(`${found.problem}: no stale IP allocation freed`, 'Run ignite-net as root (sudo).');
      return { detail: found.kind === 'missing' ? 'no allocations yet' : 'store not readable, nothing freed' };
    }
    const { stale, kept, unknown } = found.verdicts;
    if (unknown.length > 0) io.progress(`could not read ${unknown.join(', ')}: the allocations they would decide are kept`);
    if (stale.length === 0) {
      ctx.unchanged.add('ipam-gc');
      return { detail: `none stale (${kept.length} in use)` };
    }
    const result = await freeStale(ctx, io, found.dir, stale);
    if ('lockProblem' in result) {
      ctx.unchanged.add('ipam-gc');
      io.warn(`${result.lockProblem}: ${stale.length} stale IP allocation${stale.length === 1 ? '' : 's'} not freed`, 'Run it again once no VM is starting or stopping.');
      return { detail: 'nothing freed' };
    }
    const { freed } = result;
    if (freed.length === 0) ctx.unchanged.add('ipam-gc');
    return { detail: freed.length === 0 ? 'nothing freed' : `freed ${freed.length} stale IP allocation${freed.length === 1 ? '' : 's'}: ${freed.map(describeAllocation).join(', ')}` };
  },
};
