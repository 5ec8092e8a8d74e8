/**
 * Plain-text rendering of the status model (non-TTY output, and the cell texts the ink screen
 * shares). Pure: model in, lines out.
 */
import type { ContainerRow, HostRow, MemberRow, Problem, ReachView, StatusModel } from '../status/model.js';
import { formatTtl, formatUptime } from '../status/model.js';
import { formatDuration } from '../core/duration.js';
import type { Paint } from './ansi.js';
import { paint as makePaint } from './ansi.js';
import { PORTS } from '../defaults.js';
import { okMark, SEVERITY_MARKS, VERDICT_MARKS, type Mark } from './marks.js';
import { describeBackend } from '../net/backend.js';
import { describeUnusable, describeVersions, pluginFindings } from '../cni/plugin-versions.js';

/** LEASE: time left on the etcd lease, or "reserved" for a key without one; "fixed" first for a fixed subnet. */
export const HOST_COLUMNS = ['SUBNET', 'PUBLIC IP', 'BACKEND', 'LEASE', 'ROLE', 'BACKEND PORT', 'OVERLAY'] as const;

const SOURCE: Record<StatusModel['etcd']['source'], string> = {
  flag: '--etcd-endpoint',
  state: 'the state file',
  'local-etcd': 'the local ignite-etcd',
};

export function verdictLine(model: StatusModel): string {
  const errors = model.problems.filter((p) => p.severity === 'error').length;
  const warnings = model.problems.length - errors;
  const counts = [errors > 0 ? `${errors} error${errors === 1 ? '' : 's'}` : '', warnings > 0 ? `${warnings} warning${warnings === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
  return `ignite-net status: ${model.verdict}${counts ? ` (${counts})` : ''}`;
}

export function rtt(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ` (${formatDuration(ms)})`;
}

export const reachCell = (reach: ReachView): string => `${reach.text}${rtt(reach.rttMs)}`;

export function leaseCell(row: HostRow): string {
  const lease = row.reserved ? 'reserved' : row.ttlSeconds === undefined ? '?' : formatTtl(row.ttlSeconds);
  if (!row.fixed) return lease;
  return row.reserved ? 'fixed' : `fixed, ${lease}`;
}

export function roleCell(row: HostRow): string {
  return [row.thisHost ? 'this host' : '', row.etcdHost ? 'etcd' : '', row.revoked ? 'revoked' : ''].filter(Boolean).join(', ') || '-';
}

export function hostCells(row: HostRow): string[] {
  return [row.subnet || '?', row.publicIP || '?', row.backend || '?', leaseCell(row), roleCell(row), reachCell(row.backendReach), reachCell(row.overlayReach)];
}

/** The header block: etcd, network, this host. Label/value pairs. */
export function overviewLines(model: StatusModel): { label: string; value: string }[] {
  const lines: { label: string; value: string }[] = [];
  const etcd = model.etcd;
  lines.push({
    label: 'etcd',
    value: etcd.ok
      ? `${etcd.endpoint} (from ${SOURCE[etcd.source]}): v${etcd.version ?? '?'}, read in ${etcd.readMs === undefined ? '?' : formatDuration(etcd.readMs)}`
      : `${etcd.endpoint} (from ${SOURCE[etcd.source]}): not read (see problems)`,
  });
  const sec = model.security;
  lines.push({
    label: 'security',
    value: sec.tls
      ? `TLS${sec.auth === undefined ? '' : sec.auth ? ', auth on' : ', AUTH OFF'}${sec.caPin ? `, CA ${sec.caPin.slice(0, 23)}…` : ''}${sec.certExpiresAt ? `, certificate until ${sec.certExpiresAt.slice(0, 10)}` : ''}${sec.identity ? `, this host is ${sec.identity}` : ''}`
      : 'none: plain HTTP, no authentication',
  });
  const n = model.network;
  if (n) lines.push({ label: 'network', value: `${n.Network}, /${n.SubnetLen} subnets ${n.SubnetMin}–${n.SubnetMax}, ${describeBackend(n.Backend)}` });
  const me = model.thisHost;
  const role = model.state.role === 'init' ? 'init host' : model.state.role === 'joined' ? `joined ${model.state.peer ?? ''}`.trim() : me.member ? 'member (no state file)' : 'not in the overlay';
  lines.push({ label: 'this host', value: `${me.advertiseAddress ?? 'address unknown'}, ${role}${me.subnet ? `, subnet ${me.subnet}` : ''}` });
  if (model.state.missing) lines.push({ label: 'state', value: model.state.missing });
  return lines;
}

export const MEMBER_COLUMNS = ['NAME', 'PEER URL', 'ROLE', 'HEALTH', 'RAFT INDEX', 'DB SIZE'] as const;

/** etcd reports its DB size in bytes; a fresh overlay's is tens of kB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1_000_000) return `${Math.max(1, Math.round(bytes / 1000))} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function memberCells(row: MemberRow): string[] {
  const role = [row.learner ? 'learner' : row.leader ? 'leader' : 'follower', row.thisHost ? 'this host' : ''].filter(Boolean).join(', ');
  const health = row.healthy ? 'healthy' : row.problem === 'not started' ? 'not started' : !row.reachable ? 'not answering' : (row.problem ?? 'unhealthy');
  return [row.name || '(not started)', row.peerUrl || '?', role, health, row.raftIndex === undefined ? '-' : String(row.raftIndex), row.dbSizeBytes === undefined ? '-' : formatBytes(row.dbSizeBytes)];
}

/** The control plane's heading: the quorum line, or why the members are unknown. */
export function controlPlaneHeading(model: StatusModel): string | undefined {
  const cp = model.controlPlane;
  if (!cp) return undefined;
  return `control plane: ${cp.ok && cp.quorum ? cp.quorum.line : "unknown: etcd's member list could not be read"}`;
}

/**
 * Whose flannel has the members' client URLs (status/endpoint-lists.ts), once there are several: a
 * count per state, the stale and unknown hosts named. Undefined with one member (nothing can be stale).
 */
export function endpointListsLine(model: StatusModel): string | undefined {
  const lists = model.endpointLists;
  if (!lists || (lists.current.length <= 1 && !lists.hosts.some((h) => h.state === 'stale'))) return undefined;
  if (lists.scope === 'this host') return `this host's flannel: ${lists.hosts[0]?.state === 'stale' ? 'an old member list (see problems)' : `every member's client URL (${lists.current.length})`}`;
  const named = (state: 'stale' | 'unknown'): string[] => lists.hosts.filter((h) => h.state === state).map((h) => h.address);
  const [stale, unknown] = [named('stale'), named('unknown')];
  const current = lists.hosts.length - stale.length - unknown.length;
  return [`flannel endpoints: ${current} host${current === 1 ? '' : 's'} current`, ...(stale.length > 0 ? [`${stale.length} stale (${stale.join(', ')})`] : []), ...(unknown.length > 0 ? [`${unknown.length} unknown (${unknown.join(', ')}: no record, joined before records)`] : [])].join(', ');
}

export function containerLine(c: ContainerRow): string {
  const state = c.running ? `running, up ${formatUptime(c.uptimeSeconds ?? 0)}` : c.state === 'exited' ? `exited (${c.exitCode})` : c.state;
  return `${c.name}  ${state}  restarts ${c.restartCount}  ${c.image}${c.health ? `  ${c.health}` : ''}`;
}

export function thisHostLines(model: StatusModel): { label: string; value: string; ok: boolean | undefined }[] {
  const me = model.thisHost;
  const lines: { label: string; value: string; ok: boolean | undefined }[] = [];
  if (!me.docker.ok) lines.push({ label: 'containers', value: `Docker not reachable: ${me.docker.message ?? ''}`, ok: false });
  else if (me.containers.length === 0) lines.push({ label: 'containers', value: 'none of ignite-net on this host', ok: me.member ? false : undefined });
  else for (const c of me.containers) lines.push({ label: c.role ?? 'container', value: containerLine(c), ok: c.running && c.state !== 'restarting' });
  const env = me.subnetEnv;
  lines.push({
    label: 'subnet.env',
    value: env.kind === 'ok' ? `${env.path}: ${env.subnet}, MTU ${env.mtu}` : env.kind === 'missing' ? `${env.path}: missing` : `${env.path}: invalid`,
    ok: env.kind === 'ok' ? true : me.member ? false : undefined,
  });
  const cni = me.cni;
  const ours = `${cni.confDir}/${cni.ourFile}`;
  const conflist = !cni.ours
    ? `${ours}: missing`
    : `${ours}: present, ${cni.ours.validJson ? 'valid JSON' : 'not valid JSON'}, ${cni.ours.written ? 'written by ignite-net' : 'not written by ignite-net'}`;
  const pick =
    cni.firstPick === undefined
      ? 'a CNI runtime finds no config'
      : cni.invalid.includes(cni.firstPick)
        ? `a CNI runtime stops at ${cni.firstPick} (it does not load)`
        : cni.firstPick === cni.ourFile
          ? 'picked first'
          : `a CNI runtime picks ${cni.firstPick} first`;
  lines.push({ label: 'CNI config', value: `${conflist}; ${pick}`, ok: cni.ours?.written === true && cni.firstPick === cni.ourFile ? true : me.member ? false : undefined });
  lines.push(pluginsLine(cni, me.member));
  return lines;
}

/** "flannel, bridge, … (CNI 1.0.0) in /opt/cni/bin" or what is missing and which do not answer or speak the conflist's version. */
function pluginsLine(cni: StatusModel['thisHost']['cni'], member: boolean): { label: string; value: string; ok: boolean | undefined } {
  const version = cni.cniVersion;
  const findings = version === undefined ? [] : pluginFindings(cni.plugins ?? [], version);
  const unusable = findings.filter((f) => f.kind !== 'missing');
  const parts = [
    ...(cni.plugins && cni.plugins.some((p) => p.present) ? [describeVersions(cni.plugins)] : []),
    ...(cni.missingPlugins.length > 0 ? [`missing: ${cni.missingPlugins.join(', ')}`] : []),
    ...(version !== undefined && unusable.length > 0 ? [`unusable: ${describeUnusable(unusable, version)}`] : []),
  ];
  const good = cni.missingPlugins.length === 0 && unusable.length === 0;
  const value = good && !cni.plugins ? `all present in ${cni.binDir}` : `${parts.join('; ') || 'none'} in ${cni.binDir}${good && version !== undefined ? `, all speak the conflist's CNI ${version}` : ''}`;
  return { label: 'CNI plugins', value, ok: good ? true : member ? false : undefined };
}

export function probeLine(model: StatusModel): string {
  const p = model.probes;
  if (p.candidates === 0) return 'no other host to probe';
  return `probed ${p.probed} of ${p.candidates} other host${p.candidates === 1 ? '' : 's'}${p.candidates > p.limit ? ` (at most ${p.limit} per run)` : ''}`;
}

/** Distinct "not checked" reasons, so a table cell can stay short and the reason is still said. */
export function reachNotes(hosts: readonly HostRow[]): string[] {
  const notes = new Set<string>();
  for (const h of hosts) {
    for (const [what, reach] of [['backend port', h.backendReach], ['overlay', h.overlayReach]] as const) {
      if (reach.state === 'not-checked' && reach.note) notes.add(`${what} not checked: ${reach.note}`);
      // host-gw's cell is its route (net/backend-checks.ts says "route to <subnet> via …"): each said as checked.
      if (what === 'overlay' && reach.state !== 'not-checked') notes.add(reach.note?.startsWith('route to ') ? `overlay: ${reach.note}` : `overlay: TCP to the host's flannel address (first of its subnet) on ${PORTS.etcdClient} through the overlay`);
    }
  }
  return [...notes];
}

const painted = (mark: Mark, p: Paint, text: string = mark.text): string => p[mark.color](text);

export function problemLines(problem: Pick<Problem, 'severity' | 'message' | 'hint'>, p: Paint): string[] {
  return [`${painted(SEVERITY_MARKS[problem.severity], p)} ${problem.message}`, ...(problem.hint ? [`  ${p.dim(`hint: ${problem.hint}`)}`] : [])];
}

export function table(header: readonly string[], rows: readonly string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export interface StatusTextOptions {
  color?: boolean;
}

export function renderStatusText(model: StatusModel, options: StatusTextOptions = {}): string[] {
  const p = makePaint(options.color ?? false);
  const mark = VERDICT_MARKS[model.verdict];
  const verdict = painted(mark, p, `${mark.text} ${verdictLine(model)}`);
  const out: string[] = [verdict];
  const overview = overviewLines(model);
  const width = Math.max(...overview.map((l) => l.label.length));
  for (const l of overview) out.push(`  ${l.label.padEnd(width)}  ${l.value}`);
  const warning = model.security.warning;
  if (warning) out.push(...problemLines({ severity: 'warning', ...warning }, p).map((l) => `  ${l}`));

  out.push('', p.bold(`hosts (${model.hosts.length})`));
  if (model.hosts.length === 0) out.push(model.etcd.ok ? '  no leases in etcd' : '  unknown: etcd could not be read');
  else {
    const rows = table(HOST_COLUMNS, model.hosts.map(hostCells));
    out.push(...rows.map((r, i) => `  ${i === 0 ? p.dim(r) : model.hosts[i - 1]?.health === 'error' ? p.red(r) : r}`));
  }
  for (const note of reachNotes(model.hosts)) out.push(p.dim(`  ${note}`));
  out.push(p.dim(`  ${probeLine(model)}`));

  const heading = controlPlaneHeading(model);
  if (heading !== undefined && model.controlPlane) {
    const cp = model.controlPlane;
    out.push('', p.bold(heading));
    if (cp.members.length > 0) {
      const rows = table(MEMBER_COLUMNS, cp.members.map(memberCells));
      out.push(...rows.map((r, i) => `  ${i === 0 ? p.dim(r) : cp.members[i - 1]?.healthy === false ? p.red(r) : r}`));
    }
    for (const message of cp.warnings) out.push(`  ${painted(SEVERITY_MARKS.warning, p)} ${message}`);
    const lists = endpointListsLine(model);
    if (lists !== undefined) out.push(`  ${lists}`);
  }

  out.push('', p.bold('this host'));
  const local = thisHostLines(model);
  const lw = Math.max(...local.map((l) => l.label.length));
  for (const l of local) {
    out.push(`  ${painted(okMark(l.ok), p)} ${l.label.padEnd(lw)}  ${l.value}`);
  }

  if (model.problems.length > 0) {
    out.push('', p.bold('problems'));
    for (const problem of model.problems) out.push(...problemLines(problem, p).map((l) => `  ${l}`));
  }
  return out;
}
