/**
 * The hosts rule: one row per lease in etcd, with what is wrong with it (malformed, outside the
 * network, a shared PublicIP, not renewed, its backend port or overlay path failing) as typed
 * problems, and whether its backend port and overlay path answered.
 */
import { PORTS } from '../defaults.js';
import { contains, firstAddress, parseCidr } from '../net/cidr.js';
import { hostFromUrl } from '../net/host-arg.js';
import { LEASE_RENEW_MARGIN_MS } from '../net/lease-release.js';
import type { Lease } from '../net/lease.js';
import type { NetworkConfig } from '../net/network-config.js';
import type { RevokedRecord } from '../pki/records.js';
import type { HostRow, Problem, ProbeInput, ReachView, StatusInputs } from './types.js';
import { backendUdpPort } from '../net/backend.js';

/**
 * flanneld renews its lease an hour before it expires, so less left means it did not; a little
 * slack under the margin keeps a renewal in flight from being reported.
 */
export const STALE_LEASE_SECONDS = LEASE_RENEW_MARGIN_MS / 1000 - 5 * 60;

/** What every row is judged against. */
export interface HostFacts {
  inputs: StatusInputs;
  now: number;
  config: NetworkConfig | undefined;
  isThisHost: (lease: Lease) => boolean;
  /** This host is an overlay member holding a lease (so the overlay path can be probed). */
  inOverlay: boolean;
}

/** A problem of one row, and the short text its table cell shows. */
interface RowFinding {
  problem: Problem;
  cell: string;
}

/** The rows, sorted by subnet, and their problems in lease order. */
export function hostRows(facts: HostFacts): { hosts: HostRow[]; problems: Problem[] } {
  const { inputs, config } = facts;
  const leases = inputs.etcd.ok ? inputs.etcd.leases : [];
  const etcdHost = hostFromUrl(inputs.endpoint.url);
  const publicIpCount = new Map<string, number>();
  for (const l of leases) if (!l.reserved && l.publicIP !== '') publicIpCount.set(l.publicIP, (publicIpCount.get(l.publicIP) ?? 0) + 1);
  const network = config ? parseCidr(config.Network, { allowHostBits: true }) : undefined;
  const problems: Problem[] = [];
  const hosts = leases.map((lease): HostRow => {
    const thisHost = facts.isThisHost(lease);
    const isEtcdHost = lease.publicIP !== '' && lease.publicIP === etcdHost;
    const probe = inputs.probes[lease.key];
    const backendReach = reachOfBackend(lease, thisHost, probe?.backend, config, inputs.probeLimit);
    const overlayReach = reachOfOverlay(lease, thisHost, isEtcdHost, facts.inOverlay, probe?.overlay, inputs.probeLimit);
    const revoked = revokedRecordOf(lease, inputs.revoked, facts.now);
    const findings = leaseFindings(lease, {
      revoked,
      now: facts.now,
      config,
      outside: config !== undefined && network !== undefined && lease.subnet !== '' && !contains(network, firstAddress(lease.subnet)),
      shared: !lease.reserved && (publicIpCount.get(lease.publicIP) ?? 0) > 1,
      backendReach,
      overlayReach,
    });
    problems.push(...findings.map((f) => f.problem));
    const health = findings.some((f) => f.problem.severity === 'error') ? 'error' : findings.length > 0 ? 'warning' : 'ok';
    return {
      key: lease.key,
      subnet: lease.subnet,
      publicIP: lease.publicIP,
      backend: lease.backendType,
      reserved: lease.reserved,
      ...(inputs.fixed?.records.some((r) => r.subnet === lease.subnet && r.publicIP === lease.publicIP) ? { fixed: true } : {}),
      ...(lease.ttlSeconds === undefined ? {} : { ttlSeconds: lease.ttlSeconds, expiresAt: new Date(facts.now + lease.ttlSeconds * 1000).toISOString() }),
      thisHost,
      etcdHost: isEtcdHost,
      backendReach,
      overlayReach,
      health,
      ...(findings.length > 0 ? { problem: findings.map((f) => f.cell).join('; ') } : {}),
      ...(revoked ? { revoked: { user: revoked.user, at: revoked.at } } : {}),
    };
  });
  sortRows(hosts);
  return { hosts, problems };
}

function leaseFindings(
  lease: Lease,
  seen: { revoked: RevokedRecord | undefined; now: number; config: NetworkConfig | undefined; outside: boolean; shared: boolean; backendReach: ReachView; overlayReach: ReachView },
): RowFinding[] {
  const { config, backendReach, overlayReach, revoked } = seen;
  const subject = lease.key;
  const found: RowFinding[] = [];
  if (revoked) {
    const runsOut = lease.ttlSeconds === undefined ? revoked.leaseExpiresAt : new Date(seen.now + lease.ttlSeconds * 1000).toISOString();
    found.push({
      cell: 'revoked',
      problem: {
        severity: 'warning',
        code: 'host-revoked',
        subject,
        message: `${lease.publicIP} (${revoked.user}) is revoked: its lease ${lease.subnet} runs out at ${runsOut.replace('T', ' ').slice(0, 16)} UTC, no renewal possible`,
        hint: 'The subnet is free once the lease has run out. To let that host in again: `sudo ignite-net token create` here, then on it `sudo ignite-net cleanup` and the join command.',
      },
    });
  }
  if (lease.problem) found.push({ cell: lease.problem, problem: { severity: 'warning', code: 'lease-malformed', subject, message: `${lease.key}: ${lease.problem}` } });
  if (seen.outside && config) {
    found.push({ cell: `outside ${config.Network}`, problem: { severity: 'warning', code: 'lease-outside-network', subject, message: `lease ${lease.subnet} lies outside the network ${config.Network}` } });
  }
  if (seen.shared) {
    found.push({
      cell: 'PublicIP shared with another lease',
      problem: { severity: 'warning', code: 'duplicate-public-ip', subject, message: `${lease.publicIP} holds more than one lease (${lease.subnet})`, hint: 'Two hosts advertise the same address: pass --advertise-address on join.' },
    });
  }
  // flannel reads the backend once, at start: a lease of another type is a host not switched yet.
  if (config && lease.backendType !== '' && lease.problem === undefined && lease.backendType !== config.Backend.Type) {
    found.push({
      cell: `${lease.backendType}, not ${config.Backend.Type}`,
      problem: {
        severity: 'warning',
        code: 'backend-mismatch',
        subject,
        message: `${lease.publicIP} (${lease.subnet}) still runs flannel's ${lease.backendType} backend; the network config says ${config.Backend.Type}, and flannel ignores the other backend's hosts`,
        hint: `Run \`sudo ignite-net join <init host>\` again on ${lease.publicIP} to switch it (its subnet is kept).`,
      },
    });
  }
  // A revoked host cannot renew: that is said above, not as a flannel that stopped.
  if (!revoked && !lease.reserved && lease.ttlSeconds !== undefined && lease.ttlSeconds < STALE_LEASE_SECONDS) {
    found.push({
      cell: 'not renewed',
      problem: {
        severity: 'warning',
        code: 'lease-not-renewed',
        subject,
        message: `lease ${lease.subnet} of ${lease.publicIP} expires in ${formatTtl(lease.ttlSeconds)} and was not renewed`,
        hint: `flannel on ${lease.publicIP} renews an hour before expiry: is it running?`,
      },
    });
  }
  if (backendReach.state === 'failed') {
    found.push({
      cell: `backend ${backendReach.text}`,
      problem: {
        severity: 'error',
        code: 'backend-unreachable',
        subject,
        message: `${lease.publicIP}:${(config ? backendUdpPort(config.Backend) : undefined) ?? '?'}/udp (${lease.subnet}) ${backendReach.text}${backendReach.note ? `: ${backendReach.note}` : ''}`,
        hint: `Is flannel running on ${lease.publicIP}? Is a firewall rejecting ${(config ? backendUdpPort(config.Backend) : undefined) ?? 'the backend port'}/udp?`,
      },
    });
  }
  if (overlayReach.state === 'failed') {
    // host-gw's reach is its route (no TCP probe): say the route and what host-gw needs.
    const hostGw = lease.backendType === 'host-gw';
    found.push({
      cell: `overlay ${overlayReach.text}`,
      problem: {
        severity: 'error',
        code: 'overlay-unreachable',
        subject,
        message: hostGw
          ? `${lease.publicIP} (${lease.subnet}): ${overlayReach.note ?? overlayReach.text}`
          : `${lease.publicIP}'s flannel address ${firstAddress(lease.subnet)}:${PORTS.etcdClient} through the overlay: ${overlayReach.text}`,
        hint: hostGw
          ? `host-gw routes each subnet via its host's PublicIP: is flannel running here and on ${lease.publicIP}, on one layer-2 segment? Check \`ip route get ${firstAddress(lease.subnet)}\`.`
          : `Open ${(config ? backendUdpPort(config.Backend) : undefined) ?? 'the backend port'}/udp in both directions between this host and ${lease.publicIP}.`,
      },
    });
  }
  return found;
}

/** How long after the revocation's recorded expiry a lease may end and still be the unrenewed one (clock skew, rounding). */
const RENEWED_SLACK_MS = 120_000;

/**
 * The revocation this lease is under: same subnet and address, and not renewed since (a lease that
 * now ends later than when revoked was renewed by a new identity: the host joined again).
 */
export function revokedRecordOf(lease: Lease, records: readonly RevokedRecord[] | undefined, now: number): RevokedRecord | undefined {
  if (lease.reserved || records === undefined) return undefined;
  return records.find(
    (r) => r.subnet === lease.subnet && r.address === lease.publicIP && (lease.ttlSeconds === undefined || now + lease.ttlSeconds * 1000 <= Date.parse(r.leaseExpiresAt) + RENEWED_SLACK_MS),
  );
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
  if (lease.backendType === 'host-gw') {
    // Nothing in a host-gw host's subnet answers until a VM runs there: the route to it is what is checked.
    if (probe?.kind === 'route') return probe.ok ? { state: 'ok', text: 'routed', note: probe.message } : { state: 'failed', text: 'not routed', note: probe.message };
    if (!inOverlay) return notChecked('this host is not in the overlay');
    return notChecked('host-gw: its route is checked only on a host-gw member (no address of its subnet answers until a VM runs there)');
  }
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
