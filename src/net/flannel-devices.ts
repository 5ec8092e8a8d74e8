/**
 * Which network devices of this host are flannel's (or the CNI bridge of our network) and may be
 * deleted by cleanup. Pure: it reads what `ip -j -d addr show` prints.
 */
import { containsCidr, parseCidr } from './cidr.js';

/** The part of one `ip -j -d addr show` entry that the selection reads. */
export interface IpLinkJson {
  ifname: string;
  /** The bridge (or bond) this device is a port of. */
  master?: string;
  /** info_data: a vxlan device's `id` (VNI) and `port` (its UDP port). */
  linkinfo?: { info_kind?: string; info_slave_kind?: string; info_data?: { id?: number; port?: number } };
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}

export const CNI_BRIDGE = 'cni0';

/**
 * Names flannel's backends give their devices: udp `flannel0`, vxlan `flannel.<VNI>` (IPv6
 * `flannel-v6.<VNI>`), wireguard `flannel-wg` / `flannel-wg-v6`. They are flannel's by name: flannel
 * creates or takes over any device of that name when it starts.
 */
export function isFlannelDeviceName(name: string): boolean {
  return name === 'flannel0' || /^flannel(?:-v6)?\.\d+$/.test(name) || name === 'flannel-wg' || name === 'flannel-wg-v6';
}

export interface DeviceDecision {
  name: string;
  /** Why it goes, or why it stays (shown to the operator). */
  why: string;
}

export interface DeviceSelection {
  remove: DeviceDecision[];
  /** Devices that look like ours by name but are left, with the reason. */
  keep: DeviceDecision[];
}

/**
 * Flannel's devices go by name. The CNI bridge `cni0` goes only when it is provably our network's:
 *   - it is a bridge;
 *   - it has at least one IPv4 address and every one lies inside our overlay (the bridge plugin
 *     gives cni0 the gateway address of this host's flannel subnet, so another network's cni0 —
 *     containerd's or podman's default bridge config also names it cni0 — has addresses elsewhere);
 *   - every port on it is a veth (what the bridge plugin attaches for each VM or container); any
 *     other port (a NIC, a tap, a bond) means someone else built on it.
 * Veths on an addressed-in-overlay cni0 are the ends of VMs of our network, which lose the
 * network with flannel anyway; deleting the bridge detaches them, and CNI DEL removes them later.
 */
export function selectOverlayDevices(links: readonly IpLinkJson[], overlay: string): DeviceSelection {
  const remove: DeviceDecision[] = [];
  const keep: DeviceDecision[] = [];
  for (const link of links) {
    if (isFlannelDeviceName(link.ifname)) {
      remove.push({ name: link.ifname, why: `flannel's ${link.linkinfo?.info_kind ?? 'device'}` });
    }
  }
  const bridge = links.find((link) => link.ifname === CNI_BRIDGE);
  if (bridge) {
    const problem = cniBridgeProblem(bridge, links, overlay);
    if (problem === undefined) {
      const ports = links.filter((link) => link.master === CNI_BRIDGE).length;
      remove.push({ name: CNI_BRIDGE, why: `bridge of ${overlay}${ports > 0 ? `, ${ports} veth port${ports === 1 ? '' : 's'} detached` : ''}` });
    } else {
      keep.push({ name: CNI_BRIDGE, why: problem });
    }
  }
  return { remove, keep };
}

function cniBridgeProblem(bridge: IpLinkJson, links: readonly IpLinkJson[], overlay: string): string | undefined {
  const kind = bridge.linkinfo?.info_kind;
  if (kind !== 'bridge') return `it is ${kind === undefined ? 'not a bridge' : `a ${kind}, not a bridge`}`;
  const v4 = (bridge.addr_info ?? []).filter((a) => a.family === 'inet');
  if (v4.length === 0) return 'it has no IPv4 address, so nothing shows it belongs to our network';
  const outside = v4.map((a) => `${a.local}/${a.prefixlen}`).filter((cidr) => !inside(overlay, cidr));
  if (outside.length > 0) return `it has ${outside.join(', ')}, outside ${overlay}: another network uses it`;
  const foreignPorts = links.filter((link) => link.master === CNI_BRIDGE && link.linkinfo?.info_kind !== 'veth').map((link) => link.ifname);
  if (foreignPorts.length > 0) return `it has ports that are not veths (${foreignPorts.join(', ')}): something else uses it`;
  return undefined;
}

function inside(overlay: string, cidr: string): boolean {
  try {
    return containsCidr(parseCidr(overlay, { allowHostBits: true }), parseCidr(cidr, { allowHostBits: true }));
  } catch {
    return false;
  }
}
