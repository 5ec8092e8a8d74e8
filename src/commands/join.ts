import { cniStep } from '../steps/cni.js';
import { cniPluginsStep } from '../steps/cni-plugins.js';
import { flannelStep } from '../steps/flannel.js';
import { identityStep } from '../steps/identity.js';
import { imagesStep } from '../steps/images.js';
import { peerStep } from '../steps/peer.js';
import { joinChecks, preflightStep } from '../steps/preflight.js';
import { advertiseStep, dockerStep } from '../steps/resolve.js';
import { loadStateStep, saveStateStep } from '../steps/state.js';
import { verifyOverlayStep } from '../steps/verify.js';
import type { CommandSpec } from './command.js';
import { restartIgnitedNote } from './command.js';

export const joinCommand: CommandSpec = {
  name: 'join',
  changesHost: true,
  // The peer goes before the checks: its network config is what the local checks (overlap, UDP port)
  // must use. Docker is connected before it (an init host cannot join), the advertise address after.
  steps: () => [
    loadStateStep('strict'),
    dockerStep,
    peerStep,
    advertiseStep,
    preflightStep(joinChecks()),
    imagesStep(['flannel']),
    cniPluginsStep,
    identityStep,
    flannelStep,
    cniStep,
    verifyOverlayStep,
    saveStateStep('joined'),
  ],
  summary(ctx) {
    const already = ['flannel', 'cni', 'cni-plugins'].every((id) => ctx.unchanged.has(id));
    return {
      title: already ? 'ignite-net: already joined, nothing changed' : `ignite-net: joined ${ctx.peer?.host ?? ''}`,
      lines: [
        { label: 'advertise address', value: ctx.advertise?.address ?? '?' },
        { label: 'this host\'s subnet', value: ctx.subnet ?? '?' },
        { label: 'etcd endpoint', value: ctx.etcdEndpoint ?? '?' },
        { label: 'security', value: ctx.security ? `TLS, CA ${ctx.security.pin}; this host is ${ctx.identity ?? '?'}` : 'none: the overlay is insecure (plain HTTP, no authentication)' },
        { label: 'network', value: ctx.network.Network },
      ],
      next: already ? [] : [restartIgnitedNote],
    };
  },
};
