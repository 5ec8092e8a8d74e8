/**
 * The status rules, one per subject: each reads the inputs (and what the model derived from them)
 * and returns its typed problems, in the order an operator should read them. The hosts rule, which
 * also builds the table rows, is in hosts.ts.
 */
import { cniBlockers, describeCniBlockers } from '../cni/load-order.js';
import { igniteFindings } from '../cni/ignite-config.js';
import { describeUnusable, pluginFindings } from '../cni/plugin-versions.js';
import { CNI_FILES, CONTAINER_NAMES } from '../defaults.js';
import { serverCertFinding } from '../pki/facts.js';
import type { ContainerInput, ContainerRow, HostRow, Problem, StatusInputs } from './types.js';

type Role = NonNullable<ContainerInput['role']>;

/** What several rules need, derived once from the inputs. */
export interface StatusFacts {
  inputs: StatusInputs;
  now: number;
  /** Set up as an overlay member here: a state file, or a flannel container. */
  member: boolean;
  /** The subnet subnet.env names, when it is readable. */
  envSubnet: string | undefined;
}

export function statusFacts(inputs: StatusInputs): StatusFacts {
  const containers = inputs.docker.ok ? inputs.docker.containers : [];
  return {
    inputs,
    now: Date.parse(inputs.now),
    member: inputs.state !== undefined || containers.some((c) => c.role === 'flannel'),
    envSubnet: inputs.subnetEnv.kind === 'ok' ? inputs.subnetEnv.subnet : undefined,
  };
}

/** etcd answers and holds a valid network config. */
export function etcdRule({ inputs }: StatusFacts): Problem[] {
  if (!inputs.etcd.ok) return [{ severity: 'error', code: 'etcd-unreachable', message: inputs.etcd.message, ...(inputs.etcd.hint ? { hint: inputs.etcd.hint } : {}) }];
  if (inputs.etcd.config === undefined) {
    return [
      {
        severity: 'error',
        code: 'network-config-missing',
        message: `etcd at ${inputs.endpoint.url} holds no network config at ${inputs.etcd.configKey}`,
        hint: 'Run `ignite-net init` on the host that should run etcd.',
      },
    ];
  }
  if (inputs.network?.problem !== undefined) {
    return [{ severity: 'error', code: 'network-config-invalid', message: inputs.network.problem, hint: 'Run `ignite-net init --force` on the init host to write a valid config.' }];
  }
  return [];
}

/** Which of our containers this host should run: flannel on a member, etcd on the init host (or where one is). */
function expectedRoles({ inputs, member }: StatusFacts): Set<Role> {
  const roles = new Set<Role>();
  if (member) roles.add('flannel');
  if (inputs.state?.role === 'init' || (inputs.docker.ok && inputs.docker.containers.some((c) => c.role === 'etcd'))) roles.add('etcd');
  return roles;
}

export function containerRows(facts: StatusFacts): ContainerRow[] {
  const { inputs, now } = facts;
  const expected = expectedRoles(facts);
  return (inputs.docker.ok ? inputs.docker.containers : []).map((c) => {
    const started = c.startedAt ? Date.parse(c.startedAt) : NaN;
    return {
      ...c,
      expected: c.role !== undefined && expected.has(c.role),
      ...(c.running && Number.isFinite(started) ? { uptimeSeconds: Math.max(0, Math.round((now - started) / 1000)) } : {}),
    };
  });
}

/** Docker answers; each expected container exists and runs; none keeps restarting. */
export function containersRule(facts: StatusFacts, containers: readonly ContainerRow[]): Problem[] {
  const { inputs } = facts;
  if (!inputs.docker.ok) return [{ severity: 'error', code: 'docker-unreachable', message: inputs.docker.message, ...(inputs.docker.hint ? { hint: inputs.docker.hint } : {}) }];
  const problems: Problem[] = [];
  for (const role of expectedRoles(facts)) {
    const mine = containers.filter((c) => c.role === role);
    const name = CONTAINER_NAMES[role];
    if (mine.length === 0) {
      problems.push({
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
        if (c.health === 'unhealthy') problems.push({ severity: 'warning', code: `${role}-unhealthy`, subject: c.name, message: `${c.name} runs but Docker reports it unhealthy` });
        continue;
      }
      const why = c.state === 'restarting' ? `restarting (restarted ${c.restartCount} times)` : `${c.state}${c.state === 'exited' ? ` with code ${c.exitCode}` : ''}`;
      problems.push({
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
      problems.push({
        severity: 'warning',
        code: `${c.role ?? 'container'}-restarted`,
        subject: c.name,
        message: `${c.name} has restarted ${c.restartCount} time${c.restartCount === 1 ? '' : 's'}`,
        hint: `See \`ignite-net logs ${c.role ?? ''}\`.`.replace(' `.', '`.'),
      });
    }
  }
  return problems;
}

/** On a member: subnet.env exists, parses, and names a lease etcd holds. */
export function subnetEnvRule({ inputs, member, envSubnet }: StatusFacts): Problem[] {
  if (!member) return [];
  const env = inputs.subnetEnv;
  if (env.kind === 'missing') {
    return [{ severity: 'error', code: 'subnet-env-missing', subject: env.path, message: `${env.path} is missing: flannel holds no lease on this host`, hint: 'Every VM start fails without it; see `ignite-net logs flannel`.' }];
  }
  if (env.kind === 'invalid') return [{ severity: 'error', code: 'subnet-env-invalid', subject: env.path, message: env.problem }];
  if (inputs.etcd.ok && !inputs.etcd.leases.some((l) => l.subnet === envSubnet)) {
    return [
      {
        severity: 'error',
        code: 'subnet-env-stale',
        subject: env.path,
        message: `${env.path} names ${envSubnet ?? '?'} but etcd holds no lease for it`,
        hint: 'Restart flannel (`docker restart ignite-flannel`) so it takes a lease again.',
      },
    ];
  }
  return [];
}

/** On a member: our conflist is there, is ours, is what a runtime loads (cni/load-order.ts), and its plugins exist. */
export function cniRule({ inputs, member }: StatusFacts): Problem[] {
  if (!member) return [];
  const { cni } = inputs;
  const ours = CNI_FILES.ours;
  const problems: Problem[] = [];
  if (!cni.ours) problems.push({ severity: 'error', code: 'cni-conflist-missing', message: `${cni.confDir}/${ours} is missing`, hint: 'Run init/join again to write it.' });
  else if (!cni.ours.validJson) problems.push({ severity: 'error', code: 'cni-conflist-invalid', message: `${cni.confDir}/${ours} is not valid JSON` });
  else if (!cni.ours.written) problems.push({ severity: 'warning', code: 'cni-conflist-foreign', message: `${cni.confDir}/${ours} is not the one ignite-net wrote (edited or replaced)` });
  const blockers = cniBlockers(cni.candidates, (name) => (cni.invalid.includes(name) ? (cni.problems?.[name] ?? 'does not load') : undefined), ours);
  if (blockers.length > 0) problems.push({ severity: 'error', code: 'cni-not-first', ...describeCniBlockers(cni.confDir, blockers, ours) });
  if (cni.missingPlugins.length > 0) {
    problems.push({
      severity: 'error',
      code: 'cni-plugins-missing',
      message: `missing CNI plugin binaries in ${cni.binDir}: ${cni.missingPlugins.join(', ')}`,
      hint: `Run init (or join) again with --install-cni-plugins: it copies ${cni.missingPlugins.includes('flannel') ? 'flannel out of ghcr.io/flannel-io/flannel-cni-plugin and ' : ''}the others from the CNI plugins package (containernetworking-plugins) into the bin dir.`,
    });
  }
  const version = cni.cniVersion;
  const unusable = version === undefined ? [] : pluginFindings(cni.plugins ?? [], version).filter((f) => f.kind !== 'missing');
  if (version !== undefined && unusable.length > 0) {
    problems.push({
      severity: 'error',
      code: 'cni-plugins-unusable',
      message: `CNI plugins in ${cni.binDir} that VMs cannot use with the conflist's CNI ${version}: ${describeUnusable(unusable, version)}`,
      hint: `Replace them with plugins that speak CNI ${version}: run init (or join) again with --install-cni-plugins --force.`,
    });
  }
  return problems;
}

/** Ignite's own side: its network plugin, and an ignited older than our conflist (nothing without Ignite). */
export function igniteRule({ inputs }: StatusFacts): Problem[] {
  return inputs.ignite ? igniteFindings(inputs.ignite).map((f) => ({ severity: f.severity, code: f.code, message: f.message, hint: f.hint })) : [];
}

/** The lease this host holds: a live one before a reservation. */
export function thisHostRow(hosts: readonly HostRow[]): HostRow | undefined {
  return hosts.find((h) => h.thisHost && !h.reserved) ?? hosts.find((h) => h.thisHost);
}

/** A member holds a lease in etcd. */
export function leaseRule({ inputs, member }: StatusFacts, mine: HostRow | undefined): Problem[] {
  if (!member || !inputs.etcd.ok || mine) return [];
  return [{ severity: 'error', code: 'no-lease', message: `this host${inputs.state ? ` (${inputs.state.advertiseAddress})` : ''} holds no lease in etcd`, hint: 'Check `ignite-net logs flannel`; flannel takes a lease when it starts.' }];
}

/** Every host with something to probe was probed. */
export function probesRule({ inputs }: StatusFacts): Problem[] {
  const { limit, candidates } = inputs.probeLimit;
  return candidates > limit ? [{ severity: 'warning', code: 'probes-limited', message: `probed ${limit} of ${candidates} other hosts; the rest were not checked` }] : [];
}

/** etcd's certificate warns 30 days before it ends (init issues a new one then), and fails once it has. */
export function securityRule({ inputs, now }: StatusFacts): Problem[] {
  const problems: Problem[] = [];
  if (inputs.security?.tls && inputs.security.auth === false) {
    problems.push({ severity: 'error', code: 'auth-off', message: 'etcd answers a call without credentials: authentication is off', hint: 'Run `sudo ignite-net init` again on the init host: it turns authentication on.' });
  }
  const expires = inputs.security?.certExpiresAt;
  if (expires === undefined) return problems;
  const found = serverCertFinding(expires, now);
  if (found.severity !== 'ok') problems.push({ severity: found.severity, code: 'cert-expiring', message: found.message, ...(found.hint ? { hint: found.hint } : {}) });
  return problems;
}
