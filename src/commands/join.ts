import { cniStep } from '../steps/cni.js';
import { cniPluginsStep } from '../steps/cni-plugins.js';
import { igniteStep } from '../steps/ignite.js';
import { ipamGcStep } from '../steps/ipam.js';
import { controlPlanePkiStep } from '../steps/control-plane.js';
import { etcdStep } from '../steps/etcd.js';
import { flannelStep } from '../steps/flannel.js';
import { fixedSubnetCheckStep, fixedSubnetHeldStep, fixedSubnetStep } from '../steps/fixed-subnet.js';
import { backendStep } from '../steps/backend.js';
import { identityStep } from '../steps/identity.js';
import { imagesStep } from '../steps/images.js';
import { peerStep } from '../steps/peer.js';
import { memberStep, promoteStep } from '../steps/member.js';
import { joinChecks, preflightStep } from '../steps/preflight.js';
import { advertiseStep, dockerStep } from '../steps/resolve.js';
import { loadStateStep, saveStateStep } from '../steps/state.js';
import { verifyOverlayStep } from '../steps/verify.js';
import type { CommandSpec } from './command.js';
import { igniteSummary, subnetLine } from './command.js';

export const joinCommand: CommandSpec = {
  name: 'join',
  changesHost: true,
  // The peer goes before the checks: its network config is what the local checks (overlap, UDP port)
  // must use. Docker is connected before it (an init host cannot join), the advertise address after.
  // --control-plane adds an etcd member between the identity and flannel (docs/ha.md); a plain join's
  // steps stay as they were.
  steps: (options) => [
    loadStateStep('strict'),
    dockerStep,
    peerStep,
    advertiseStep,
    fixedSubnetCheckStep,
    preflightStep((ctx) => joinChecks(options.controlPlane !== undefined, ctx.network.Backend.Type)),
    imagesStep(options.controlPlane ? ['etcd', 'flannel'] : ['flannel']),
    cniPluginsStep,
    identityStep,
    ...(options.controlPlane ? [controlPlanePkiStep, memberStep, etcdStep, promoteStep] : []),
    fixedSubnetStep,
    flannelStep,
    fixedSubnetHeldStep,
    backendStep,
    cniStep,
    ipamGcStep,
    igniteStep,
    verifyOverlayStep,
    saveStateStep('joined'),
  ],
  summary(ctx) {
    const member = ctx.controlPlane?.member;
    const already = [...(member ? ['pki', 'etcd'] : []), 'flannel', 'cni', 'cni-plugins', 'ipam-gc'].every((id) => ctx.unchanged.has(id));
    const ignite = igniteSummary(ctx, already);
    const endpoints = ctx.flannelEndpoints ?? [ctx.etcdEndpoint ?? '?'];
    return {
      title: already ? 'ignite-net: already joined, nothing changed' : `ignite-net: joined ${ctx.peer?.host ?? ''}${member ? ' as a control-plane member' : ''}`,
      lines: [
        { label: 'advertise address', value: ctx.advertise?.address ?? '?' },
        { label: 'this host\'s subnet', value: subnetLine(ctx) },
        ...(member ? [{ label: 'etcd member', value: `${member.name} (${member.id}), one of ${ctx.members?.filter((m) => !m.isLearner).length ?? '?'} voting` }] : []),
        { label: endpoints.length > 1 ? 'etcd endpoints' : 'etcd endpoint', value: endpoints.join(', ') },
        { label: 'security', value: ctx.security ? `TLS, CA ${ctx.security.pin}; this host is ${ctx.identity ?? '?'}` : 'none: the overlay is insecure (plain HTTP, no authentication)' },
        { label: 'network', value: ctx.network.Network },
        ...ignite.lines,
      ],
      next: ignite.next,
    };
  },
};
