import { formatDuration } from '../core/duration.js';
import { IgniteError } from '../core/errors.js';
import type { Step, StepIO } from '../core/step.js';
import { PORTS } from '../defaults.js';
import { etcdEndpoint, parseHostArg, resolveHost } from '../net/host-arg.js';
import { udpRejectionWaitMs } from '../net/udp-wait.js';
import { diffNetworkConfig, parseNetworkConfig, validateNetworkConfig, type NetworkConfig } from '../net/network-config.js';
import type { PresentedCa } from '../adapters/tls-probe.js';
import { required, type CommandContext } from './context.js';
import { openControlPlane, readMembersAt } from './control-plane.js';
import { secureAccess } from './peer-secure.js';
import { warnInsecure } from './state.js';
import { backendUdpPort } from '../net/backend.js';

const PROBE_TIMEOUT_MS = 3_000;

/**
 * Everything about the peer that can be known before changing this host: its etcd answers over v3,
 * it holds a network config, and its backend port does not reject us.
 */
export const peerStep: Step<CommandContext> = {
  id: 'peer',
  title: 'Check the peer',
  async run(ctx, io) {
    const host = ctx.options.host ?? (await askForHost(io));
    await resolvePeer(ctx, host);
    const timeoutMs = Math.min(PROBE_TIMEOUT_MS, ctx.options.timeoutMs);
    // The member list needs no credential and never fails: read as soon as the CA is known, beside the
    // token's and the identity's calls (a control-plane join reads it as root instead).
    let members: Promise<void> | undefined;
    const onCa = ctx.options.controlPlane ? undefined : (endpoint: string, caPem?: string): void => void (members = readMembersAt(ctx, endpoint, caPem, timeoutMs));
    await refuseInitHost(ctx);
    const { endpoint, rttMs, pinged } = await connectPeerEtcd(ctx, io, onCa);
    let network: NetworkConfig;
    if (ctx.options.controlPlane) {
      await pinged;
      await openControlPlane(ctx, timeoutMs);
      network = await readPeerNetworkConfig(ctx, io);
    } else {
      // The config is read beside the ping; the ping's failure is the one reported, as when it came first.
      const [ping, config] = await Promise.allSettled([pinged, readPeerNetworkConfig(ctx, io)]);
      if (ping.status === 'rejected') throw ping.reason;
      if (config.status === 'rejected') throw config.reason;
      network = config.value;
    }
    // The UDP probe waits up to ten round trips for a rejection (net/udp-wait.ts): it runs while the
    // member list, advertise and preflight do, which change nothing; preflight collects its verdict
    // before any step that does.
    ctx.peerBackend = probePeerBackendPort(ctx, rttMs).then(
      (note) => ({ note }),
      (error: unknown) => ({ error }),
    );
    await members;
    return { detail: `etcd v3 at ${endpoint} (${formatDuration(rttMs)}), ${network.Network}, ${probeNote(network)}` };
  },
};

/** The peer step's UDP verdict (join): throws the error join stops with, else reports what was seen. */
export async function collectPeerBackendVerdict(ctx: CommandContext, io: StepIO): Promise<void> {
  if (ctx.peerBackend === undefined) return;
  const started = ctx.services.clock.now();
  const verdict = await ctx.peerBackend;
  ctx.peerBackend = undefined;
  if ('error' in verdict) throw verdict.error;
  io.progress(`${verdict.note} (waited ${formatDuration(ctx.services.clock.now() - started)} more for the peer's UDP verdict)`);
}

/*
 * The peer checks one by one, so `doctor --peer` runs the same logic as `join` and reports each as a
 * named check. Each throws the IgniteError join stops with; each needs the ones before it.
 */

/** Resolves the peer and sets ctx.peer; a peer that is this host is refused. */
export async function resolvePeer(ctx: CommandContext, host: string): Promise<{ host: string; address: string }> {
  const address = await resolveHost(host);
  ctx.peer = { host, address };
  const local = ctx.services.network.readAddresses().some((a) => a.address === address) || address.startsWith('127.') || address === '::1';
  if (local) {
    // Only a host whose state says init is "set up with init"; on any other the address was just the wrong one.
    throw new IgniteError('usage', `${host} is this host: a host cannot join itself`, {
      hint:
        ctx.state?.role === 'init'
          ? 'Run `ignite-net join <init-host>` on another host; this one is set up with `ignite-net init`.'
          : 'Pass the address of the init host (the one that ran `sudo ignite-net init`), not one of this host\'s.',
    });
  }
  return ctx.peer;
}

/**
 * An init host (one running our etcd) cannot join another. A control-plane join run again (or after
 * a failure once promoted) finds its own member's etcd here: that one is not refused; nor is a plain
 * `join <member>` on a control-plane host, which refreshes its flannel's member list.
 */
export async function refuseInitHost(ctx: CommandContext): Promise<void> {
  if ((ctx.options.controlPlane || ctx.state?.controlPlane) && ctx.state?.role !== 'init') return;
  // Docker may be down here; preflight reports that properly, so a failure only skips this check.
  const docker = ctx.docker ?? (await ctx.services.docker().catch(() => undefined));
  if (docker && (await docker.listManaged('etcd')).length > 0) {
    throw new IgniteError('usage', 'this host runs ignite-etcd: it is an init host and cannot join another', {
      hint: 'Run `ignite-net cleanup` here first if it should join instead.',
    });
  }
}

/** 2379/tcp reachable and etcd answering over v3; sets ctx.store and ctx.etcdEndpoint. */
export async function reachPeerEtcd(ctx: CommandContext, io: StepIO): Promise<{ endpoint: string; rttMs: number }> {
  const { endpoint, rttMs, pinged } = await connectPeerEtcd(ctx, io);
  await pinged;
  return { endpoint, rttMs };
}

/**
 * reachPeerEtcd up to the ping, which it returns running (the caller may read beside it): the TCP
 * probe, then the TLS probe for the CA.
 * `onCa` hears the endpoint (and the CA it presented, before the pin is checked) as soon as they are known.
 */
async function connectPeerEtcd(ctx: CommandContext, io: StepIO, onCa?: (endpoint: string, caPem?: string) => void): Promise<{ endpoint: string; rttMs: number; pinged: Promise<void> }> {
  const { host, address } = required(ctx.peer, 'peer');
  const peerTimeout = Math.min(PROBE_TIMEOUT_MS, ctx.options.timeoutMs);
  io.progress(`connecting to ${host}:${PORTS.etcdClient}/tcp`);
  // The TCP probe alone first: its round trip bounds the UDP wait (net/udp-wait.ts), and beside the
  // TLS probe it took in this process's first TLS use (Node parses its root store then, ~20–30 ms),
  // which made the wait ten times that. One round trip more, on a path that is a LAN.
  const tcp = await ctx.services.probes.tcpProbe(address, PORTS.etcdClient, peerTimeout);
  if (!tcp.ok) {
    throw new IgniteError('peer', `cannot reach etcd at ${host}:${PORTS.etcdClient}/tcp (${tcp.reason})`, {
      hint: `Is ${host} initialised (\`ignite-net init\`) and is ${PORTS.etcdClient}/tcp open between the hosts?`,
    });
  }
  const presented = await ctx.services.probes
    .fetchPresentedCa(address, PORTS.etcdClient, peerTimeout)
    .catch((error: unknown): PresentedCa | Error => (error instanceof Error ? error : new Error(String(error))));
  const tlsOn = !(presented instanceof Error);
  onCa?.(etcdEndpoint(address, PORTS.etcdClient, tlsOn ? 'https' : 'http'), tlsOn ? presented.caPem : undefined);
  const access = await secureAccess(ctx, presented, peerTimeout);
  if (access === undefined && ctx.options.command === 'join') warnInsecure(ctx, io);
  const endpoint = etcdEndpoint(address, PORTS.etcdClient, access ? 'https' : 'http');
  const store = ctx.services.etcd(endpoint, { timeoutMs: peerTimeout, ...access });
  ctx.store = store;
  ctx.etcdEndpoint = endpoint;
  const pinged = store.ping().then(
    () => undefined,
    (error: unknown) => {
      // Without a credential (doctor), an etcd that wants one for Status too has still answered.
      if (!(ctx.peerAccess === 'anonymous' && error instanceof IgniteError && error.kind === 'permission')) throw error;
    },
  );
  // Awaited by the caller; a failure the caller does not get to (an earlier one is thrown) is not unhandled.
  pinged.catch(() => undefined);
  return { endpoint, rttMs: tcp.rttMs, pinged };
}

/** The peer's network config, present and valid; it becomes this run's (ctx.network). */
export async function readPeerNetworkConfig(ctx: CommandContext, io: StepIO): Promise<NetworkConfig> {
  const { host } = required(ctx.peer, 'peer');
  const store = required(ctx.store, 'peer etcd');
  const endpoint = required(ctx.etcdEndpoint, 'peer etcd endpoint');
  const raw = await store.getConfig();
  if (raw === undefined) {
    throw new IgniteError('peer', `${host} has not been initialised: run \`ignite-net init\` there first`, {
      hint: `etcd answers at ${endpoint} but holds no flannel network config.`,
    });
  }
  let network;
  try {
    network = parseNetworkConfig(raw);
    validateNetworkConfig(network);
  } catch (error) {
    throw new IgniteError('peer', `the network config on ${host} is not valid: ${(error as Error).message}`, {
      hint: `Re-run \`ignite-net init --force\` on ${host} with the network you want.`,
    });
  }
  const differs = diffNetworkConfig(network, ctx.network);
  if (differs.length > 0) io.progress(`using ${host}'s network config (${network.Network})`);
  ctx.network = network;
  return network;
}

/**
 * The backend's UDP port on the peer does not reject us; returns what the probe saw, for the detail.
 * `rttMs` (etcd's TCP connect) bounds the wait for a rejection (net/udp-wait.ts).
 */
export async function probePeerBackendPort(ctx: CommandContext, rttMs?: number): Promise<string> {
  const { host, address } = required(ctx.peer, 'peer');
  const port = backendUdpPort(ctx.network.Backend);
  if (port === undefined) return `${ctx.network.Backend.Type} uses no UDP port: nothing to probe`;
  const udp = await ctx.services.probes.udpProbe(address, port, udpRejectionWaitMs(rttMs));
  if (udp === 'rejected') {
    throw new IgniteError('peer', `nothing is listening on ${host}:${port}/udp — is flannel running there, is a firewall rejecting?`, {
      hint: `Check \`docker logs ignite-flannel\` on ${host} and open ${port}/udp between the hosts.`,
    });
  }
  return udp === 'answered' ? `${port}/udp answered` : `${port}/udp not rejected; confirmed once the overlay is up`;
}

const probeNote = (network: NetworkConfig): string => {
  const port = backendUdpPort(network.Backend);
  return port === undefined ? `${network.Backend.Type}: no UDP port to probe` : `${port}/udp probe sent (verdict before the first change)`;
};

async function askForHost(io: StepIO): Promise<string> {
  if (!io.prompter.interactive) {
    throw new IgniteError('usage', 'join needs the host where `ignite-net init` ran', {
      hint: 'Pass it as an argument, e.g. `ignite-net join 192.168.1.2`.',
    });
  }
  const answer = await io.prompter.text('Which host runs the overlay\'s etcd (where `ignite-net init` ran)?', {
    flag: '<host>',
    validate: (text) => {
      try {
        parseHostArg(text.trim());
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
  return parseHostArg(answer.trim()).host;
}
