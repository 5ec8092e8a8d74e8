import { statePath, applyState, type HostState } from '../adapters/state.js';
import { IgniteError } from '../core/errors.js';
import { INSECURE_OVERLAY } from '../pki/facts.js';
import type { Step, StepIO } from '../core/step.js';
import { version } from '../version.js';
import { required, type CommandContext } from './context.js';
import { writeHostRecord } from './host-record.js';

/** The flags that make up the network config (options.network). */
export const NETWORK_FLAGS: readonly string[] = ['network', 'subnet-len', 'subnet-min', 'subnet-max', 'backend', 'backend-port', 'vni', 'direct-routing'];

/**
 * First step of every command: what an earlier init/join recorded fills in the paths the operator
 * did not give. `lenient` (cleanup) goes on without a state file it cannot trust; the others stop.
 */
export function loadStateStep(mode: 'strict' | 'lenient'): Step<CommandContext> {
  return {
    id: 'state',
    title: 'Read the state file',
    async run(ctx, io) {
      let state: HostState | undefined;
      try {
        state = await ctx.services.state.readState(ctx.options.stateDir);
      } catch (error) {
        if (mode === 'strict' || !(error instanceof IgniteError)) throw error;
        io.warn(`${error.message}: going on with the paths given (containers are found by label)`, error.hint);
        return { detail: 'unreadable; ignored' };
      }
      // Every command touching an insecure overlay says so, once; not init or join converting it (upgrade).
      if (ctx.options.command === 'init' ? ctx.options.insecure : state !== undefined && state.security === undefined && ctx.options.join === undefined) warnInsecure(ctx, io);
      if (!state) return { detail: `none at ${statePath(ctx.options.stateDir)}` };
      ctx.state = state;
      ctx.options = applyState(ctx.options, state);
      // init again without network flags keeps the overlay's network (join takes the peer's anyway).
      if (state.role === 'init' && !NETWORK_FLAGS.some((flag) => ctx.options.explicit.has(flag))) ctx.network = state.network;
      ctx.movedAside = { ...state.movedAside };
      return { detail: `${state.role === 'init' ? 'init host' : `joined ${state.peer ?? ''}`} since ${state.createdAt}` };
    },
  };
}

/** The insecure-overlay warning (pki/facts.ts), at most once per command. */
export function warnInsecure(ctx: CommandContext, io: Pick<StepIO, 'warn'>): void {
  if (ctx.warnedInsecure) return;
  ctx.warnedInsecure = true;
  io.warn(INSECURE_OVERLAY.message, INSECURE_OVERLAY.hint);
}

/** Last step of init and join: record what is now set up, for status, doctor, logs and cleanup. */
export function saveStateStep(role: HostState['role']): Step<CommandContext> {
  return {
    id: 'save-state',
    title: 'Record the state',
    async run(ctx, io) {
      const { options } = ctx;
      const { writeState, removeState } = ctx.services.state;
      const now = new Date(ctx.services.clock.now()).toISOString();
      // A plain `join <member>` on a control-plane host (a refresh) keeps what makes it one.
      const member = ctx.controlPlane?.member ? { memberName: ctx.controlPlane.member.name, initialCluster: ctx.controlPlane.member.initialCluster } : ctx.state?.controlPlane;
      const keptMember = ctx.controlPlane === undefined && member !== undefined;
      const state: HostState = {
        version: 1,
        role,
        etcdEndpoint: keptMember && ctx.state ? ctx.state.etcdEndpoint : required(ctx.etcdEndpoint, 'etcd endpoint'),
        advertiseAddress: required(ctx.advertise, 'advertise').address,
        ...(ctx.advertise?.iface ? { iface: ctx.advertise.iface } : {}),
        ...(ctx.peer ? { peer: ctx.peer.host } : {}),
        ...(ctx.subnet ? { subnet: ctx.subnet } : {}),
        ...(ctx.flannelEndpoints ? { flannelEndpoints: ctx.flannelEndpoints } : {}),
        ...(member ? { controlPlane: member } : {}),
        images: { ...(role === 'init' || member ? { etcd: keptMember ? (ctx.state?.images.etcd ?? options.etcdImage) : options.etcdImage } : {}), flannel: options.flannelImage },
        network: ctx.network,
        ...(ctx.security && ctx.identity ? { security: { caPin: ctx.security.pin, etcdUser: ctx.identity } } : {}),
        paths: { cniConfDir: options.cniConfDir, cniBinDir: options.cniBinDir, runDir: options.runDir, cniStateDir: options.cniStateDir },
        movedAside: ctx.movedAside,
        ...(ctx.cniPlugins?.length ? { cniPlugins: ctx.cniPlugins } : {}),
        toolVersion: version,
        createdAt: ctx.state?.createdAt ?? now,
        updatedAt: now,
      };
      // The endpoints flannel was given, for status on a control-plane host (docs/ha.md).
      const record = await writeHostRecord(ctx, io);
      const previous = ctx.state;
      await writeState(options.stateDir, state);
      await io.changed({
        title: previous ? 'restore the previous state file' : 'remove the state file',
        run: async () => {
          if (previous) await writeState(options.stateDir, previous);
          else await removeState(options.stateDir);
        },
      });
      return { detail: `${statePath(options.stateDir)}${record === 'not permitted' ? "; no record in etcd (this host's identity predates per-host roles: run `ignite-net token list` on a control-plane host, then join again)" : ''}` };
    },
  };
}

export const removeStateStep: Step<CommandContext> = {
  id: 'remove-state',
  title: 'Remove the state file',
  async run(ctx) {
    const removed = await ctx.services.state.removeState(ctx.options.stateDir);
    if (removed) ctx.removed.push(statePath(ctx.options.stateDir));
    return { detail: removed ? `removed ${statePath(ctx.options.stateDir)}` : 'none' };
  },
};
