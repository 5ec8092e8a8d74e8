/**
 * What each flannel backend must have made on a host, and whether traffic to a peer takes the
 * backend's path. Pure: the callers hand over what `ip -j -d addr show`, `ip -j route get` and
 * subnet.env say.
 *   - udp: `flannel0`; vxlan: `flannel.<VNI>`, a vxlan device with that id and port; wireguard:
 *     `flannel-wg`; host-gw: no device, each peer's subnet routed via its PublicIP on a directly
 *     connected interface (which is also why host-gw needs every peer on this host's layer-2 segment).
 *   - FLANNEL_MTU is the interface MTU less the backend's overhead (net/mtu.ts), as flannel computes it.
 */
import { fail, pass, warn, type Outcome } from '../core/check.js';
import type { BackendConfig } from './backend.js';
import type { IpLinkJson } from './flannel-devices.js';
import { isFlannelDeviceName } from './flannel-devices.js';
import { BACKEND_OVERHEAD } from './mtu.js';

/** One answer of `ip -j route get <address>`: the hop the kernel picks. */
export interface RouteHop {
  dst: string;
  /** Absent when the address is on a directly connected subnet (or on the device itself, onlink). */
  gateway?: string;
  dev: string;
  flags: string[];
}

/** `ip -j route get` prints a one-element array; undefined for anything else. */
export function parseRouteGet(stdout: string): RouteHop | undefined {
  let rows: unknown;
  try {
    rows = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const row: unknown = Array.isArray(rows) ? rows[0] : undefined;
  if (typeof row !== 'object' || row === null) return undefined;
  const r = row as Record<string, unknown>;
  if (typeof r['dst'] !== 'string' || typeof r['dev'] !== 'string') return undefined;
  const flags = Array.isArray(r['flags']) ? r['flags'].filter((f): f is string => typeof f === 'string') : [];
  return { dst: r['dst'], dev: r['dev'], flags, ...(typeof r['gateway'] === 'string' ? { gateway: r['gateway'] } : {}) };
}

/** The device flannel's backend puts on the host; none for host-gw. */
export function expectedDevice(backend: BackendConfig): string | undefined {
  switch (backend.Type) {
    case 'udp':
      return 'flannel0';
    case 'vxlan':
      return `flannel.${backend.VNI}`;
    case 'wireguard':
      return 'flannel-wg';
    case 'host-gw':
      return undefined;
  }
}

/**
 * The backend's device is there (and for vxlan has the config's VNI and port). Flannel devices of
 * another backend are a warning: left from before a backend change, cleanup removes them.
 */
export function deviceOutcome(backend: BackendConfig, links: readonly IpLinkJson[]): Outcome {
  const want = expectedDevice(backend);
  const others = links.map((l) => l.ifname).filter((name) => isFlannelDeviceName(name) && name !== want && name !== 'flannel-wg-v6' && !name.startsWith('flannel-v6.'));
  const leftover = others.length > 0 ? `; ${others.join(', ')} left from another backend (cleanup removes ${others.length > 1 ? 'them' : 'it'})` : '';
  if (want === undefined) {
    const what = `host-gw uses no device${leftover}`;
    return leftover === '' ? pass(what) : warn(what, 'Harmless to host-gw; `ignite-net cleanup` then join again removes it.');
  }
  const link = links.find((l) => l.ifname === want);
  if (!link) {
    return fail(`flannel's ${backend.Type} device ${want} is missing`, 'See `docker logs ignite-flannel`: flannel could not set up its backend (kernel support, NET_ADMIN).');
  }
  if (backend.Type === 'vxlan') {
    const kind = link.linkinfo?.info_kind;
    const data = link.linkinfo?.info_data;
    if (kind !== 'vxlan') return fail(`${want} is a ${kind ?? 'device of unknown kind'}, not a vxlan device`, `Delete it (\`ip link delete ${want}\`) and run the command again: flannel makes its own.`);
    if (data?.id !== backend.VNI || data.port !== backend.Port) {
      return fail(
        `${want} has VNI ${String(data?.id ?? '?')} and port ${String(data?.port ?? '?')}, the network config says VNI ${backend.VNI} and port ${backend.Port}`,
        `Delete it (\`ip link delete ${want}\`) and run the command again: flannel makes it anew.`,
      );
    }
    return leftover === '' ? pass(`${want}: vxlan, VNI ${backend.VNI}, port ${backend.Port}/udp`) : warn(`${want}: vxlan, VNI ${backend.VNI}, port ${backend.Port}/udp${leftover}`, 'Harmless; `ignite-net cleanup` removes them.');
  }
  return leftover === '' ? pass(`${want} present`) : warn(`${want} present${leftover}`, 'Harmless; `ignite-net cleanup` removes them.');
}

/** FLANNEL_MTU against the interface MTU less the backend's overhead. */
export function mtuOutcome(backend: BackendConfig, iface: string, ifaceMtu: number | undefined, envMtu: number): Outcome {
  const overhead = BACKEND_OVERHEAD[backend.Type] ?? 0;
  if (ifaceMtu === undefined) return warn(`cannot read the MTU of ${iface}; subnet.env says ${envMtu}`, `Check \`ip link show ${iface}\`.`);
  const want = ifaceMtu - overhead;
  const rule = `${iface} MTU ${ifaceMtu} − ${overhead} (${backend.Type})`;
  if (envMtu === want) return pass(`FLANNEL_MTU ${envMtu} = ${rule}`);
  return warn(
    `FLANNEL_MTU is ${envMtu}, not ${rule} = ${want}: flannel measured another interface, or the MTU changed since`,
    `Restart flannel (\`docker restart ignite-flannel\`) so it writes subnet.env again, and pass --advertise-address if it picked the wrong interface.`,
  );
}

/**
 * Traffic to the peer's flannel address takes the backend's path: vxlan through `flannel.<VNI>`
 * (DirectRouting: via the PublicIP when the peer is directly connected), host-gw via the peer's
 * PublicIP with no other hop (said as "route to <subnet> via <PublicIP> on <dev>"; `subnet` defaults to
 * the target). udp routes the whole network via flannel0 (nothing per peer to check).
 */
export function pathOutcome(backend: BackendConfig, target: string, peerPublicIp: string, hop: RouteHop | undefined, subnet: string = target): Outcome {
  if (backend.Type === 'udp' || backend.Type === 'wireguard') return pass(`${backend.Type}: no per-peer route to check`);
  if (hop === undefined) return fail(`no route to ${target}`, `flannel has not routed the peer's subnet yet; see \`docker logs ignite-flannel\`.`);
  const where = `${target} via ${hop.gateway ?? 'no gateway'} dev ${hop.dev}`;
  if (backend.Type === 'vxlan') {
    const dev = expectedDevice(backend);
    if (hop.dev === dev) return pass(`${where}: through the vxlan tunnel`);
    if (backend.DirectRouting && hop.gateway === peerPublicIp) return pass(`${where}: direct routing (same subnet), no tunnel`);
    return fail(`${where}, not through ${dev ?? 'the vxlan device'}`, `flannel has not routed the peer's subnet yet, or another route wins: check \`ip route get ${target}\`.`);
  }
  // host-gw: what is checked is the route itself (`ip route get <target>`), said as such.
  const route = `route to ${subnet} via ${hop.gateway ?? 'no gateway'} on ${hop.dev}`;
  if (hop.gateway === peerPublicIp) return pass(`${route}: host-gw, the peer's PublicIP is the next hop`);
  return fail(`${route}, not via the peer's PublicIP ${peerPublicIp}`, `flannel has not routed the peer's subnet yet, or another route wins: check \`ip route get ${target}\`.`);
}

export interface Layer2Peer {
  /** how the operator knows it: "node1 (192.168.1.2)" */
  label: string;
  hop: RouteHop | undefined;
}

/**
 * host-gw makes each peer's PublicIP the next hop for that peer's subnet; the kernel accepts such a
 * route only when the PublicIP is on a directly connected subnet. A peer this host reaches through a
 * gateway (a router between them) cannot be a host-gw peer.
 */
export function layer2Outcome(peers: readonly Layer2Peer[]): Outcome {
  if (peers.length === 0) return pass('host-gw: no other host yet');
  const routed = peers.filter((p) => p.hop === undefined || p.hop.gateway !== undefined);
  if (routed.length === 0) return pass(`host-gw: ${peers.map((p) => `${p.label} on ${p.hop?.dev ?? '?'}`).join(', ')} directly connected`);
  return fail(
    `host-gw needs every host on this host's layer-2 segment, but ${routed.map((p) => (p.hop === undefined ? `${p.label} has no route` : `${p.label} is reached through the router ${p.hop.gateway ?? '?'} (dev ${p.hop.dev})`)).join(', ')}`,
    'Put the hosts on one segment, or choose a backend that crosses routers (`ignite-net init --backend vxlan --force` on the init host).',
  );
}

/** What of a lease tells which config its flannel runs (lease.ts's Lease has all of it). */
export interface LeaseConfigFacts {
  backendType: string;
  /** The value as stored: vxlan's BackendData carries the VNI flannel runs. */
  raw: string;
  modRevision?: number;
}

/**
 * Why the flannel that holds this lease runs another config than the network config's, or undefined
 * when nothing says so. flannel reads the config once, at start, and writes its lease then; so, in order:
 *   - the lease is of another backend type (exact: flannel writes its type into every lease, renewals too);
 *   - vxlan: the lease's BackendData.VNI is another VNI (exact where flannel writes it; v0.2x+ does);
 *   - the lease was written before the config was last written (etcd's mod revisions): that flannel
 *     started before the change (the VNI, port, DirectRouting or anything else). Real flanneld also
 *     rewrites its lease at each renewal (a day after it took it), after which this cannot tell.
 * The answer names what differs: the old type ("vxlan"), "vxlan VNI 1", or the config's age.
 */
export function flannelConfigLag(lease: LeaseConfigFacts, backend: BackendConfig, configRevision: number | undefined): string | undefined {
  if (lease.backendType === '') return undefined;
  if (lease.backendType !== backend.Type) return lease.backendType;
  if (backend.Type === 'vxlan') {
    const vni = leaseVni(lease.raw);
    if (vni !== undefined && vni !== backend.VNI) return `vxlan VNI ${vni}`;
  }
  if (lease.modRevision !== undefined && configRevision !== undefined && lease.modRevision < configRevision) return 'flannel started before the network config was last written';
  return undefined;
}

function leaseVni(raw: string): number | undefined {
  try {
    const data = (JSON.parse(raw) as { BackendData?: { VNI?: unknown } | null }).BackendData;
    return typeof data?.VNI === 'number' ? data.VNI : undefined;
  } catch {
    return undefined;
  }
}

/**
 * After a config change (`init --force`): the other hosts whose flannel still runs the old config
 * (flannelConfigLag), each with why. Each must run join again.
 */
export function hostsToRejoin<L extends LeaseConfigFacts & { publicIP: string }>(leases: readonly L[], backend: BackendConfig, configRevision: number | undefined, ownAddress: string | undefined): { lease: L; why: string }[] {
  return leases.flatMap((lease) => {
    const why = lease.publicIP === ownAddress ? undefined : flannelConfigLag(lease, backend, configRevision);
    return why === undefined ? [] : [{ lease, why }];
  });
}
