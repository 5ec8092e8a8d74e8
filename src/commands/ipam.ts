import { ipamGcReport } from '../cni/ipam-gc-report.js';
import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { PATHS } from '../defaults.js';
import type { CommandContext } from '../steps/context.js';
import { freeStale, gatherStoreFindings } from '../steps/ipam.js';
import { dockerStep } from '../steps/resolve.js';
import { loadStateStep } from '../steps/state.js';
import type { CommandSpec } from './command.js';

/**
 * Judges the store with the rule init/join's ipam-gc step and doctor use (cni/ipam-stale.ts); with --yes
 * frees the stale ones through the same code (host-local's lock, each file read again). A store that
 * cannot be read, or a lock that cannot be taken, is an error: the command did not do what was asked.
 */
const gcStep: Step<CommandContext> = {
  id: 'ipam-gc',
  title: 'Stale IP allocations',
  async run(ctx, io) {
    const found = await gatherStoreFindings(ctx);
    if (found.kind === 'unreadable') throw new IgniteError('permission', `${found.problem}: no allocation checked`, { hint: 'Run it as root: sudo ignite-net ipam gc.' });
    ctx.ipamGc = { found };
    if (found.kind === 'missing') return { detail: 'no allocations' };
    const { stale } = found.verdicts;
    if (!ctx.options.yes || stale.length === 0) return { detail: `${stale.length} stale` };
    const result = await freeStale(ctx, io, found.dir, stale);
    if ('lockProblem' in result) {
      throw new IgniteError('conflict', `${result.lockProblem}: ${stale.length} stale IP allocation${stale.length === 1 ? '' : 's'} not freed`, { hint: 'Run it again once no VM is starting or stopping.' });
    }
    ctx.ipamGc = { found, released: result };
    return { detail: `freed ${result.freed.length}` };
  },
};

/** `ignite-net ipam gc [--yes]`: host-local's stale allocations of our network; a dry run unless --yes. */
export const ipamCommand: CommandSpec = {
  name: 'ipam',
  // host-local's own lock guards the store (init's ipam-gc step takes it too), not the host lock.
  changesHost: false,
  // Docker not reachable is no failure: its containers then count as unknown, which keeps what they decide.
  steps: () => [loadStateStep('lenient'), dockerStep, gcStep],
  summary(ctx) {
    if (ctx.ipamGc === undefined) return { title: 'ignite-net ipam gc', lines: [], next: [] };
    return ipamGcReport(ctx.ipamGc, PATHS.igniteVmDir);
  },
};
