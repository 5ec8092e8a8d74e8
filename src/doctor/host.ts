/**
 * doctor's own host checks: the settings flannel operators trip on. Each only reads, through
 * ctx.services; the decisions are pure functions (here, in net/iptables.ts, net/mtu.ts and
 * cni/load-order.ts) and are unit-tested.
 */
import { SYSCTL } from '../adapters/host-kernel.js';
import { fail, pass, warn, type Outcome } from '../core/check.js';
import { renderConflist } from '../cni/conflist.js';
import { cniBlockers, cniConfigProblem, evaluateCniOrder } from '../cni/load-order.js';
import { evaluateStale } from '../cni/ipam-stale.js';
import { conflistCniVersion, evaluatePlugins } from '../cni/plugin-versions.js';
import { CNI_FILES, CNI_PLUGINS } from '../defaults.js';
import { evaluateForwardPolicy } from '../net/iptables.js';
import { evaluateMtu } from '../net/mtu.js';
import { gatherStoreFindings } from '../steps/ipam.js';
import { igniteConfigCheck } from './ignite.js';
import type { Check } from '../steps/preflight.js';

// ---------------------------------------------------------------------------------------------
// IP forwarding

export function evaluateIpForward(value: string | undefined): Outcome {
  if (value === undefined) return warn(`cannot read ${SYSCTL.ipForward}`, 'Check that /proc is mounted; flannel needs net.ipv4.ip_forward = 1.');
  if (value === '1') return pass('net.ipv4.ip_forward = 1');
  return fail(
    `net.ipv4.ip_forward = ${value}: this host will not forward VM traffic to or from the overlay`,
    'Run `sysctl -w net.ipv4.ip_forward=1` and keep it across reboots with `echo net.ipv4.ip_forward=1 > /etc/sysctl.d/99-ignite-net.conf`.',
  );
}

export const ipForwardCheck: Check = {
  name: 'IPForward',
  async run(ctx) {
    return evaluateIpForward(await ctx.services.kernel.readProcValue(SYSCTL.ipForward));
  },
};

// ---------------------------------------------------------------------------------------------
// br_netfilter

/** Module names from /proc/modules ("br_netfilter 32768 0 - Live 0x0000000000000000"). */
export function parseProcModules(text: string): Set<string> {
  return new Set(text.split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name !== ''));
}

/**
 * A warning, not a failure: routing between hosts works without it. What breaks is iptables seeing
 * traffic bridged on cni0 — the portmap plugin's hairpin and the firewall plugin's rules between VMs
 * on one host — which is why flannel's and Kubernetes' docs ask for it.
 */
export function evaluateBridgeNetfilter(sysctl: string | undefined, modules: Set<string> | undefined): Outcome {
  const persist = 'Load it now with `modprobe br_netfilter` and at boot with `echo br_netfilter > /etc/modules-load.d/br_netfilter.conf`.';
  if (sysctl === '1') return pass('br_netfilter active, net.bridge.bridge-nf-call-iptables = 1');
  if (sysctl !== undefined) {
    return warn(
      `net.bridge.bridge-nf-call-iptables = ${sysctl}: traffic bridged on cni0 bypasses iptables (portmap hairpin, firewall plugin)`,
      'Run `sysctl -w net.bridge.bridge-nf-call-iptables=1` and keep it in /etc/sysctl.d/.',
    );
  }
  if (modules?.has('br_netfilter')) {
    return warn('br_netfilter is loaded but net.bridge.bridge-nf-call-iptables cannot be read here', 'Check `sysctl net.bridge.bridge-nf-call-iptables`; it should be 1.');
  }
  return warn('br_netfilter is not loaded: traffic bridged on cni0 bypasses iptables (portmap hairpin, firewall plugin)', persist);
}

export const bridgeNetfilterCheck: Check = {
  name: 'BridgeNetfilter',
  async run(ctx) {
    const { readProcValue } = ctx.services.kernel;
    const sysctl = await readProcValue(SYSCTL.bridgeNfCallIptables);
    const modules = sysctl === undefined ? await readProcValue(SYSCTL.modules) : undefined;
    return evaluateBridgeNetfilter(sysctl, modules === undefined ? undefined : parseProcModules(modules));
  },
};

// ---------------------------------------------------------------------------------------------
// The FORWARD chain, CNI configs that win over ours, the MTU

export const forwardPolicyCheck: Check = {
  name: 'ForwardPolicy',
  async run(ctx) {
    const flannelRuns = ctx.docker ? (await ctx.docker.listManaged('flannel')).some((c) => c.state === 'running') : false;
    return evaluateForwardPolicy(await ctx.services.kernel.readIptablesForward(), ctx.network.Network, flannelRuns);
  },
};

export const cniOrderCheck: Check = {
  name: 'CNIConfigOrder',
  async run(ctx) {
    const dir = ctx.options.cniConfDir;
    const { kernel, files } = ctx.services;
    const names = await kernel.listFiles(dir);
    const problems = new Map<string, string | undefined>();
    for (const { name } of cniBlockers(names ?? [], () => undefined)) {
      const text = await files.readIfExists(`${dir}/${name}`).catch(() => undefined);
      problems.set(name, text === undefined ? 'cannot be read' : cniConfigProblem(name, text));
    }
    return evaluateCniOrder(dir, names, (name) => problems.get(name), ctx.state !== undefined);
  },
};

/** Each plugin's VERSION answer against the conflist's cniVersion (cni/plugin-versions.ts decides). */
export const cniPluginsCheck: Check = {
  name: 'CNIPlugins',
  async run(ctx) {
    const { files, cniBinaries } = ctx.services;
    const template = renderConflist(await files.conflistTemplate());
    const onDisk = await files.readIfExists(`${ctx.options.cniConfDir}/${CNI_FILES.ours}`).catch(() => undefined);
    const version = conflistCniVersion(onDisk) ?? conflistCniVersion(template) ?? '1.0.0';
    const probes = await cniBinaries.probePlugins(ctx.options.cniBinDir, CNI_PLUGINS, version);
    const command = ctx.state?.role === 'joined' ? `join ${ctx.state.peer ?? '<host>'}` : 'init';
    return evaluatePlugins(probes, version, ctx.options.cniBinDir, command);
  },
};

/** host-local allocations of our network whose owner is gone (cni/ipam-stale.ts decides). */
export const staleAllocationsCheck: Check = {
  name: 'CNIStaleAllocations',
  async run(ctx) {
    const command = ctx.state?.role === 'joined' ? `join ${ctx.state.peer ?? '<host>'}` : 'init';
    return evaluateStale(await gatherStoreFindings(ctx), command);
  },
};

export const mtuCheck: Check = {
  name: 'OverlayMTU',
  async run(ctx) {
    const address = ctx.advertise?.address;
    const iface = ctx.advertise?.iface ?? ctx.services.network.readAddresses().find((a) => a.address === address)?.iface;
    return evaluateMtu(iface, iface === undefined ? undefined : await ctx.services.kernel.readInterfaceMtu(iface), ctx.network.Backend.Type);
  },
};

/** doctor's own checks, after preflight's (they use its advertise address and Docker client). */
export function hostChecks(): Check[] {
  return [ipForwardCheck, bridgeNetfilterCheck, forwardPolicyCheck, cniOrderCheck, cniPluginsCheck, staleAllocationsCheck, igniteConfigCheck, mtuCheck];
}
