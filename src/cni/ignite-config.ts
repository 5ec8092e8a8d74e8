/**
 * Ignite's own configuration as far as the overlay cares (Ignite issue #826): /etc/ignite/config.yaml
 * is a ComponentConfig (`apiVersion: ignite.weave.works/v1alpha4`, `kind: Configuration`) whose
 * `spec.networkPlugin` must be `cni` (or absent: Ignite's default is cni) for VMs to use our
 * conflist — `flannel` gives "Unknown Network Plugin", `docker-bridge` bypasses CNI. And a running
 * ignited reads the CNI config once, at start. Pure: doctor (doctor/ignite.ts) and status read the
 * file, ignited's start and the conflist's mtime.
 *
 * The YAML read is deliberately tiny: the `networkPlugin` key inside the top-level `spec` mapping,
 * a plain or quoted scalar (comments dropped); JSON, which YAML includes, is parsed as such.
 */
import { fail, pass, warn, type Outcome } from '../core/check.js';
import type { SummaryLine } from '../core/events.js';

export const IGNITE_CONFIG_PATH = '/etc/ignite/config.yaml';

/** spec.networkPlugin of the config's text; undefined when it does not set one. */
export function igniteNetworkPlugin(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const spec = (JSON.parse(trimmed) as { spec?: { networkPlugin?: unknown } }).spec;
      return typeof spec?.networkPlugin === 'string' ? spec.networkPlugin : undefined;
    } catch {
      return undefined;
    }
  }
  let inSpec = false;
  let specIndent = -1;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    if (line.trim() === '' || line.trim() === '---') continue;
    const indent = line.length - line.trimStart().length;
    if (indent === 0) {
      inSpec = /^spec\s*:\s*$/.test(line);
      specIndent = -1;
      continue;
    }
    if (!inSpec) continue;
    if (specIndent === -1) specIndent = indent;
    if (indent !== specIndent) continue; // deeper: inside another key of spec (vmDefaults, …)
    const match = /^\s*networkPlugin\s*:\s*(.*)$/.exec(line);
    if (match) return unquote(match[1] ?? '');
  }
  return undefined;
}

const unquote = (value: string): string => value.trim().replace(/^(["'])(.*)\1$/, '$2');

export interface IgniteFacts {
  /** The config file's text; undefined when there is none. */
  configText?: string;
  /** When the running ignited started (ms since the epoch); undefined when none runs. */
  ignitedStartedAt?: number;
  /** When our conflist was last written (its mtime); undefined when it is not there. */
  conflistWrittenAt?: number;
  conflistPath: string;
}

export interface IgniteFinding {
  severity: 'error' | 'warning';
  code: 'ignite-network-plugin' | 'ignited-stale-cni-config';
  message: string;
  hint: string;
}

/** What is wrong with Ignite's side; nothing when Ignite is not there at all. */
export function igniteFindings(facts: IgniteFacts): IgniteFinding[] {
  const findings: IgniteFinding[] = [];
  const plugin = facts.configText === undefined ? undefined : igniteNetworkPlugin(facts.configText);
  if (plugin !== undefined && plugin !== 'cni') {
    const why = plugin === 'docker-bridge' ? "VMs get Docker's bridge, not the overlay" : `Ignite fails every VM start with "Unknown Network Plugin"`;
    findings.push({
      severity: 'error',
      code: 'ignite-network-plugin',
      message: `${IGNITE_CONFIG_PATH} sets networkPlugin: ${plugin}: ${why}`,
      hint: `Set \`networkPlugin: cni\` under spec: in ${IGNITE_CONFIG_PATH}${facts.ignitedStartedAt === undefined ? '' : ', then `systemctl restart ignited`'}.`,
    });
  }
  if (facts.ignitedStartedAt !== undefined && facts.conflistWrittenAt !== undefined && facts.ignitedStartedAt < facts.conflistWrittenAt) {
    findings.push({
      severity: 'warning',
      code: 'ignited-stale-cni-config',
      message: `ignited started ${stamp(facts.ignitedStartedAt)}, before ${facts.conflistPath} was last written (${stamp(facts.conflistWrittenAt)}): it still uses the CNI config it read at start`,
      hint: 'Run `systemctl restart ignited`.',
    });
  }
  return findings;
}

const stamp = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** The init/join summary's lines for Ignite's side: one per finding with its fix; none when all is well or there is no Ignite. */
export function igniteSummaryLines(findings: readonly IgniteFinding[]): SummaryLine[] {
  return findings.map((f) => ({ label: f.severity === 'error' ? 'Ignite ERROR' : 'Ignite warning', value: `${f.message}. Fix: ${f.hint}` }));
}

/** doctor's IgniteConfig: the findings as one check (an error fails it, a warning warns). */
export function evaluateIgnite(facts: IgniteFacts): Outcome {
  const findings = igniteFindings(facts);
  const error = findings.find((f) => f.severity === 'error');
  const message = findings.map((f) => f.message).join('; ');
  const hint = findings.map((f) => f.hint).join(' ');
  if (error) return fail(message, hint);
  if (findings.length > 0) return warn(message, hint);
  if (facts.configText === undefined && facts.ignitedStartedAt === undefined) return pass(`no ${IGNITE_CONFIG_PATH} and no ignited running: nothing of Ignite's to check`);
  const plugin = facts.configText === undefined ? undefined : igniteNetworkPlugin(facts.configText);
  return pass(
    [
      facts.configText === undefined ? `no ${IGNITE_CONFIG_PATH} (Ignite's default network plugin is cni)` : `${IGNITE_CONFIG_PATH}: networkPlugin ${plugin ?? 'not set (cni by default)'}`,
      ...(facts.ignitedStartedAt === undefined ? [] : ['ignited started after the CNI config was written']),
    ].join('; '),
  );
}
