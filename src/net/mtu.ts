/** The overlay MTU rule doctor checks: what is left for VMs once the backend wraps their packets. */
import { fail, pass, warn, type Outcome } from '../core/check.js';

/**
 * Bytes each backend adds around a VM's packet, as flannel subtracts them for FLANNEL_MTU: udp = IPv4
 * 20 + UDP 8; vxlan = outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14; wireguard = IPv6 40 + UDP 8
 * + WireGuard 32 (flannel reserves the IPv6 size); host-gw routes without encapsulation.
 */
export const BACKEND_OVERHEAD: Record<string, number> = { udp: 28, vxlan: 50, wireguard: 80, 'host-gw': 0 };

/**
 * 1280 is the smallest MTU IPv6 allows on any link (RFC 8200 §5): below it guests with IPv6 (the
 * default in most distributions) lose connectivity, and WireGuard refuses IPv6 at all. It is also
 * what path-MTU-blind software still gets through, so it is the floor, not a target.
 */
export const MIN_OVERLAY_MTU = 1280;

export function evaluateMtu(iface: string | undefined, mtu: number | undefined, backend: string): Outcome {
  if (iface === undefined) return warn('cannot tell which interface carries the overlay', 'Pass --advertise-address so doctor can check its MTU.');
  if (mtu === undefined) return warn(`cannot read the MTU of ${iface}`, `Check \`ip link show ${iface}\`.`);
  const overhead = BACKEND_OVERHEAD[backend] ?? 0;
  const overlay = mtu - overhead;
  const what = `${iface} MTU ${mtu} leaves ${overlay} for VMs (${backend} adds ${overhead} bytes)`;
  if (overlay >= MIN_OVERLAY_MTU) return pass(what);
  return fail(
    `${what}: below ${MIN_OVERLAY_MTU}, the least IPv6 and many guests need`,
    `Raise the MTU of ${iface} to at least ${MIN_OVERLAY_MTU + overhead} (\`ip link set ${iface} mtu ${MIN_OVERLAY_MTU + overhead}\`, and in its network config), or carry the overlay on another interface (--advertise-address).`,
  );
}
