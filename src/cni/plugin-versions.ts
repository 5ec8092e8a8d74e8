/**
 * What the CNI plugins in the bin dir answer to CNI_COMMAND=VERSION, judged against the CNI version
 * our conflist asks for. Pure: status (status/collect.ts) and doctor (doctor/host.ts CNIPlugins)
 * gather the answers through services.cniBinaries.probePlugins and share these rules and words.
 *
 * A plugin is usable when it is there, answers VERSION within the time given, and lists the
 * conflist's cniVersion among its supportedVersions (libcni refuses a config version the plugin
 * does not list). An answer without supportedVersions counts as supporting its own cniVersion only.
 */
import { fail, pass, warn, type Outcome } from '../core/check.js';

/** One plugin as status --json carries it: there or not, and its VERSION answer or why there is none. */
export interface PluginProbe {
  name: string;
  path: string;
  present: boolean;
  /** The plugin's own cniVersion from its VERSION answer. */
  version?: string;
  supportedVersions?: string[];
  /** Present but no usable VERSION answer: why (timeout, not executable, no JSON). */
  error?: string;
}

export type PluginFinding =
  | { kind: 'missing'; name: string }
  | { kind: 'no-answer'; name: string; reason: string }
  | { kind: 'unsupported'; name: string; speaks: string[] };

export function supportedBy(probe: PluginProbe): string[] {
  if (probe.supportedVersions && probe.supportedVersions.length > 0) return probe.supportedVersions;
  return probe.version === undefined ? [] : [probe.version];
}

/** Every plugin that is not usable for a conflist of cniVersion, in the probes' order. */
export function pluginFindings(probes: readonly PluginProbe[], cniVersion: string): PluginFinding[] {
  return probes.flatMap((p): PluginFinding[] => {
    if (!p.present) return [{ kind: 'missing', name: p.name }];
    if (p.version === undefined) return [{ kind: 'no-answer', name: p.name, reason: p.error ?? 'no VERSION answer' }];
    const speaks = supportedBy(p);
    return speaks.includes(cniVersion) ? [] : [{ kind: 'unsupported', name: p.name, speaks }];
  });
}

/** "flannel (does not answer VERSION: no answer within 2s), bridge (speaks CNI 0.1.0–0.3.1, not 0.4.0)". */
export function describeUnusable(findings: readonly PluginFinding[], cniVersion: string): string {
  return findings
    .filter((f) => f.kind !== 'missing')
    .map((f) => (f.kind === 'no-answer' ? `${f.name} (does not answer VERSION: ${f.reason})` : f.kind === 'unsupported' ? `${f.name} (speaks CNI ${range(f.speaks)}, not ${cniVersion})` : ''))
    .join(', ');
}

const range = (versions: readonly string[]): string => (versions.length === 0 ? 'nothing' : versions.length === 1 ? versions[0]! : `${versions[0]}–${versions[versions.length - 1]}`);

/** "flannel, portmap, firewall, bridge, host-local (CNI 1.0.0)": neighbours with the same version share it. */
export function describeVersions(probes: readonly PluginProbe[]): string {
  const runs: { names: string[]; note: string }[] = [];
  for (const p of probes.filter((probe) => probe.present)) {
    const note = p.version === undefined ? 'no VERSION answer' : `CNI ${p.version}`;
    const last = runs[runs.length - 1];
    if (last?.note === note) last.names.push(p.name);
    else runs.push({ names: [p.name], note });
  }
  return runs.map((run) => `${run.names.join(', ')} (${run.note})`).join(', ');
}

/** The cniVersion of a conflist's text; undefined when it has none or is not JSON. */
export function conflistCniVersion(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    const version = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['cniVersion'] : undefined;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * doctor's CNIPlugins: a plugin that is there but unusable fails (it breaks every VM start, and
 * nothing says so elsewhere); a missing one is a warning, as init and join say it (they install it
 * with --install-cni-plugins; status counts it as an error on a member).
 */
export function evaluatePlugins(probes: readonly PluginProbe[], cniVersion: string, binDir: string, command: string): Outcome {
  const findings = pluginFindings(probes, cniVersion);
  const missing = findings.filter((f) => f.kind === 'missing').map((f) => f.name);
  const unusable = findings.filter((f) => f.kind !== 'missing');
  const install = `Run \`sudo ignite-net ${command} --install-cni-plugins\`: it copies flannel out of the flannel CNI plugin image and the others from the CNI plugins package (containernetworking-plugins).`;
  if (unusable.length > 0) {
    const more = missing.length > 0 ? `; missing: ${missing.join(', ')}` : '';
    return fail(
      `CNI plugins in ${binDir} that VMs cannot use with the conflist's CNI ${cniVersion}: ${describeUnusable(unusable, cniVersion)}${more}`,
      `Replace them with plugins that speak CNI ${cniVersion}: \`sudo ignite-net ${command} --install-cni-plugins --force\` puts in flannel's image plugin and the CNI plugins package's (containernetworking-plugins).`,
    );
  }
  if (missing.length > 0) {
    const message = `CNI plugins missing from ${binDir}: ${missing.join(', ')} — every VM start fails until they are there`;
    return warn(message, install);
  }
  return pass(`${describeVersions(probes)} in ${binDir}, all speak the conflist's CNI ${cniVersion}`);
}
