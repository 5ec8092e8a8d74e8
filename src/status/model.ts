/**
 * The status model: what `ignite-net status` knows about the overlay and this host, built from
 * collected inputs by pure rules, one per subject (status/rules.ts, status/hosts.ts). Collection
 * (src/status/collect.ts) does the I/O; the renderers (plain, ink, JSON) only draw this model.
 */
import { withoutSecrets } from '../net/backend.js';
import { CNI_FILES } from '../defaults.js';
import { ExitCode } from '../core/errors.js';
import { INSECURE_OVERLAY } from '../pki/facts.js';
import { controlPlaneView } from './control-plane.js';
import { endpointListsView } from './endpoint-lists.js';
import { hostRows, thisHostMatcher } from './hosts.js';
import { cniRule, igniteRule, containerRows, containersRule, etcdRule, leaseRule, probesRule, statusFacts, subnetEnvRule, thisHostRow, securityRule } from './rules.js';
import type { Problem, StatusInputs, StatusModel, Verdict } from './types.js';

export type * from './types.js';
export { formatTtl, formatUptime, STALE_LEASE_SECONDS, thisHostMatcher } from './hosts.js';

export function buildStatusModel(inputs: StatusInputs): StatusModel {
  const facts = statusFacts(inputs);
  const containers = containerRows(facts);
  const isThisHost = thisHostMatcher({ advertiseAddress: inputs.state?.advertiseAddress, envSubnet: facts.envSubnet, localAddresses: inputs.localAddresses });
  const config = inputs.network?.config;
  const rows = hostRows({ inputs, now: facts.now, config, isThisHost, inOverlay: facts.member && facts.envSubnet !== undefined });
  const mine = thisHostRow(rows.hosts);
  const local = new Set(inputs.localAddresses);
  const controlPlane = controlPlaneView(inputs.controlPlane, {
    hosts: rows.hosts.filter((h) => !h.reserved && h.publicIP !== '').length,
    isThisHostAddress: (address) => address === inputs.state?.advertiseAddress || local.has(address),
  });
  const endpointLists = endpointListsView(inputs, rows.hosts.filter((h) => !h.reserved).map((h) => h.publicIP), inputs.state?.advertiseAddress);
  const problems: Problem[] = [
    ...etcdRule(facts),
    ...controlPlane.problems,
    ...endpointLists.problems,
    ...securityRule(facts),
    ...containersRule(facts, containers),
    ...subnetEnvRule(facts),
    ...cniRule(facts),
    ...igniteRule(facts),
    ...rows.problems,
    ...leaseRule(facts, mine),
    ...probesRule(facts),
  ];
  const verdict: Verdict = problems.some((p) => p.severity === 'error') ? 'unhealthy' : problems.length > 0 ? 'degraded' : 'healthy';
  const firstPick = inputs.cni.candidates[0]; // a runtime uses it, or stops there when it does not load
  return {
    generatedAt: inputs.now,
    etcd: inputs.etcd.ok
      ? { endpoint: inputs.endpoint.url, source: inputs.endpoint.source, ok: true, version: inputs.etcd.version, readMs: inputs.etcd.readMs, ...(inputs.etcd.leaseTtls ? { leaseTtls: inputs.etcd.leaseTtls } : {}) }
      : { endpoint: inputs.endpoint.url, source: inputs.endpoint.source, ok: false, message: inputs.etcd.message },
    state: inputs.state
      ? { path: inputs.state.path, role: inputs.state.role, ...(inputs.state.peer ? { peer: inputs.state.peer } : {}), since: inputs.state.createdAt }
      : { ...(inputs.stateMissing ? { missing: inputs.stateMissing } : {}) },
    security: securityView(inputs.security),
    ...(config ? { network: withoutSecrets(config) } : {}),
    hosts: rows.hosts,
    thisHost: {
      ...(mine ? { subnet: mine.subnet } : {}),
      ...(inputs.state ? { advertiseAddress: inputs.state.advertiseAddress } : mine ? { advertiseAddress: mine.publicIP } : {}),
      member: facts.member,
      docker: inputs.docker.ok ? { ok: true, where: inputs.docker.where } : { ok: false, message: inputs.docker.message },
      containers,
      subnetEnv: inputs.subnetEnv,
      cni: { ...inputs.cni, ourFile: CNI_FILES.ours, ...(firstPick ? { firstPick } : {}) },
    },
    probes: { probed: Object.keys(inputs.probes).length, candidates: inputs.probeLimit.candidates, limit: inputs.probeLimit.limit },
    ...(controlPlane.view ? { controlPlane: controlPlane.view } : {}),
    ...(endpointLists.view ? { endpointLists: endpointLists.view } : {}),
    problems,
    verdict,
    exitCode: exitCodeFor(problems),
  };
}

/** The warning of an insecure overlay rides on the security view: security is not health (the verdict ignores it). */
function securityView(security: StatusInputs['security']): StatusModel['security'] {
  const view = security ?? { tls: false };
  return view.tls ? view : { ...view, warning: { ...INSECURE_OVERLAY } };
}

/**
 * 0 when nothing is wrong (warnings allowed); 5 when etcd could not be read (nothing about the
 * overlay is known); 4 when Docker could not be asked (this host's containers are unknown); 10 for
 * any other error. Scripts: non-zero means "look at it".
 */
export function exitCodeFor(problems: readonly (Omit<Problem, 'code'> & { code: string })[]): number {
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length === 0) return ExitCode.ok;
  if (errors.some((p) => p.code === 'etcd-unreachable')) return ExitCode.etcd;
  if (errors.some((p) => p.code === 'docker-unreachable')) return ExitCode.docker;
  return ExitCode.unhealthy;
}
