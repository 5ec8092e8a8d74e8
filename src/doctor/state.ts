/**
 * doctor's first step: the state file says which host this is and what init/join recorded, and
 * what it recorded stands in for the flags not given. Reading it resolves (the paths, the network,
 * the advertise address, the peer); the StateFile check only reports what the read found.
 */
import { applyState, statePath } from '../adapters/state.js';
import { fail, pass, type Outcome } from '../core/check.js';
import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import type { CommandContext } from '../steps/context.js';
import { doctorReport, runOne } from './report.js';

const NETWORK_FLAGS = ['network', 'subnet-len', 'subnet-min', 'subnet-max', 'backend', 'backend-port', 'vni', 'direct-routing'];

/**
 * doctor never asks (a diagnosis should not stop for input): `yes` takes defaults and says so.
 * On a host that init or join set up, what they recorded fills in the paths, the network, the
 * advertise address and, on a joined host, the peer, so doctor checks what is set up.
 */
async function readState(ctx: CommandContext): Promise<Outcome> {
  ctx.options = { ...ctx.options, yes: true };
  const report = doctorReport(ctx);
  const path = statePath(ctx.options.stateDir);
  const state = await ctx.services.state.readState(ctx.options.stateDir).catch((error: unknown) => {
    if (error instanceof IgniteError) return error;
    throw error;
  });
  if (state instanceof IgniteError) {
    report.checkedAs = ctx.options.peer ? `joining ${ctx.options.peer}` : 'as for init';
    return fail(state.message, state.hint ?? `Check ${path}.`);
  }
  if (!state) {
    report.checkedAs = ctx.options.peer ? `as for join ${ctx.options.peer} (not set up yet)` : 'as for init (not set up yet)';
    return pass(`none at ${path}: this host is not set up; checking it as for ${ctx.options.peer ? 'join' : 'init'}`);
  }
  const { explicit } = ctx.options;
  ctx.state = state;
  if (!NETWORK_FLAGS.some((f) => explicit.has(f))) ctx.network = state.network;
  ctx.options = {
    ...applyState(ctx.options, state),
    ...(explicit.has('advertise-address') ? {} : { advertiseAddress: state.advertiseAddress }),
    ...(ctx.options.peer === undefined && state.role === 'joined' && state.peer !== undefined ? { peer: state.peer } : {}),
  };
  report.checkedAs = state.role === 'init' ? 'init host (state file)' : `joined ${state.peer ?? '?'} (state file)`;
  if (ctx.options.peer !== undefined && state.role === 'init') report.checkedAs = `init host, checked as for join ${ctx.options.peer}`;
  return pass(`${state.role === 'init' ? 'init host' : `joined ${state.peer ?? '?'}`} since ${state.createdAt} (${path})`);
}

export const doctorStateStep: Step<CommandContext> = {
  id: 'state',
  title: 'Read the state file',
  async run(ctx, io) {
    const found = await readState(ctx);
    const { result } = await runOne({ name: 'StateFile', run: async () => found }, ctx, io);
    // One check: its own line says it; a count here ("1 check") only repeated that line.
    return { detail: result.status === 'fail' ? 'not readable' : ctx.state ? 'found' : 'none' };
  },
};
