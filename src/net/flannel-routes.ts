/**
 * Which routes of this host are flannel's per-host routes and go with cleanup. Pure: it reads what
 * /proc/net/route says (net/interfaces.ts).
 *
 * host-gw (and vxlan with DirectRouting) routes each other host's subnet via that host's PublicIP:
 * a route to exactly one /SubnetLen block inside the overlay, with a gateway. Nothing else routes the
 * overlay's subnets on a host of ours: init and join refuse (NetworkOverlap) a host that had such a
 * route before flannel started. Routes through flannel's devices go with the device; the whole
 * network's route and the default route are never touched.
 */
import { containsCidr, parseCidr } from './cidr.js';
import type { Route } from './interfaces.js';

export function selectFlannelRoutes(routes: readonly Route[], overlay: string, subnetLen: number): Route[] {
  let network;
  try {
    network = parseCidr(overlay, { allowHostBits: true });
  } catch {
    return [];
  }
  return routes.filter((r) => {
    if (r.gateway === undefined) return false;
    try {
      const dest = parseCidr(r.destination, { allowHostBits: true });
      return dest.prefix === subnetLen && dest.prefix > network.prefix && containsCidr(network, dest);
    } catch {
      return false;
    }
  });
}
