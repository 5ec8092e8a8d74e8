import { NOT_A_DIRECTORY } from '../adapters/host-files.js';
import { ignoresPreflightError } from '../options.js';
import { isOverlayDevice } from '../net/interfaces.js';
import { fail, pass, warn, type Outcome } from '../core/check.js';
import { IgniteError } from '../core/errors.js';
import type { CheckResult } from '../core/events.js';
import type { Step } from '../core/step.js';
import type { Check } from './check.js';
import { CONTAINER_NAMES, ETCD_VOLUME, PORTS, type ContainerRole } from '../defaults.js';
import { peerUrlOf } from '../ha/members.js';
import { overlaps } from '../net/cidr.js';
import { foreignNamed } from './containers.js';
import { required, type CommandContext } from './context.js';
import { collectPeerBackendVerdict } from './peer.js';
import { backendUdpPort } from '../net/backend.js';
import { backendPreflight } from './preflight-backend.js';

export { wireguardCheck, vxlanCheck, hostGwLayer2Check } from './preflight-backend.js';

export type { Check } from './check.js';

export { fail, pass, warn, type Outcome };

/**
 * A check's outcome as reported: a failure that --ignore-preflight-errors names becomes a warning,
 * except for a fatal check. `ignored` says that happened.
 */
export function reportedResult(check: Check, raw: Outcome, options: Pick<CommandContext['options'], 'ignorePreflightErrors'>): { result: CheckResult; ignored: boolean } {
  const ignored = raw.status === 'fail' && check.fatal !== true && ignoresPreflightError(options, check.name);
  return { result: { name: check.name, ...raw, ...(ignored ? { status: 'warn', message: `${raw.message} (ignored)` } : {}) }, ignored };
}

export const privilegedUserCheck: Check = {
  name: 'IsPrivilegedUser',
  async run() {
    if (typeof process.geteuid !== 'function' || process.geteuid() === 0) return pass('running as root');
    return fail('ignite-net is not running as root', 'Run it with sudo: it writes CNI config and drives Docker.');
  },
};

/** Reports what the docker step found (a failure there is this check's failure). */
export const dockerCheck: Check = {
  name: 'DockerEngine',
  fatal: true,
  async run(ctx) {
    if (ctx.docker) return pass(`Docker Engine at ${ctx.docker.where}`);
    const problem = required(ctx.dockerProblem, 'docker');
    return fail(problem.message, problem.hint ?? 'Start dockerd.');
  },
};

const dirCheck = (name: string, pick: (ctx: CommandContext) => string, flag: string): Check => ({
  name,
  async run(ctx) {
    const dir = pick(ctx);
    const problem = await ctx.services.files.directoryWritableProblem(dir);
    if (problem === undefined) return pass((await ctx.services.files.exists(dir)) ? `${dir} is writable` : `${dir} does not exist yet: it will be created`);
    // A file where a directory should be is not something to "fix": the operator picks another path.
    if (problem.endsWith(NOT_A_DIRECTORY)) return fail(problem, `Choose a directory with ${flag} <dir>.`);
    return fail(problem, `Fix ${dir} or pass ${flag} <dir>.`);
  },
});

export const cniConfDirCheck = dirCheck('CNIConfDir', (ctx) => ctx.options.cniConfDir, '--cni-conf-dir');
export const runDirCheck = dirCheck('FlannelRunDir', (ctx) => ctx.options.runDir, '--run-dir');

export const tunCheck: Check = {
  name: 'TunDevice',
  async run(ctx) {
    return (await ctx.services.files.isCharDevice('/dev/net/tun'))
      ? pass('/dev/net/tun present')
      : fail('/dev/net/tun is missing (flannel udp needs it)', 'Load the tun module: `modprobe tun`.');
  },
};

/** Our own running container may hold the port: that is the re-run case, not a conflict. */
async function heldByUs(ctx: CommandContext, role: ContainerRole): Promise<boolean> {
  if (!ctx.docker) return false;
  const ours = await ctx.docker.listManaged(role);
  return ours.some((c) => c.state === 'running' || c.state === 'restarting');
}

const tcpPortCheck = (port: number): Check => ({
  name: `Port-${port}`,
  async run(ctx) {
    if (await heldByUs(ctx, 'etcd')) return pass(`${port}/tcp held by our ${CONTAINER_NAMES.etcd}`);
    return (await ctx.services.probes.isTcpPortFree(port))
      ? pass(`${port}/tcp is free`)
      : fail(`${port}/tcp is already in use on this host`, `Stop what listens on ${port} (\`ss -ltnp 'sport = :${port}'\`).`);
  },
});

export const etcdPortChecks = [tcpPortCheck(PORTS.etcdClient), tcpPortCheck(PORTS.etcdPeer)];

export const backendPortCheck: Check = {
  name: 'Port-backend-udp',
  async run(ctx) {
    const port = backendUdpPort(ctx.network.Backend);
    if (port === undefined) return pass(`${ctx.network.Backend.Type} uses no UDP port`);
    if (await heldByUs(ctx, 'flannel')) return pass(`${port}/udp held by our ${CONTAINER_NAMES.flannel}`);
    const address = ctx.advertise?.address ?? '0.0.0.0';
    return (await ctx.services.probes.isUdpPortFree(port, address))
      ? pass(`${port}/udp is free on ${address}`)
      : fail(`${port}/udp is already in use on ${address}`, `Stop what holds it (\`ss -lunp 'sport = :${port}'\`) or pass --backend-port.`);
  },
};

/**
 * Reports what the advertise step chose. Fatal: flannel and etcd cannot start without an address of
 * this host, so ignoring it would only move the failure into a later step.
 */
export const advertiseCheck: Check = {
  name: 'AdvertiseAddress',
  fatal: true,
  async run(ctx) {
    return required(ctx.advertiseFinding, 'advertise address');
  },
};

export const overlapCheck: Check = {
  name: 'NetworkOverlap',
  async run(ctx) {
    const network = ctx.network.Network;
    const flannelOurs = ctx.docker ? (await ctx.docker.listManaged('flannel')).length > 0 : false;
    // join knows the overlay's leases (the peer step opened its etcd): a route to a lease's subnet via
    // that lease's PublicIP is flannel's own (host-gw style), e.g. left by a flannel that an interrupted
    // or failed join removed, and is no clash.
    const leaseRoutes = new Set((ctx.store ? await ctx.store.listLeases().catch(() => []) : []).map((l) => `${l.subnet} via ${l.publicIP}`));
    const clashes: string[] = [];
    for (const a of ctx.services.network.readAddresses()) {
      if (a.family !== 'IPv4' || isOverlayDevice(a.iface)) continue;
      if (overlaps(a.cidr, network)) clashes.push(`${a.cidr} on ${a.iface}`);
    }
    for (const r of await ctx.services.network.readRoutes()) {
      if (r.destination.endsWith('/0') || isOverlayDevice(r.iface)) continue;
      // flannel's own per-host routes (host-gw style) sit inside the network once it runs here.
      if (flannelOurs && overlaps(r.destination, network) && r.destination !== network && r.gateway !== undefined) continue;
      if (r.gateway !== undefined && leaseRoutes.has(`${r.destination} via ${r.gateway}`)) continue;
      if (overlaps(r.destination, network)) clashes.push(`route ${r.destination} dev ${r.iface}`);
    }
    const unique = [...new Set(clashes)];
    return unique.length === 0
      ? pass(`${network} overlaps nothing on this host`)
      : fail(`${network} overlaps ${unique.join(', ')}`, 'Pick another overlay with --network (and --subnet-min/--subnet-max).');
  },
};

export const foreignContainerCheck: Check = {
  name: 'ContainerNames',
  async run(ctx) {
    if (!ctx.docker) return pass('skipped: Docker not reachable');
    const foreign = await foreignNamed(ctx.docker, [CONTAINER_NAMES.etcd, CONTAINER_NAMES.flannel]);
    if (foreign.length === 0) return pass('no foreign ignite-etcd / ignite-flannel containers');
    if (ctx.options.force) return warn(`container ${foreign.join(', ')} was not created by ignite-net and will be replaced`, 'Given --force.');
    return fail(
          `container ${foreign.join(', ')} exists but was not created by ignite-net (ignite-flannel.sh?)`,
          `Remove it (\`docker rm -f ${foreign.join(' ')}\`), or pass --force to have ignite-net replace it.`,
        );
  },
};

/**
 * join --control-plane: a new member must start on an empty data dir, or etcd runs whatever cluster
 * the old data holds. Data of this host's own member (a re-run) is its own. Fatal: ignoring it would
 * start the wrong cluster.
 */
export const etcdDataCheck: Check = {
  name: 'EtcdData',
  fatal: true,
  async run(ctx) {
    if (!ctx.docker) return pass('skipped: Docker not reachable');
    if (!(await ctx.docker.volumeExists(ETCD_VOLUME))) return pass(`no ${ETCD_VOLUME} volume yet`);
    const peerUrl = peerUrlOf(required(ctx.advertise, 'advertise address').address);
    if ((ctx.members ?? []).some((m) => m.peerUrls.includes(peerUrl))) return pass(`${ETCD_VOLUME} holds this host's member (${peerUrl})`);
    return fail(
      `the volume ${ETCD_VOLUME} holds etcd data from before, of no member of ${ctx.peer?.host ?? 'the peer'}'s cluster`,
      `A new member starts empty: remove it (\`docker volume rm ${ETCD_VOLUME}\`) if its data is not needed, then join again.`,
    );
  },
};

/** `backend`: the Type init seeds; its own checks join the list. */
export function initChecks(backend?: string): Check[] {
  return [privilegedUserCheck, dockerCheck, foreignContainerCheck, cniConfDirCheck, runDirCheck, tunCheck, ...backendPreflight(backend), advertiseCheck, ...etcdPortChecks, backendPortCheck, overlapCheck];
}

/** With controlPlane (join --control-plane), etcd's ports and data volume as well; `backend`: the overlay's Type. */
export function joinChecks(controlPlane = false, backend?: string): Check[] {
  return [privilegedUserCheck, dockerCheck, foreignContainerCheck, cniConfDirCheck, runDirCheck, tunCheck, ...backendPreflight(backend), advertiseCheck, ...(controlPlane ? [...etcdPortChecks, etcdDataCheck] : []), backendPortCheck, overlapCheck];
}

/**
 * Runs every check, reports each, then fails once naming all errors that were not ignored. A
 * function of ctx picks the checks when they depend on what earlier steps read (join: the overlay's backend).
 */
export function preflightStep(pick: Check[] | ((ctx: CommandContext) => Check[])): Step<CommandContext> {
  return {
    id: 'preflight',
    title: 'Preflight checks',
    async run(ctx, io) {
      const checks = typeof pick === 'function' ? pick(ctx) : pick;
      const errors: CheckResult[] = [];
      let warnings = 0;
      // Every check only reads (Docker, files, sockets): all at once, reported in their order. A check
      // that throws ends the step there, as it did when they ran one by one.
      const outcomes = await Promise.allSettled(checks.map((check) => check.run(ctx, io)));
      for (const [i, check] of checks.entries()) {
        const outcome = outcomes[i];
        if (outcome?.status !== 'fulfilled') throw outcome?.reason;
        const { result } = reportedResult(check, outcome.value, ctx.options);
        io.check(result);
        if (result.status === 'fail') errors.push(result);
        if (result.status === 'warn') warnings += 1;
      }
      // join: a peer whose backend port rejects us stops it here, as it did in the peer step.
      await collectPeerBackendVerdict(ctx, io);
      if (errors.length > 0) {
        const names = errors.map((e) => e.name).join(',');
        const fatal = new Set(checks.filter((c) => c.fatal === true).map((c) => c.name));
        const ignorable = errors.filter((e) => !fatal.has(e.name)).map((e) => e.name).join(',');
        const goOn = ignorable === '' ? '' : `pass --ignore-preflight-errors=${ignorable} to go on anyway`;
        const [only] = errors;
        if (errors.length === 1 && only !== undefined) {
          // One error: the last line says what is wrong and what to do by itself.
          throw new IgniteError('preflight', `preflight found an error: ${only.name}: ${only.message}`, {
            hint: [only.hint ?? 'Fix it.', goOn === '' ? '' : `Or ${goOn}.`].filter((part) => part !== '').join(' '),
          });
        }
        // Each error was already reported as its check; the failure names them and how to go on.
        const cannot = errors.filter((e) => fatal.has(e.name)).map((e) => e.name);
        throw new IgniteError('preflight', `preflight found ${errors.length} errors: ${names}`, {
          hint: `Fix the above${cannot.length > 0 ? ` (${cannot.join(', ')} cannot be ignored)` : ''}${goOn === '' ? '' : `, or ${goOn}`}.`,
        });
      }
      return { detail: `${checks.length} checks${warnings > 0 ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : ''}` };
    },
  };
}

