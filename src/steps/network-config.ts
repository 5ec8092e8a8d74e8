import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { ETCD_KEYS } from '../defaults.js';
import { diffNetworkConfig, parseNetworkConfig, renderNetworkConfig } from '../net/network-config.js';
import { required, type CommandContext } from './context.js';
import { describeBackend } from '../net/backend.js';

/** Seeds flannel's network config through the v3 API; keeps an equal one, refuses a different one unless --force. */
export const networkConfigStep: Step<CommandContext> = {
  id: 'network-config',
  title: 'Seed the network config',
  async run(ctx) {
    const store = required(ctx.store, 'etcd store');
    const wanted = ctx.network;
    const sameAs = (existing: string): boolean => {
      try {
        return diffNetworkConfig(parseNetworkConfig(existing), wanted).length === 0;
      } catch {
        return false;
      }
    };
    try {
      const outcome = await store.seedConfig(renderNetworkConfig(wanted), { force: ctx.options.force, equal: sameAs });
      if (outcome === 'unchanged') ctx.unchanged.add('network-config');
      return { detail: `${wanted.Network}, /${wanted.SubnetLen} per host, ${describeBackend(wanted.Backend)} (${outcome})` };
    } catch (error) {
      if (!(error instanceof IgniteError) || error.kind !== 'conflict') throw error;
      const existing = (await store.getConfig()) ?? '';
      let diff: string[];
      try {
        diff = diffNetworkConfig(parseNetworkConfig(existing), wanted);
      } catch {
        diff = [`existing value is not a valid network config: ${existing.slice(0, 200)}`];
      }
      throw new IgniteError('conflict', `etcd already holds a different network config at ${ETCD_KEYS.config}`, {
        details: diff.map((line) => `  ${line}  (existing → requested)`),
        hint: 'Pass the same network options as before, or --force to replace it (hosts already joined keep their old subnets until restarted).',
      });
    }
  },
};
