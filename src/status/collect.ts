/**
 * Gathers StatusInputs: the state file, etcd (config and leases with TTLs), this host's own reads
 * (collect-host.ts: containers, subnet.env, CNI), and probes of the other hosts. All I/O goes
 * through the command's Services; buildStatusModel turns the result into the model. A session keeps its etcd
 * and Docker connections for `--watch`, so a refresh costs only the reads.
 */
import type { Options } from '../options.js';
import { etcdAccess, readConfigAs } from '../steps/etcd-access.js';
import { keepFixedSubnets } from '../steps/fixed-subnet.js';
import type { EtcdMembers } from '../adapters/etcd/members.js';
import type { EtcdStore } from '../adapters/etcd/store.js';
import { hostServices, type HostNetwork, type Probes, type Services, type StateFiles } from '../adapters/services.js';
import { applyState, statePath, type HostState } from '../adapters/state.js';
import { gatherIgniteFacts } from '../doctor/ignite.js';
import { IgniteError, isIgniteError } from '../core/errors.js';
import { PORTS } from '../defaults.js';
import { firstAddress, parseCidr } from '../net/cidr.js';
import { parseRouteGet, pathOutcome } from '../net/backend-checks.js';
import type { Lease } from '../net/lease.js';
import { parseNetworkConfig } from '../net/network-config.js';
import { HOST_RECORDS_PREFIX, revokedKey } from '../pki/etcd-roles.js';
import { parseHostRecord, parseRevokedRecord, type RevokedRecord } from '../pki/records.js';
import { nextLeaseExpiryCache, parseLeaseExpiryCache, rememberedTtl, type LeaseExpiryCache } from './lease-expiry.js';
import { buildStatusModel, STALE_LEASE_SECONDS, thisHostMatcher, type EndpointSource, type ProbeInput, type StatusInputs, type StatusModel } from './model.js';
import { backendUdpPort, type BackendConfig } from '../net/backend.js';
import { readCni, readContainers, readSubnetEnv } from './collect-host.js';

export { readCni } from './collect-host.js';

/**
 * Probing every host of a 1,000-host overlay from each status run would take seconds and send a
 * burst of datagrams; an operator wants the verdict fast. So: at most PROBE_LIMIT other hosts per
 * run (the etcd host always first), PROBE_CONCURRENCY at a time. UDP silence is the healthy answer
 * of a flannel socket, so its timeout bounds every run: keep it short.
 */
export const PROBE_LIMIT = 64;
export const PROBE_CONCURRENCY = 32;
export const UDP_PROBE_TIMEOUT_MS = 300;
export const TCP_PROBE_TIMEOUT_MS = 1_000;
/** status answers quickly or says why; --timeout overrides (init/join's 60 s default is for waits). */
export const STATUS_TIMEOUT_MS = 5_000;
/** Each etcd member's own Status call (docs/ha.md): a member down must not hold status up. */
export const MEMBER_STATUS_TIMEOUT_MS = 2_000;

export interface StatusSession {
  readonly endpoint: { url: string; source: EndpointSource };
  collect(signal?: AbortSignal): Promise<StatusModel>;
}

/** How long status waits for etcd and Docker: its own short default unless --timeout is given. */
export function statusTimeoutMs(options: Pick<Options, 'explicit' | 'timeoutMs'>): number {
  return options.explicit.has('timeout') ? options.timeoutMs : STATUS_TIMEOUT_MS;
}

/** The services status reads through: a short Docker ping, and Docker tried again on each refresh. */
export function statusServices(options: Options, env: NodeJS.ProcessEnv): Services {
  return hostServices(options, env, { dockerPingTimeoutMs: Math.min(statusTimeoutMs(options), 3_000), retryDocker: true });
}

/**
 * Reads the state file and decides where etcd is. Throws IgniteError('notSetUp') when nothing says
 * so (no state file, no --etcd-endpoint, no local ignite-etcd container); a corrupt or unreadable
 * state file throws as readState does. The caller closes the services (the etcd client) at the end.
 */
export async function openStatusSession(given: Options, services: Services): Promise<StatusSession> {
  const state = await services.state.readState(given.stateDir);
  const options = applyState(given, state);

  let endpoint: { url: string; source: EndpointSource };
  if (options.etcdEndpoint !== undefined) endpoint = { url: options.etcdEndpoint, source: 'flag' };
  else if (state) endpoint = { url: state.etcdEndpoint, source: 'state' };
  else {
    const hint =
      'Run `ignite-net init` (or `ignite-net join <init host>`) on this host first, or pass --etcd-endpoint http://<init host>:2379 to look at an overlay from here.';
    let localEtcd = false;
    let dockerError: IgniteError | undefined;
    try {
      localEtcd = (await (await services.docker()).listManaged('etcd')).length > 0;
    } catch (error) {
      if (!isIgniteError(error)) throw error;
      dockerError = error;
    }
    if (!localEtcd) {
      throw new IgniteError('notSetUp', `ignite-net is not set up on this host: no state file at ${statePath(options.stateDir)}`, {
        hint,
        details: dockerError ? [`and no local ignite-etcd found: ${dockerError.message}`] : ['and no ignite-etcd container on this host'],
      });
    }
    endpoint = { url: `http://127.0.0.1:${PORTS.etcdClient}`, source: 'local-etcd' };
  }

  const access = endpoint.url.startsWith('https:') ? await etcdAccess(services.files, options.stateDir) : {};
  const store: EtcdStore = services.etcd(endpoint.url, { timeoutMs: statusTimeoutMs(options), ...access });
  // The member list and each member's Status need no credential (a learner refuses one): TLS only.
  // Any member answers the list: the others flannel was given stand in while this one is down.
  const memberEndpoints = [...new Set([endpoint.url, ...(endpoint.source === 'state' ? (state?.flannelEndpoints ?? []) : [])])];
  const members = services.etcdMembers(memberEndpoints, { timeoutMs: statusTimeoutMs(options), ...(access.tls ? { tls: access.tls } : {}) });
  const leaseCache = { current: parseLeaseExpiryCache(await services.state.readLeaseCache(options.stateDir)) };
  return {
    endpoint,
    collect: (signal) => collect({ options, state, services, store, members, leaseCache, endpoint, signal }),
  };
}

interface CollectContext {
  options: Options;
  state: HostState | undefined;
  services: Services;
  store: EtcdStore;
  members: EtcdMembers;
  /** Lease expiry remembered across runs (state dir) and --watch refreshes. */
  leaseCache: { current: LeaseExpiryCache | undefined };
  endpoint: { url: string; source: EndpointSource };
  signal: AbortSignal | undefined;
}

async function collect(ctx: CollectContext): Promise<StatusModel> {
  const { options, state } = ctx;
  const { services } = ctx;
  // The members' Status calls go on while etcd is read, the containers listed and the hosts probed.
  const controlPlane = readControlPlane(ctx.members);
  const [etcd, docker, subnetEnv, cni, ignite] = await Promise.all([
    readEtcd(ctx.store, ctx.leaseCache, options.stateDir, services.state),
    readContainers(services),
    readSubnetEnv(options.runDir, services.files),
    readCni(options.cniConfDir, options.cniBinDir, services),
    gatherIgniteFacts(services, options.cniConfDir),
  ]);
  const localAddresses = services.network.readAddresses().map((a) => a.address);

  let network: StatusInputs['network'];
  if (etcd.ok && etcd.config !== undefined) {
    try {
      network = { config: parseNetworkConfig(etcd.config) };
    } catch (error) {
      if (!isIgniteError(error)) throw error;
      network = { problem: error.message };
    }
  }

  // Whom to probe: every other host with an address and something to probe on it (the backend port;
  // the overlay path to the etcd host), never this host (nor any of its addresses).
  const envSubnet = subnetEnv.kind === 'ok' ? subnetEnv.subnet : undefined;
  const isSelf = thisHostMatcher({ advertiseAddress: state?.advertiseAddress, envSubnet, localAddresses });
  const local = new Set(localAddresses);
  const member = state !== undefined || (docker.ok && docker.containers.some((c) => c.role === 'flannel'));
  const etcdHost = new URL(ctx.endpoint.url).hostname.replace(/^\[(.*)\]$/, '$1');
  const backendPort = network?.config ? backendUdpPort(network.config.Backend) : undefined;
  const backendType = network?.config?.Backend.Type;
  const plan = (lease: Lease): { backendPort: number | undefined; overlay: boolean; route: boolean } => {
    const hostGw = (lease.backendType || backendType) === 'host-gw';
    const inOverlay = member && envSubnet !== undefined && lease.subnet !== '';
    return {
      backendPort: hostGw ? undefined : backendPort,
      // host-gw puts no address of a host's subnet on any device until a VM runs there: nothing answers a
      // probe. What this host can check is its route to that subnet (local, no traffic), for every host.
      overlay: inOverlay && lease.publicIP === etcdHost && !hostGw,
      route: inOverlay && hostGw && network?.config?.Backend.Type === 'host-gw',
    };
  };
  // Its TLS handshake and anonymous call go on while the other hosts are probed.
  const security = readSecurity(ctx);
  const leases = etcd.ok ? etcd.leases : [];
  const candidates = leases
    .filter((l) => l.publicIP !== '' && !isSelf(l) && !local.has(l.publicIP))
    .map((lease) => ({ lease, what: plan(lease) }))
    .filter(({ what }) => what.backendPort !== undefined || what.overlay || what.route);
  candidates.sort((a, b) => Number(b.lease.publicIP === etcdHost) - Number(a.lease.publicIP === etcdHost));
  const probes: StatusInputs['probes'] = {};
  await mapLimit(candidates.slice(0, PROBE_LIMIT), PROBE_CONCURRENCY, async ({ lease, what }) => {
    if (ctx.signal?.aborted) return;
    probes[lease.key] = await probeHost(lease, what, services.probes, services.network);
  });

  const revoked = etcd.ok && state?.role === 'init' ? await readRevoked(ctx.store) : undefined;
  const hostRecords = etcd.ok ? await readHostRecords(ctx.store) : undefined;
  const fixed = etcd.ok && network?.config ? await keepFixedSubnets(ctx.store, network.config, etcd.leases) : undefined;
  const inputs: StatusInputs = {
    now: new Date().toISOString(),
    endpoint: ctx.endpoint,
    ...(state
      ? { state: { path: statePath(options.stateDir), role: state.role, advertiseAddress: state.advertiseAddress, ...(state.peer ? { peer: state.peer } : {}), createdAt: state.createdAt } }
      : { stateMissing: `no state file at ${statePath(options.stateDir)}` }),
    etcd,
    security: await security,
    ...(revoked && revoked.length > 0 ? { revoked } : {}),
    ...(network ? { network } : {}),
    docker,
    subnetEnv,
    cni,
    ignite,
    localAddresses,
    probes,
    probeLimit: { limit: PROBE_LIMIT, candidates: candidates.length },
    controlPlane: await controlPlane,
    ...(hostRecords ? { hostRecords } : {}),
    ...(fixed ? { fixed } : {}),
    ...(state ? { thisHostEndpoints: state.flannelEndpoints ?? [state.etcdEndpoint] } : {}),
  };
  return buildStatusModel(inputs);
}

/** Every member with its own status; what etcd said when the list could not be read. */
export async function readControlPlane(members: Pick<EtcdMembers, 'statusOfMembers'>): Promise<NonNullable<StatusInputs['controlPlane']>> {
  try {
    return { ok: true, members: await members.statusOfMembers(MEMBER_STATUS_TIMEOUT_MS) };
  } catch (error) {
    if (!isIgniteError(error)) throw error;
    return { ok: false, message: error.message };
  }
}

async function readEtcd(store: EtcdStore, cache: CollectContext['leaseCache'], stateDir: string, files: StateFiles): Promise<StatusInputs['etcd']> {
  const started = performance.now();
  const startedAt = Date.now();
  const known = (clusterId: string, leaseId: string): number | undefined => rememberedTtl(cache.current, clusterId, leaseId, startedAt, STALE_LEASE_SECONDS);
  try {
    const [status, config, read] = await Promise.all([store.ping(), store.getConfig(), store.readLeases(known)]);
    const next = nextLeaseExpiryCache(cache.current, read.clusterId, read.leases, startedAt);
    cache.current = next;
    if (read.asked > 0) await files.writeLeaseCache(stateDir, JSON.stringify(next));
    return {
      ok: true,
      version: status.version,
      readMs: Math.round(performance.now() - started),
      ...(config === undefined ? {} : { config }),
      configKey: store.keys.config,
      leases: read.leases,
      leaseTtls: { asked: read.asked, remembered: read.remembered },
    };
  } catch (error) {
    if (!isIgniteError(error)) throw error;
    return { ok: false, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  }
}

/** What `hosts revoke` recorded; root reads it on the init host. Best effort: status still shows the leases. */
async function readRevoked(store: EtcdStore): Promise<RevokedRecord[] | undefined> {
  const read = await store.getPrefix(revokedKey('')).catch((error: unknown) => {
    if (isIgniteError(error)) return undefined;
    throw error;
  });
  return read && [...read.values()].map(parseRevokedRecord).filter((r): r is RevokedRecord => r !== undefined);
}

/** Every host's endpoint record; undefined when this identity may not read them (only root may). */
async function readHostRecords(store: EtcdStore): Promise<NonNullable<StatusInputs['hostRecords']> | undefined> {
  const read = await store.getPrefix(HOST_RECORDS_PREFIX).catch((error: unknown) => {
    if (isIgniteError(error)) return undefined;
    throw error;
  });
  if (read === undefined) return undefined;
  return [...read.entries()].flatMap(([key, text]) => {
    const record = parseHostRecord(text);
    return record ? [{ user: key.slice(HOST_RECORDS_PREFIX.length), record }] : [];
  });
}

async function probeHost(
  lease: Lease,
  what: { backendPort: number | undefined; overlay: boolean; route: boolean },
  { udpProbe, tcpProbe }: Probes,
  network: Pick<HostNetwork, 'routeGet'>,
): Promise<{ backend?: ProbeInput; overlay?: ProbeInput }> {
  if (what.route) return { overlay: await routeCheck(lease, network) };
  const [backend, overlay] = await Promise.all([
    what.backendPort === undefined
      ? undefined
      : (async (): Promise<ProbeInput> => {
          const port = what.backendPort ?? 0;
          const started = performance.now();
          const result = await udpProbe(lease.publicIP, port, UDP_PROBE_TIMEOUT_MS);
          const rttMs = Math.round((performance.now() - started) * 100) / 100;
          return { kind: 'udp', port, result, ...(result === 'silent' ? {} : { rttMs }) };
        })(),
    !what.overlay
      ? undefined
      : (async (): Promise<ProbeInput> => {
          const target = firstAddress(lease.subnet);
          const probe = await tcpProbe(target, PORTS.etcdClient, TCP_PROBE_TIMEOUT_MS);
          return probe.ok
            ? { kind: 'tcp', target, port: PORTS.etcdClient, ok: true, rttMs: probe.rttMs }
            : { kind: 'tcp', target, port: PORTS.etcdClient, ok: false, reason: probe.reason, message: probe.message };
        })(),
  ]);
  return { ...(backend ? { backend } : {}), ...(overlay ? { overlay } : {}) };
}

/** host-gw: `ip route get` to the peer's subnet, judged as join's verify step judges it. */
async function routeCheck(lease: Lease, network: Pick<HostNetwork, 'routeGet'>): Promise<ProbeInput> {
  const target = parseCidr(lease.subnet).network;
  const text = await network.routeGet(target).catch(() => undefined);
  const outcome = pathOutcome(HOST_GW, target, lease.publicIP, text === undefined ? undefined : parseRouteGet(text), lease.subnet);
  return { kind: 'route', target, ok: outcome.status === 'pass', message: outcome.message };
}

const HOST_GW: BackendConfig = { Type: 'host-gw' };

/** Runs `work` over `items`, at most `limit` at a time. */
async function mapLimit<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T; // next < length was just checked
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** TLS or not, as the endpoint says; the CA pin and identity this host recorded; the expiry the server presents. */
async function readSecurity(ctx: CollectContext): Promise<StatusInputs['security']> {
  if (!ctx.endpoint.url.startsWith('https:')) return { tls: false };
  const url = new URL(ctx.endpoint.url);
  const presented = await ctx.services.probes.fetchPresentedCa(url.hostname.replace(/^\[(.*)\]$/, '$1'), Number(url.port || PORTS.etcdClient), statusTimeoutMs(ctx.options)).catch(() => undefined);
  const recorded = ctx.state?.security;
  const auth = presented && (await authenticationOn(ctx, presented.caPem));
  return {
    tls: true,
    ...(auth === undefined ? {} : { auth }),
    ...(recorded ? { caPin: recorded.caPin, identity: recorded.etcdUser } : {}),
    ...(presented ? { certExpiresAt: presented.serverCertExpiresAt.toISOString() } : {}),
  };
}

/** Seen, not assumed: a call without credentials is refused ("user name is empty") only with auth on. undefined: no verdict. */
async function authenticationOn(ctx: CollectContext, caPem: string): Promise<boolean | undefined> {
  const answer = await readConfigAs(ctx.services, ctx.endpoint.url, caPem, undefined, statusTimeoutMs(ctx.options));
  if (answer === 'answered') return false;
  return isIgniteError(answer) && answer.kind === 'permission' && /user name is empty/.test(answer.message) ? true : undefined;
}
