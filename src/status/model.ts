/**
 * The status model: what `ignite-net status` knows about the overlay and this host, built from
 * collected inputs by one pure function. Collection (src/status/collect.ts) does the I/O; the
 * renderers (plain, ink, JSON) only draw this model. Everything here is plain JSON-safe data.
 */
import { cniBlockers, describeCniBlockers } from '../cni/load-order.js';
import { ExitCode } from '../core/errors.js';
import { CNI_FILES, CNI_PLUGINS, CONTAINER_NAMES, PORTS } from '../defaults.js';
import { contains, firstAddress, parseCidr } from '../net/cidr.js';
import { hostFromUrl } from '../net/host-arg.js';
import { LEASE_RENEW_MARGIN_MS } from '../net/lease-release.js';
import type { NetworkConfig } from '../net/network-config.js';
import type { Lease } from '../net/lease.js';
import type { ContainerState } from '../adapters/docker/view.js';
import type { TcpFailureReason, UdpProbeResult } from '../adapters/probes.js';

/**
 * flanneld renews its lease an hour before it expires, so less left means it did not; a little
 * slack under the margin keeps a renewal in flight from being reported.
 */
export const STALE_LEASE_SECONDS = LEASE_RENEW_MARGIN_MS / 1000 - 5 * 60;

// ---------------------------------------------------------------------------------------------
// Inputs (what collect.ts gathers)

export type EndpointSource = 'flag' | 'state' | 'local-etcd';

export interface ContainerInput {
  name: string;
  role?: 'etcd' | 'flannel';
  image: string;
  state: ContainerState;
  running: boolean;
  exitCode: number;
  error?: string;
  startedAt?: string;
  finishedAt?: string;
  restartCount: number;
  health?: 'starting' | 'healthy' | 'unhealthy';
}

export type ProbeInput =
  | { kind: 'udp'; port: number; result: UdpProbeResult; rttMs?: number }
  | { kind: 'tcp'; target: string; port: number; ok: true; rttMs: number }
  | { kind: 'tcp'; target: string; port: number; ok: false; reason: TcpFailureReason; message: string };

export interface StatusInputs {
  now: string;
  endpoint: { url: string; source: EndpointSource };
  state?: { path: string; role: 'init' | 'joined'; advertiseAddress: string; peer?: string; createdAt: string };
  /** No state file was found (status still runs from --etcd-endpoint or a local etcd). */
  stateMissing?: string;
  etcd:
    | {
        ok: true;
        version: string;
        readMs: number;
        config?: string;
        configKey: string;
        leases: Lease[];
        /** How many lease TTLs etcd was asked for, and how many came from status's memory (lease-expiry.ts). */
        leaseTtls?: { asked: number; remembered: number };
      }
    | { ok: false; message: string; hint?: string };
  /** Parsed from etcd's config by collect (parsing throws on bad data; the message lands here). */
  network?: { config?: NetworkConfig; problem?: string };
  docker: { ok: true; where: string; containers: ContainerInput[] } | { ok: false; message: string; hint?: string };
  subnetEnv: { path: string } & ({ kind: 'missing' } | { kind: 'invalid'; problem: string } | { kind: 'ok'; subnet: string; network: string; mtu: number });
  cni: {
    confDir: string;
    binDir: string;
    /** Files a CNI runtime considers (.conf, .conflist, .json), in the order libcni sorts them. */
    candidates: string[];
    /** Our conflist: undefined when absent. */
    ours?: { validJson: boolean; written: boolean };
    /** The files among candidates that do not load as a CNI config (ignite stops at them). */
    invalid: string[];
    /** Why each of `invalid` does not load, as cni/load-order.ts says it. */
    problems?: Record<string, string>;
    missingPlugins: string[];
  };
  /** This host's addresses (never probed; used when no state file says which lease is ours). */
  localAddresses: string[];
  /** Probe results by lease key; absent keys were not probed. */
  probes: Record<string, { backend?: ProbeInput; overlay?: ProbeInput }>;
  /** candidates: the other hosts with something to probe (a backend port, or the overlay path). */
  probeLimit: { limit: number; candidates: number };
}

// ---------------------------------------------------------------------------------------------
// The model

export type Severity = 'error' | 'warning';

export interface Problem {
  severity: Severity;
  /** Stable id for scripts: "flannel-not-running", "backend-rejected", … */
  code: string;
  message: string;
  hint?: string;
  /** The lease key or container the problem is about. */
  subject?: string;
}

export type ReachState = 'ok' | 'failed' | 'not-checked';

export interface ReachView {
  state: ReachState;
  /** A short phrase for a table cell: "not rejected", "answered", "rejected", "this host", "not checked". */
  text: string;
  /** Why, in a sentence: what was and was not checked. */
  note?: string;
  rttMs?: number;
}

export interface HostRow {
  key: string;
  subnet: string;
  publicIP: string;
  backend: string;
  reserved: boolean;
  /** Seconds left on the etcd lease; undefined for reservations. */
  ttlSeconds?: number;
  expiresAt?: string;
  thisHost: boolean;
  /** Runs the etcd this status read (the init host). */
  etcdHost: boolean;
  backendReach: ReachView;
  overlayReach: ReachView;
  health: 'ok' | 'warning' | 'error';
  problem?: string;
}

export interface ContainerRow extends ContainerInput {
  expected: boolean;
  uptimeSeconds?: number;
  health?: 'starting' | 'healthy' | 'unhealthy';
}

export type Verdict = 'healthy' | 'degraded' | 'unhealthy';

export interface StatusModel {
  generatedAt: string;
  etcd: { endpoint: string; source: EndpointSource; ok: boolean; version?: string; readMs?: number; leaseTtls?: { asked: number; remembered: number }; message?: string };
  state: { path?: string; role?: 'init' | 'joined'; peer?: string; since?: string; missing?: string };
  network?: NetworkConfig;
  hosts: HostRow[];
  thisHost: {
    /** The lease this host holds, if any. */
    subnet?: string;
    advertiseAddress?: string;
    /** Whether this host is set up as an overlay member (state file or a flannel container). */
    member: boolean;
    docker: { ok: boolean; where?: string; message?: string };
    containers: ContainerRow[];
    subnetEnv: StatusInputs['subnetEnv'];
    cni: StatusInputs['cni'] & { ourFile: string; firstPick?: string };
  };
  probes: { probed: number; candidates: number; limit: number };
  problems: Problem[];
  verdict: Verdict;
  exitCode: number;
}

// ---------------------------------------------------------------------------------------------

export function buildStatusModel(inputs: StatusInputs): StatusModel {
  const problems: Problem[] = [];
  const add = (problem: Problem): void => {
    problems.push(problem);
  };
  const now = Date.parse(inputs.now);
  const leases = inputs.etcd.ok ? inputs.etcd.leases : [];
  const config = inputs.network?.config;
  const etcdHost = hostFromUrl(inputs.endpoint.url);

  // --- etcd and the network config
  if (!inputs.etcd.ok) {
    add({ severity: 'error', code: 'etcd-unreachable', message: inputs.etcd.message, ...(inputs.etcd.hint ? { hint: inputs.etcd.hint } : {}) });
  } else if (inputs.etcd.config === undefined) {
    add({
      severity: 'error',
      code: 'network-config-missing',
      message: `etcd at ${inputs.endpoint.url} holds no network config at ${inputs.etcd.configKey}`,
      hint: 'Run `ignite-net init` on the host that should run etcd.',
    });
  } else if (inputs.network?.problem !== undefined) {
    add({ severity: 'error', code: 'network-config-invalid', message: inputs.network.problem, hint: 'Run `ignite-net init --force` on the init host to write a valid config.' });
  }

  // --- which lease is this host's
  const envSubnet = inputs.subnetEnv.kind === 'ok' ? inputs.subnetEnv.subnet : undefined;
  const isThisHost = thisHostMatcher({ advertiseAddress: inputs.state?.advertiseAddress, envSubnet, localAddresses: inputs.localAddresses });

  // --- containers
  const containersIn = inputs.docker.ok ? inputs.docker.containers : [];
  const hasFlannelContainer = containersIn.some((c) => c.role === 'flannel');
  const member = inputs.state !== undefined || hasFlannelContainer;
  const expectedRoles = new Set<'etcd' | 'flannel'>();
  if (inputs.state) {
    expectedRoles.add('flannel');
    if (inputs.state.role === 'init') expectedRoles.add('etcd');
  } else if (hasFlannelContainer) {
    expectedRoles.add('flannel');
  }
  if (containersIn.some((c) => c.role === 'etcd')) expectedRoles.add('etcd');

  const containers: ContainerRow[] = containersIn.map((c) => {
    const started = c.startedAt ? Date.parse(c.startedAt) : NaN;
    return {
      ...c,
      expected: c.role !== undefined && expectedRoles.has(c.role),
      ...(c.running && Number.isFinite(started) ? { uptimeSeconds: Math.max(0, Math.round((now - started) / 1000)) } : {}),
    };
  });
  if (!inputs.docker.ok) {
    add({ severity: 'error', code: 'docker-unreachable', message: inputs.docker.message, ...(inputs.docker.hint ? { hint: inputs.docker.hint } : {}) });
  } else {
    for (const role of expectedRoles) {
      const mine = containers.filter((c) => c.role === role);
      const name = CONTAINER_NAMES[role];
      if (mine.length === 0) {
        add({
          severity: 'error',
          code: `${role}-missing`,
          subject: name,
          message: `${role} is not running: no ${name} container on this host`,
          hint: inputs.state?.role === 'joined' ? `Run \`ignite-net join ${inputs.state.peer ?? '<init host>'}\` again.` : 'Run `ignite-net init` again.',
        });
        continue;
      }
      for (const c of mine) {
        if (c.running && c.state !== 'restarting') {
          if (c.health === 'unhealthy') add({ severity: 'warning', code: `${role}-unhealthy`, subject: c.name, message: `${c.name} runs but Docker reports it unhealthy` });
          continue;
        }
        const why = c.state === 'restarting' ? `restarting (restarted ${c.restartCount} times)` : `${c.state}${c.state === 'exited' ? ` with code ${c.exitCode}` : ''}`;
        add({
          severity: 'error',
          code: `${role}-not-running`,
          subject: c.name,
          message: `${role} is not running: ${c.name} is ${why}${c.error ? ` (${c.error})` : ''}`,
          hint: `See \`ignite-net logs ${role}\`; \`docker start ${c.name}\` starts it again.`,
        });
      }
    }
    for (const c of containers) {
      if (c.running && c.restartCount > 0 && c.state !== 'restarting') {
        add({ severity: 'warning', code: `${c.role ?? 'container'}-restarted`, subject: c.name, message: `${c.name} has restarted ${c.restartCount} time${c.restartCount === 1 ? '' : 's'}`, hint: `See \`ignite-net logs ${c.role ?? ''}\`.`.replace(' `.', '`.') });
      }
    }
  }

  // --- subnet.env
  if (member) {
    if (inputs.subnetEnv.kind === 'missing') {
      add({ severity: 'error', code: 'subnet-env-missing', subject: inputs.subnetEnv.path, message: `${inputs.subnetEnv.path} is missing: flannel holds no lease on this host`, hint: 'Every VM start fails without it; see `ignite-net logs flannel`.' });
    } else if (inputs.subnetEnv.kind === 'invalid') {
      add({ severity: 'error', code: 'subnet-env-invalid', subject: inputs.subnetEnv.path, message: inputs.subnetEnv.problem });
    } else if (inputs.etcd.ok && !leases.some((l) => l.subnet === envSubnet)) {
      add({ severity: 'error', code: 'subnet-env-stale', subject: inputs.subnetEnv.path, message: `${inputs.subnetEnv.path} names ${envSubnet ?? '?'} but etcd holds no lease for it`, hint: 'Restart flannel (`docker restart ignite-flannel`) so it takes a lease again.' });
    }
  }

  // --- CNI
  const ourFile = CNI_FILES.ours;
  // What a runtime reads first: it uses it, or stops there when it does not load.
  const firstPick = inputs.cni.candidates[0];
  const blockers = cniBlockers(inputs.cni.candidates, (name) => (inputs.cni.invalid.includes(name) ? (inputs.cni.problems?.[name] ?? 'does not load') : undefined), ourFile);
  if (member) {
    if (!inputs.cni.ours) {
      add({ severity: 'error', code: 'cni-conflist-missing', message: `${inputs.cni.confDir}/${ourFile} is missing`, hint: 'Run init/join again to write it.' });
    } else if (!inputs.cni.ours.validJson) {
      add({ severity: 'error', code: 'cni-conflist-invalid', message: `${inputs.cni.confDir}/${ourFile} is not valid JSON` });
    } else if (!inputs.cni.ours.written) {
      add({ severity: 'warning', code: 'cni-conflist-foreign', message: `${inputs.cni.confDir}/${ourFile} is not the one ignite-net wrote (edited or replaced)` });
    }
    if (blockers.length > 0) add({ severity: 'error', code: 'cni-not-first', ...describeCniBlockers(inputs.cni.confDir, blockers, ourFile) });
    if (inputs.cni.missingPlugins.length > 0) {
      add({ severity: 'error', code: 'cni-plugins-missing', message: `missing CNI plugin binaries in ${inputs.cni.binDir}: ${inputs.cni.missingPlugins.join(', ')}`, hint: inputs.cni.missingPlugins.includes('flannel') ? 'The flannel plugin ships in ghcr.io/flannel-io/flannel-cni-plugin; the others in containernetworking/plugins.' : 'Install containernetworking/plugins into the CNI bin dir.' });
    }
  }

  // --- hosts
  const publicIpCount = new Map<string, number>();
  for (const l of leases) if (!l.reserved && l.publicIP !== '') publicIpCount.set(l.publicIP, (publicIpCount.get(l.publicIP) ?? 0) + 1);
  const inOverlay = member && envSubnet !== undefined;
  const network = config ? parseCidr(config.Network, { allowHostBits: true }) : undefined;
  const hosts: HostRow[] = leases.map((lease) => {
    const thisHost = isThisHost(lease);
    const isEtcdHost = lease.publicIP !== '' && lease.publicIP === etcdHost;
    const probe = inputs.probes[lease.key];
    const rowProblems: { severity: Severity; text: string }[] = [];
    if (lease.problem) {
      rowProblems.push({ severity: 'warning', text: lease.problem });
      add({ severity: 'warning', code: 'lease-malformed', subject: lease.key, message: `${lease.key}: ${lease.problem}` });
    }
    if (config && network && lease.subnet !== '' && !contains(network, firstAddress(lease.subnet))) {
      rowProblems.push({ severity: 'warning', text: `outside ${config.Network}` });
      add({ severity: 'warning', code: 'lease-outside-network', subject: lease.key, message: `lease ${lease.subnet} lies outside the network ${config.Network}` });
    }
    if (!lease.reserved && (publicIpCount.get(lease.publicIP) ?? 0) > 1) {
      rowProblems.push({ severity: 'warning', text: 'PublicIP shared with another lease' });
      add({ severity: 'warning', code: 'duplicate-public-ip', subject: lease.key, message: `${lease.publicIP} holds more than one lease (${lease.subnet})`, hint: 'Two hosts advertise the same address: pass --advertise-address on join.' });
    }
    if (!lease.reserved && lease.ttlSeconds !== undefined && lease.ttlSeconds < STALE_LEASE_SECONDS) {
      rowProblems.push({ severity: 'warning', text: 'not renewed' });
      add({ severity: 'warning', code: 'lease-not-renewed', subject: lease.key, message: `lease ${lease.subnet} of ${lease.publicIP} expires in ${formatTtl(lease.ttlSeconds)} and was not renewed`, hint: `flannel on ${lease.publicIP} renews an hour before expiry: is it running?` });
    }
    const backendReach = reachOfBackend(lease, thisHost, probe?.backend, config, inputs.probeLimit);
    const overlayReach = reachOfOverlay(lease, thisHost, isEtcdHost, inOverlay, probe?.overlay, inputs.probeLimit);
    if (backendReach.state === 'failed') {
      rowProblems.push({ severity: 'error', text: `backend ${backendReach.text}` });
      add({
        severity: 'error',
        code: 'backend-unreachable',
        subject: lease.key,
        message: `${lease.publicIP}:${config?.Backend.Port ?? '?'}/udp (${lease.subnet}) ${backendReach.text}${backendReach.note ? `: ${backendReach.note}` : ''}`,
        hint: `Is flannel running on ${lease.publicIP}? Is a firewall rejecting ${config?.Backend.Port ?? 'the backend port'}/udp?`,
      });
    }
    if (overlayReach.state === 'failed') {
      rowProblems.push({ severity: 'error', text: `overlay ${overlayReach.text}` });
      add({
        severity: 'error',
        code: 'overlay-unreachable',
        subject: lease.key,
        message: `${lease.publicIP}'s flannel address ${firstAddress(lease.subnet)}:${PORTS.etcdClient} through the overlay: ${overlayReach.text}`,
        hint: `Open ${config?.Backend.Port ?? 'the backend port'}/udp in both directions between this host and ${lease.publicIP}.`,
      });
    }
    const health = rowProblems.some((p) => p.severity === 'error') ? 'error' : rowProblems.length > 0 ? 'warning' : 'ok';
    return {
      key: lease.key,
      subnet: lease.subnet,
      publicIP: lease.publicIP,
      backend: lease.backendType,
      reserved: lease.reserved,
      ...(lease.ttlSeconds === undefined ? {} : { ttlSeconds: lease.ttlSeconds, expiresAt: new Date(now + lease.ttlSeconds * 1000).toISOString() }),
      thisHost,
      etcdHost: isEtcdHost,
      backendReach,
      overlayReach,
      health,
      ...(rowProblems.length > 0 ? { problem: rowProblems.map((p) => p.text).join('; ') } : {}),
    };
  });
  sortRows(hosts);

  const mine = hosts.find((h) => h.thisHost && !h.reserved) ?? hosts.find((h) => h.thisHost);
  if (member && inputs.etcd.ok && !mine) {
    add({ severity: 'error', code: 'no-lease', message: `this host${inputs.state ? ` (${inputs.state.advertiseAddress})` : ''} holds no lease in etcd`, hint: 'Check `ignite-net logs flannel`; flannel takes a lease when it starts.' });
  }
  if (inputs.probeLimit.candidates > inputs.probeLimit.limit) {
    add({ severity: 'warning', code: 'probes-limited', message: `probed ${inputs.probeLimit.limit} of ${inputs.probeLimit.candidates} other hosts; the rest were not checked` });
  }

  const errors = problems.filter((p) => p.severity === 'error');
  const verdict: Verdict = errors.length > 0 ? 'unhealthy' : problems.length > 0 ? 'degraded' : 'healthy';
  return {
    generatedAt: inputs.now,
    etcd: inputs.etcd.ok
      ? { endpoint: inputs.endpoint.url, source: inputs.endpoint.source, ok: true, version: inputs.etcd.version, readMs: inputs.etcd.readMs, ...(inputs.etcd.leaseTtls ? { leaseTtls: inputs.etcd.leaseTtls } : {}) }
      : { endpoint: inputs.endpoint.url, source: inputs.endpoint.source, ok: false, message: inputs.etcd.message },
    state: inputs.state
      ? { path: inputs.state.path, role: inputs.state.role, ...(inputs.state.peer ? { peer: inputs.state.peer } : {}), since: inputs.state.createdAt }
      : { ...(inputs.stateMissing ? { missing: inputs.stateMissing } : {}) },
    ...(config ? { network: config } : {}),
    hosts,
    thisHost: {
      ...(mine ? { subnet: mine.subnet } : {}),
      ...(inputs.state ? { advertiseAddress: inputs.state.advertiseAddress } : mine ? { advertiseAddress: mine.publicIP } : {}),
      member,
      docker: inputs.docker.ok ? { ok: true, where: inputs.docker.where } : { ok: false, message: inputs.docker.message },
      containers,
      subnetEnv: inputs.subnetEnv,
      cni: { ...inputs.cni, ourFile, ...(firstPick ? { firstPick } : {}) },
    },
    probes: {
      probed: Object.keys(inputs.probes).length,
      candidates: inputs.probeLimit.candidates,
      limit: inputs.probeLimit.limit,
    },
    problems,
    verdict,
    exitCode: exitCodeFor(problems),
  };
}

/**
 * Which lease is this host's: the address the state file recorded; without one, the subnet in
 * subnet.env; without that, any address on this host's interfaces.
 */
export function thisHostMatcher(known: { advertiseAddress?: string | undefined; envSubnet?: string | undefined; localAddresses: readonly string[] }): (lease: Pick<Lease, 'publicIP' | 'subnet'>) => boolean {
  const local = new Set(known.localAddresses);
  if (known.advertiseAddress !== undefined) return (lease) => lease.publicIP === known.advertiseAddress;
  if (known.envSubnet !== undefined) return (lease) => lease.subnet === known.envSubnet;
  return (lease) => local.has(lease.publicIP);
}

/**
 * 0 when nothing is wrong (warnings allowed); 5 when etcd could not be read (nothing about the
 * overlay is known); 4 when Docker could not be asked (this host's containers are unknown); 10 for
 * any other error. Scripts: non-zero means "look at it".
 */
export function exitCodeFor(problems: readonly Problem[]): number {
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length === 0) return ExitCode.ok;
  if (errors.some((p) => p.code === 'etcd-unreachable')) return ExitCode.etcd;
  if (errors.some((p) => p.code === 'docker-unreachable')) return ExitCode.docker;
  return ExitCode.unhealthy;
}

/** By subnet, numerically, so rows keep their place while leases come and go (no jumping in --watch). */
function sortRows(rows: HostRow[]): void {
  const order = new Map(rows.map((row) => [row, subnetOrder(row.subnet)] as const));
  rows.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function subnetOrder(subnet: string): number {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\//.exec(subnet);
  if (!match) return Number.MAX_SAFE_INTEGER;
  return ((Number(match[1]) * 256 + Number(match[2])) * 256 + Number(match[3])) * 256 + Number(match[4]);
}

const notChecked = (why: string): ReachView => ({ state: 'not-checked', text: 'not checked', note: why });

function reachOfBackend(lease: Lease, thisHost: boolean, probe: ProbeInput | undefined, config: NetworkConfig | undefined, limit: StatusInputs['probeLimit']): ReachView {
  if (thisHost) return { state: 'not-checked', text: 'this host' };
  if (lease.publicIP === '') return notChecked('no PublicIP in the lease');
  const type = lease.backendType || config?.Backend.Type;
  if (type === 'host-gw') return notChecked('host-gw has no backend port');
  if (config === undefined) return notChecked('the backend port is unknown: no network config');
  if (!probe || probe.kind !== 'udp') return notChecked(`over the probe limit (${limit.limit} hosts per run)`);
  const rtt = probe.rttMs === undefined ? {} : { rttMs: probe.rttMs };
  switch (probe.result) {
    case 'answered':
      return { state: 'ok', text: 'answered', ...rtt };
    case 'silent':
      // flannel's udp/vxlan sockets never answer a stray datagram: silence is the healthy case.
      return { state: 'ok', text: 'not rejected', note: 'silence means not rejected: a flannel socket does not answer' };
    case 'rejected':
      return { state: 'failed', text: 'rejected', note: 'ICMP port unreachable: nothing listens there, or a firewall rejects', ...rtt };
    case 'unreachable':
      return { state: 'failed', text: 'host unreachable', ...rtt };
  }
}

function reachOfOverlay(lease: Lease, thisHost: boolean, etcdHost: boolean, inOverlay: boolean, probe: ProbeInput | undefined, limit: StatusInputs['probeLimit']): ReachView {
  if (thisHost) return { state: 'not-checked', text: 'this host' };
  if (lease.subnet === '') return notChecked('no subnet in the lease');
  if (!etcdHost) return notChecked("nothing known listens on its flannel address (only the init host's etcd does)");
  if (!inOverlay) return notChecked('this host is not in the overlay');
  if (!probe || probe.kind !== 'tcp') return notChecked(`over the probe limit (${limit.limit} hosts per run)`);
  if (probe.ok) return { state: 'ok', text: 'answered', rttMs: probe.rttMs, note: `TCP to ${probe.target}:${probe.port} through the overlay` };
  return { state: 'failed', text: probe.reason === 'timeout' ? 'no answer' : probe.reason, note: `TCP to ${probe.target}:${probe.port} through the overlay: ${probe.message}` };
}

/** 23h 59m, 12m, 40s. */
export function formatTtl(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** 3d 4h, 2h 05m, 12m, 40s. */
export function formatUptime(seconds: number): string {
  if (seconds >= 86_400) return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
  return formatTtl(seconds);
}
