import type { Step } from '../core/step.js';
import { cniStep } from '../steps/cni.js';
import type { CommandContext } from '../steps/context.js';
import { etcdStep } from '../steps/etcd.js';
import { flannelStep } from '../steps/flannel.js';
import { imagesStep } from '../steps/images.js';
import { networkConfigStep } from '../steps/network-config.js';
import { initChecks, preflightStep } from '../steps/preflight.js';
import { advertiseStep, dockerStep } from '../steps/resolve.js';
import { loadStateStep, saveStateStep } from '../steps/state.js';
import type { CommandSpec } from './command.js';
import { restartIgnitedNote } from './command.js';

const steps: Step<CommandContext>[] = [
  loadStateStep('strict'),
  // What the checks report on is resolved first; the checks only check.
  dockerStep,
  advertiseStep,
  preflightStep(initChecks()),
  imagesStep(['etcd', 'flannel']),
  etcdStep,
  networkConfigStep,
  flannelStep,
  cniStep,
  saveStateStep('init'),
];

export const initCommand: CommandSpec = {
  name: 'init',
  changesHost: true,
  steps: () => steps,
  summary(ctx) {
    const address = ctx.advertise?.address ?? '?';
    const already = ['etcd', 'network-config', 'flannel', 'cni'].every((id) => ctx.unchanged.has(id));
    return {
      title: already ? 'ignite-net: already initialised, nothing changed' : 'ignite-net: this host is initialised',
      lines: [
        { label: 'advertise address', value: `${address}${ctx.advertise?.iface ? ` (${ctx.advertise.iface})` : ''}` },
        { label: 'this host\'s subnet', value: ctx.subnet ?? '?' },
        { label: 'etcd endpoint', value: ctx.etcdEndpoint ?? '?' },
        { label: 'network', value: `${ctx.network.Network} (${ctx.network.Backend.Type} on ${ctx.network.Backend.Port}/udp)` },
      ],
      next: [`On every other host: sudo ignite-net join ${address}`, ...(already ? [] : [restartIgnitedNote])],
    };
  },
};
