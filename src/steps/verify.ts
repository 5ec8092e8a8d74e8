import { pickLease } from '../net/lease.js';
import { formatDuration } from '../core/duration.js';
import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { CONTAINER_NAMES, PORTS } from '../defaults.js';
import { parseCidr } from '../net/cidr.js';
import { required, type CommandContext } from './context.js';
import { waitFor } from './wait.js';
import { backendUdpPort } from '../net/backend.js';
import { parseRouteGet, pathOutcome } from '../net/backend-checks.js';

/**
 * Proves the overlay carries traffic: the route to the peer's flannel address (the first address of
 * its lease) takes the backend's path (vxlan: flannel.<VNI>; host-gw: the peer's PublicIP as next
 * hop), then TCP from this host to that address on 2379, which only answers if the backend path
 * works both ways. host-gw puts no address of the peer's subnet on any device until a VM or
 * container runs there (the CNI bridge), so for host-gw the route is what is verified.
 */
export const verifyOverlayStep: Step<CommandContext> = {
  id: 'verify',
  title: 'Verify the overlay',
  observes: [CONTAINER_NAMES.flannel],
  async run(ctx, io) {
    const store = required(ctx.store, 'etcd store');
    const peer = required(ctx.peer, 'peer');
    const leases = await store.listLeases();
    const lease = pickLease(leases, peer.address);
    if (!lease) {
      throw new IgniteError('peer', `${peer.host} (${peer.address}) holds no flannel lease, so the overlay cannot reach it`, {
        hint: `Check \`docker logs ignite-flannel\` on ${peer.host}; leases in etcd: ${leases.map((l) => `${l.subnet}=${l.publicIP}`).join(', ') || 'none'}.`,
      });
    }
    const target = parseCidr(lease.subnet).network;
    const port = backendUdpPort(ctx.network.Backend);
    io.progress(`connecting to ${target}:${PORTS.etcdClient} through the overlay`);
    const { clock, probes } = ctx.services;
    const started = clock.now();
    const backend = ctx.network.Backend;
    let path = '';
    const rtt = await waitFor(
      async (reason) => {
        const hopText = backend.Type === 'vxlan' || backend.Type === 'host-gw' ? await ctx.services.network.routeGet(target) : undefined;
        const route = pathOutcome(backend, target, lease.publicIP, hopText === undefined ? undefined : parseRouteGet(hopText), lease.subnet);
        if (route.status !== 'pass') return void reason(route.message);
        path = route.message;
        if (backend.Type === 'host-gw') return 0;
        const probe = await probes.tcpProbe(target, PORTS.etcdClient, 2_000);
        if (probe.ok) return probe.rttMs;
        reason(probe.reason);
        return undefined;
      },
      {
        clock,
        timeoutMs: ctx.options.timeoutMs,
        // The path comes up when both flannels have their leases: usually at the first probe.
        intervalMs: 50,
        signal: io.signal,
        onTimeout: (last) =>
          new IgniteError('peer', `cannot reach ${peer.host}'s flannel address ${target}:${PORTS.etcdClient} through the overlay (${last ?? 'no answer'}) within ${formatDuration(ctx.options.timeoutMs)}`, {
            hint: port === undefined
              ? `host-gw routes through ${peer.host} directly: check that it is on this host's layer-2 segment and forwards IP, then run join again.`
              : `Open ${port}/udp in both directions between this host and ${peer.host} (firewalls, security groups), then run join again.`,
          }),
      },
    );
    ctx.backendChecks = [...(ctx.backendChecks ?? []), { name: 'BackendPath', status: 'pass', message: path }];
    if (backend.Type === 'host-gw') return { detail: `${path} (\`ip route get ${target}\`, routed after ${formatDuration(clock.now() - started)}); no TCP probe: host-gw has no tunnel, and nothing in ${lease.subnet} answers until a VM runs there` };
    const via = backend.Type === 'vxlan' ? `${path}; ` : '';
    return { detail: `${via}${target}:${PORTS.etcdClient} answered in ${formatDuration(rtt)} (overlay up after ${formatDuration(clock.now() - started)})` };
  },
};
