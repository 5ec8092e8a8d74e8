/**
 * Preflight checks of the overlay's backend: the kernel support flannel's backend device needs, and
 * host-gw's layer-2 rule. Read only, like every check: nothing is loaded, created or sent.
 */
import { release } from 'node:os';
import { fail, pass } from '../core/check.js';
import type { Check } from './check.js';
import { layer2Outcome, parseRouteGet, type Layer2Peer } from '../net/backend-checks.js';

/**
 * The kernel must support the device: built in or loaded (/sys/module/<module>), or a module it can
 * load on demand (modules.builtin / modules.dep list it). Loading the module here would change the
 * host before the first step that may.
 */
const kernelModuleCheck = (name: string, module: string, backend: string, hint: string): Check => ({
  name,
  async run(ctx) {
    const { files } = ctx.services;
    if (await files.exists(`/sys/module/${module}`)) return pass(`${module} is in the kernel (/sys/module/${module})`);
    const kernel = release();
    const lists = await Promise.all(['modules.builtin', 'modules.dep'].map((file) => files.readIfExists(`/lib/modules/${kernel}/${file}`).catch(() => undefined)));
    if (lists.some((text) => text !== undefined && new RegExp(`(^|/)${module}\\.ko`, 'm').test(text))) return pass(`${module} is available as a module of ${kernel}`);
    return fail(`this kernel (${kernel}) has no ${backend} support: /sys/module/${module} is absent and /lib/modules/${kernel} lists no ${module} module`, hint);
  },
});

/** flannel's wireguard backend creates a `wireguard` link. */
export const wireguardCheck = kernelModuleCheck(
  'WireguardKernel',
  'wireguard',
  'wireguard',
  'Use a kernel with WireGuard (built in since Linux 5.6; else install the wireguard module), or choose another --backend, e.g. vxlan.',
);

/** flannel's vxlan backend creates a `vxlan` link (flannel.<VNI>). */
export const vxlanCheck = kernelModuleCheck(
  'KernelVxlan',
  'vxlan',
  'vxlan',
  'Load or install the vxlan module (`modprobe vxlan`; CONFIG_VXLAN), or choose another --backend, e.g. udp.',
);

/**
 * host-gw: every other host (the peer named on the command line and every lease's PublicIP) must be
 * on a directly connected subnet: `ip route get` shows no gateway. A lookup only, no packet is sent.
 */
export const hostGwLayer2Check: Check = {
  name: 'HostGwLayer2',
  async run(ctx) {
    const own = ctx.advertise?.address;
    const targets = new Map<string, string>();
    if (ctx.peer) targets.set(ctx.peer.address, ctx.peer.host === ctx.peer.address ? ctx.peer.address : `${ctx.peer.host} (${ctx.peer.address})`);
    const leases = ctx.store ? await ctx.store.listLeases().catch(() => []) : [];
    for (const lease of leases) if (lease.publicIP !== '' && !targets.has(lease.publicIP)) targets.set(lease.publicIP, `${lease.publicIP} (${lease.subnet})`);
    if (own !== undefined) targets.delete(own);
    const peers: Layer2Peer[] = [];
    for (const [address, label] of targets) {
      const out = await ctx.services.network.routeGet(address);
      peers.push({ label, hop: out === undefined ? undefined : parseRouteGet(out) });
    }
    return layer2Outcome(peers);
  },
};

/** The backend's own checks (after TunDevice, which flannel's container always maps). */
export function backendPreflight(backend: string | undefined): Check[] {
  switch (backend) {
    case 'wireguard':
      return [wireguardCheck];
    case 'vxlan':
      return [vxlanCheck];
    case 'host-gw':
      return [hostGwLayer2Check];
    default:
      return [];
  }
}
