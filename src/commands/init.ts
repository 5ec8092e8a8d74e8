import type { Step } from '../core/step.js';
import { INSECURE_OVERLAY } from '../pki/facts.js';
import { authStep } from '../steps/auth.js';
import { cniStep } from '../steps/cni.js';
import { cniPluginsStep } from '../steps/cni-plugins.js';
import { igniteStep } from '../steps/ignite.js';
import { ipamGcStep } from '../steps/ipam.js';
import type { CommandContext } from '../steps/context.js';
import { etcdStep } from '../steps/etcd.js';
import { flannelStep } from '../steps/flannel.js';
import { backendStep } from '../steps/backend.js';
import { wireguardPskStep } from '../steps/wireguard-psk.js';
import { imagesStep } from '../steps/images.js';
import { networkConfigStep } from '../steps/network-config.js';
import { fixedSubnetHeldStep, fixedSubnetStep } from '../steps/fixed-subnet.js';
import { pkiStep } from '../steps/pki.js';
import { initChecks, preflightStep } from '../steps/preflight.js';
import { advertiseStep, dockerStep } from '../steps/resolve.js';
import { loadStateStep, saveStateStep } from '../steps/state.js';
import { tokenStep } from '../steps/token.js';
import type { CommandSpec } from './command.js';
import { igniteSummary, subnetLine } from './command.js';
import { describeBackend } from '../net/backend.js';

const steps: Step<CommandContext>[] = [
  loadStateStep('strict'),
  // What the checks report on is resolved first; the checks only check.
  dockerStep,
  advertiseStep,
  wireguardPskStep,
  preflightStep((ctx) => initChecks(ctx.network.Backend.Type)),
  imagesStep(['etcd', 'flannel']),
  cniPluginsStep,
  pkiStep,
  etcdStep,
  authStep,
  networkConfigStep,
  fixedSubnetStep,
  flannelStep,
  fixedSubnetHeldStep,
  backendStep,
  cniStep,
  ipamGcStep,
  igniteStep,
  tokenStep,
  saveStateStep('init'),
];

export const initCommand: CommandSpec = {
  name: 'init',
  changesHost: true,
  steps: () => steps,
  summary(ctx) {
    const address = ctx.advertise?.address ?? '?';
    const already = ['etcd', 'network-config', 'flannel', 'cni', 'cni-plugins', 'ipam-gc'].every((id) => ctx.unchanged.has(id));
    const ignite = igniteSummary(ctx, already);
    return {
      title: already ? 'ignite-net: already initialised, nothing changed' : 'ignite-net: this host is initialised',
      lines: [
        { label: 'advertise address', value: `${address}${ctx.advertise?.iface ? ` (${ctx.advertise.iface})` : ''}` },
        { label: 'this host\'s subnet', value: subnetLine(ctx) },
        { label: 'etcd endpoint', value: ctx.etcdEndpoint ?? '?' },
        { label: 'security', value: ctx.security ? `TLS, CA ${ctx.security.pin}; this host is ${ctx.identity ?? '?'}` : 'none (--insecure)' },
        { label: 'network', value: `${ctx.network.Network} (${describeBackend(ctx.network.Backend)})` },
        ...ignite.lines,
      ],
      // The join command alone on its line, so it can be copied whole (it carries the token: one host, 24 h).
      next: [
        ...(ctx.rejoin && ctx.rejoin.length > 0
          ? [`The backend is now ${describeBackend(ctx.network.Backend)}: these hosts' flannel still runs the old config and must run join again to switch (their subnets are kept): ${ctx.rejoin.join(', ')}`]
          : []),
        ...(ctx.upgrade && ctx.upgrade.otherHosts.length > 0 && ctx.joinCommand
          ? [
              `Other hosts must join again (etcd no longer answers plain HTTP; their leases are kept): ${ctx.upgrade.otherHosts.join(', ')}`,
              'On each, with its own token (this one joins one host within 24 h; `sudo ignite-net token create` makes another):',
              ctx.joinCommand,
            ]
          : ctx.joinCommand
          ? ['On the next host (the token joins one host within 24 h; `sudo ignite-net token create` makes another):', ctx.joinCommand]
          : [`On every other host: sudo ignite-net join ${address}`, `This overlay is insecure: ${INSECURE_OVERLAY.message}.`]),
        ...ignite.next,
      ],
    };
  },
};
