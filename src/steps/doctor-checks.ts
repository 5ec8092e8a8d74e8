/**
 * doctor's checks: the host settings flannel operators trip on, the peer checks of join as named
 * checks, and the step that runs a list of checks without ever stopping on a failure. Every check
 * only reads; the pure `evaluate…`/`parse…` functions hold the decisions and are unit-tested.
 */
import { listFiles, readInterfaceMtu, readIptablesForward, readProcValue, SYSCTL, type CommandOutput } from '../adapters/host-kernel.js';
import { readAddresses } from '../adapters/host-network.js';
import { readState, applyState, statePath } from '../adapters/state.js';
import { IgniteError } from '../core/errors.js';
import type { CheckResult } from '../core/events.js';
import type { Step, StepIO } from '../core/step.js';
import { cniBlockers, cniConfigProblem, evaluateCniOrder } from '../cni/load-order.js';
import { CONTAINER_NAMES } from '../defaults.js';
import { containsCidr } from '../net/cidr.js';
import type { CommandContext } from './context.js';
import { probePeerBackendPort, readPeerNetworkConfig, reachPeerEtcd, refuseInitHost, resolvePeer } from './peer.js';
import { fail, pass, reportedResult, warn, type Check, type Outcome } from './preflight.js';

// ---------------------------------------------------------------------------------------------
// What doctor found, kept beside the context so the summary can list every check.

export interface DoctorReport {
  /** How this host was checked: "init host (state file)", "joining 10.0.0.1", … */
  checkedAs: string;
  results: CheckResult[];
  /** Checks that could not run because one they need failed, with why. */
  notRun: { name: string; reason: string }[];
}

const reports = new WeakMap<CommandContext, DoctorReport>();

export function doctorReport(ctx: CommandContext): DoctorReport {
  let report = reports.get(ctx);
  if (!report) {
    report = { checkedAs: 'as for init', results: [], notRun: [] };
    reports.set(ctx, report);
  }
  return report;
}

/** Runs one check: a check that throws is a failure of that check, never the end of doctor. */
async function runOne(check: Check, ctx: CommandContext, io: StepIO): Promise<{ result: CheckResult; ignored: boolean }> {
  let raw: Outcome;
  try {
    raw = await check.run(ctx, io);
  } catch (error) {
    raw =
      error instanceof IgniteError
        ? fail(error.message, error.hint ?? 'See the message above.')
        : fail(`the check could not run: ${error instanceof Error ? error.message : String(error)}`, 'Run it again; if it persists, report it as a bug.');
  }
  const reported = reportedResult(check, raw, ctx.options);
  io.check(reported.result);
  doctorReport(ctx).results.push(reported.result);
  return reported;
}

function countDetail(results: CheckResult[]): string {
  const n = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  return [n(results.length, 'check'), ...(warned > 0 ? [n(warned, 'warning')] : []), ...(failed > 0 ? [n(failed, 'failure')] : [])].join(', ');
}

/**
 * Like preflightStep, but a failed check is reported and the step goes on and succeeds: doctor's
 * verdict is the summary's exit code, after every check has run.
 */
export function checkStep(id: string, title: string, checks: (ctx: CommandContext) => Check[]): Step<CommandContext> {
  return {
    id,
    title,
    async run(ctx, io) {
      const results: CheckResult[] = [];
      for (const check of checks(ctx)) results.push((await runOne(check, ctx, io)).result);
      return { detail: countDetail(results) };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The state file: which host this is, and what init/join recorded

const NETWORK_FLAGS = ['network', 'subnet-len', 'subnet-min', 'subnet-max', 'backend-port'];

/**
 * Reads the state file as a check. What it recorded stands in for the flags not given: paths, the
 * network, the advertise address and, on a joined host, the peer, so doctor checks what is set up.
 * doctor never asks (a diagnosis should not stop for input): `yes` takes defaults and says so.
 */
export const stateCheck: Check = {
  name: 'StateFile',
  async run(ctx) {
    ctx.options = { ...ctx.options, yes: true };
    const report = doctorReport(ctx);
    const path = statePath(ctx.options.stateDir);
    const state = await readState(ctx.options.stateDir).catch((error: unknown) => {
      if (error instanceof IgniteError) return error;
      throw error;
    });
    if (state instanceof IgniteError) {
      report.checkedAs = ctx.options.peer ? `joining ${ctx.options.peer}` : 'as for init';
      return fail(state.message, state.hint ?? `Check ${path}.`);
    }
    if (!state) {
      report.checkedAs = ctx.options.peer ? `as for join ${ctx.options.peer} (not set up yet)` : 'as for init (not set up yet)';
      return pass(`none at ${path}: this host is not set up; checking it as for ${ctx.options.peer ? 'join' : 'init'}`);
    }
    const { explicit } = ctx.options;
    ctx.state = state;
    ctx.options = {
      ...applyState(ctx.options, state),
      ...(NETWORK_FLAGS.some((f) => explicit.has(f)) ? {} : { network: state.network }),
      ...(explicit.has('advertise-address') ? {} : { advertiseAddress: state.advertiseAddress }),
      ...(ctx.options.peer === undefined && state.role === 'joined' && state.peer !== undefined ? { peer: state.peer } : {}),
    };
    report.checkedAs =
      state.role === 'init' ? 'init host (state file)' : `joined ${state.peer ?? '?'} (state file)`;
    if (ctx.options.peer !== undefined && state.role === 'init') report.checkedAs = `init host, checked as for join ${ctx.options.peer}`;
    return pass(`${state.role === 'init' ? 'init host' : `joined ${state.peer ?? '?'}`} since ${state.createdAt} (${path})`);
  },
};

// ---------------------------------------------------------------------------------------------
// join's peer checks, one by one (the logic is join's own, in steps/peer.ts)

const asCheck = (name: string, run: (ctx: CommandContext, io: StepIO) => Promise<string>): Check => ({
  name,
  async run(ctx, io) {
    return pass(await run(ctx, io));
  },
});

export const peerChecks: { check: Check; needs: string[] }[] = [
  {
    check: asCheck('PeerAddress', async (ctx) => {
      const peer = await resolvePeer(ctx, ctx.options.peer ?? '');
      return peer.address === peer.host ? `${peer.host} is another host` : `${peer.host} resolves to ${peer.address}`;
    }),
    needs: [],
  },
  {
    check: asCheck('HostRole', async (ctx) => {
      await refuseInitHost(ctx);
      return `this host runs no ${CONTAINER_NAMES.etcd}, so it can join`;
    }),
    needs: [],
  },
  {
    check: asCheck('PeerEtcd', async (ctx, io) => {
      const { endpoint, rttMs } = await reachPeerEtcd(ctx, io);
      return `etcd v3 answers at ${endpoint} (${Math.round(rttMs)} ms)`;
    }),
    needs: ['PeerAddress'],
  },
  {
    check: asCheck('PeerNetworkConfig', async (ctx, io) => {
      const network = await readPeerNetworkConfig(ctx, io);
      return `${network.Network}, /${network.SubnetLen} per host, ${network.Backend.Type} on ${network.Backend.Port}/udp`;
    }),
    needs: ['PeerEtcd'],
  },
  { check: asCheck('PeerBackendPort', probePeerBackendPort), needs: ['PeerNetworkConfig'] },
];

/** The peer checks, each run only when the ones it needs passed (an ignored failure did not pass). */
export const peerCheckStep: Step<CommandContext> = {
  id: 'peer',
  title: 'Check the peer',
  skip: (ctx) => (ctx.options.peer === undefined ? 'no --peer given and this host has not joined one' : undefined),
  async run(ctx, io) {
    const report = doctorReport(ctx);
    const failed = new Set<string>();
    const results: CheckResult[] = [];
    for (const { check, needs } of peerChecks) {
      const missing = needs.filter((n) => failed.has(n));
      if (missing.length > 0) {
        failed.add(check.name);
        report.notRun.push({ name: check.name, reason: `needs ${missing.join(', ')}` });
        continue;
      }
      const { result, ignored } = await runOne(check, ctx, io);
      results.push(result);
      if (result.status === 'fail' || ignored) failed.add(check.name);
    }
    return { detail: countDetail(results) };
  },
};

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
  async run() {
    return evaluateIpForward(await readProcValue(SYSCTL.ipForward));
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
  async run() {
    const sysctl = await readProcValue(SYSCTL.bridgeNfCallIptables);
    const modules = sysctl === undefined ? await readProcValue(SYSCTL.modules) : undefined;
    return evaluateBridgeNetfilter(sysctl, modules === undefined ? undefined : parseProcModules(modules));
  },
};

// ---------------------------------------------------------------------------------------------
// The FORWARD chain

export interface ForwardChain {
  /** ACCEPT, DROP, … from `-P FORWARD <policy>`; undefined when the output has none. */
  policy?: string;
  /** Chains the FORWARD chain jumps to (`-j FLANNEL-FWD`, `-j DOCKER-USER`). */
  jumps: string[];
  /** `-j ACCEPT` rules of FORWARD, with the addresses they match (undefined = any). */
  accepts: { source?: string; destination?: string; matchesMore: boolean }[];
}

/** Parses `iptables -S FORWARD`. Negated matches (`! -s`) are not accepts of that address. */
export function parseIptablesForward(text: string): ForwardChain {
  const chain: ForwardChain = { jumps: [], accepts: [] };
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] === '-P' && words[1] === 'FORWARD' && words[2] !== undefined) chain.policy = words[2];
    if (words[0] !== '-A' || words[1] !== 'FORWARD') continue;
    const jump = words.indexOf('-j');
    const target = jump === -1 ? undefined : words[jump + 1];
    if (target === undefined) continue;
    if (target !== 'ACCEPT') {
      if (!['DROP', 'REJECT', 'RETURN', 'LOG'].includes(target)) chain.jumps.push(target);
      continue;
    }
    const value = (flag: string): string | undefined => {
      const at = words.indexOf(flag);
      return at > 0 && words[at - 1] !== '!' ? words[at + 1] : undefined;
    };
    const negated = words.includes('!');
    // Any matcher besides -s/-d (interfaces, conntrack state, …) narrows the rule.
    const rest = words.slice(2).filter((w, i, all) => !['-s', '-d', '-j'].includes(w) && !['-s', '-d', '-j'].includes(all[i - 1] ?? ''));
    const source = value('-s');
    const destination = value('-d');
    chain.accepts.push({ ...(source ? { source } : {}), ...(destination ? { destination } : {}), matchesMore: negated || rest.length > 0 });
  }
  return chain;
}

const covers = (rule: string | undefined, network: string): boolean => {
  if (rule === undefined) return true;
  try {
    return containsCidr(rule, network);
  } catch {
    return false; // an IPv6 or odd address: not ours
  }
};

/**
 * Docker sets the FORWARD policy to DROP; flannel then adds FLANNEL-FWD (accepting the overlay in
 * both directions). DROP with neither FLANNEL-FWD nor an accept for the overlay drops VM traffic
 * between hosts: a failure once flannel runs here, expected before (flannel adds them at start).
 */
export function evaluateForwardPolicy(output: CommandOutput, network: string, flannelRuns: boolean): Outcome {
  if (output.kind === 'missing') {
    return warn('iptables not found: cannot read the FORWARD chain policy', 'Install iptables (flannel uses it for FLANNEL-FWD and masquerading), or check `iptables -S FORWARD` with your firewall tool.');
  }
  if (output.kind === 'failed') return warn(`cannot read the FORWARD chain: ${output.message}`, 'Run `iptables -S FORWARD` as root to see why.');
  const chain = parseIptablesForward(output.stdout);
  const policy = chain.policy ?? '?';
  if (policy === 'ACCEPT') return pass('FORWARD policy ACCEPT');
  const flannelRules = chain.jumps.includes('FLANNEL-FWD');
  // As FLANNEL-FWD does: one rule for everything from the overlay, one for everything to it.
  const fromOverlay = chain.accepts.some((a) => !a.matchesMore && a.destination === undefined && covers(a.source, network));
  const toOverlay = chain.accepts.some((a) => !a.matchesMore && a.source === undefined && covers(a.destination, network));
  if (flannelRules) return pass(`FORWARD policy ${policy}; flannel's FLANNEL-FWD rules accept ${network}`);
  if (fromOverlay && toOverlay) return pass(`FORWARD policy ${policy}; rules accept ${network} both ways`);
  if (!flannelRuns) return pass(`FORWARD policy ${policy} (Docker's); flannel adds FLANNEL-FWD rules accepting ${network} when it starts`);
  return fail(
    `FORWARD policy ${policy} and no rules accept traffic from and to ${network}: VM traffic through this host is dropped`,
    `flannel adds FLANNEL-FWD rules unless run with --iptables-forward-rules=false; check \`docker logs ${CONTAINER_NAMES.flannel}\`, or accept the overlay: \`iptables -I FORWARD -s ${network} -j ACCEPT && iptables -I FORWARD -d ${network} -j ACCEPT\`.`,
  );
}

export const forwardPolicyCheck: Check = {
  name: 'ForwardPolicy',
  async run(ctx) {
    const flannelRuns = ctx.docker ? (await ctx.docker.listManaged('flannel')).some((c) => c.state === 'running') : false;
    return evaluateForwardPolicy(await readIptablesForward(), ctx.options.network.Network, flannelRuns);
  },
};

// ---------------------------------------------------------------------------------------------
// CNI configs that win over ours (the rule is cni/load-order.ts, shared with status)

export const cniOrderCheck: Check = {
  name: 'CNIConfigOrder',
  async run(ctx) {
    const dir = ctx.options.cniConfDir;
    const names = await listFiles(dir);
    const problems = new Map<string, string | undefined>();
    for (const { name } of cniBlockers(names ?? [], () => undefined)) {
      const text = await readProcValue(`${dir}/${name}`).catch(() => undefined);
      problems.set(name, text === undefined ? 'cannot be read' : cniConfigProblem(name, text));
    }
    return evaluateCniOrder(dir, names, (name) => problems.get(name), ctx.state !== undefined);
  },
};

// ---------------------------------------------------------------------------------------------
// MTU

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

export const mtuCheck: Check = {
  name: 'OverlayMTU',
  async run(ctx) {
    const address = ctx.advertise?.address;
    const iface = ctx.advertise?.iface ?? readAddresses().find((a) => a.address === address)?.iface;
    return evaluateMtu(iface, iface === undefined ? undefined : await readInterfaceMtu(iface), ctx.options.network.Backend.Type);
  },
};

/** doctor's own checks, after preflight's (they use its advertise address and Docker client). */
export function hostChecks(): Check[] {
  return [ipForwardCheck, bridgeNetfilterCheck, forwardPolicyCheck, cniOrderCheck, mtuCheck];
}
