/**
 * Which CNI plugins to install into the CNI bin dir and from where, given what is there, what the
 * host's CNI plugins package has and what ignite-net installed before. Pure: the cni-plugins step
 * gathers the facts (file hashes) and carries the plan out.
 *
 * The rules: a plugin that is there is left alone — ignite-net's own (its hash unchanged since it
 * wrote it) as well as anyone else's — unless --force, which replaces it (someone else's is kept
 * aside and put back by cleanup). A missing one comes from the plugin image (flannel) or from the
 * host's package directory; with neither it is named with the install command. Files are copied, not
 * linked: ignited and the VMs' CNI calls may run in another mount namespace (a container, a chroot)
 * that sees the bin dir but not /usr/lib/cni, and a copy keeps working when the package is removed.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { CniPluginName } from '../defaults.js';

/** What the state file records for each plugin file ignite-net wrote. */
export interface InstalledPlugin {
  path: string;
  /** sha256 (hex) of what was written: cleanup removes the file only while it still has it. */
  sha256: string;
  /** Where it came from: `<image>:<file>` or the host path it was copied from. */
  source: string;
  /** The plugin --force replaced, kept beside it; cleanup puts it back. */
  backup?: string;
}

/** A host source's sha256 is known when it was worth reading: for a plugin already in the bin dir that is not ours, or with --force (`same`). */
export type PluginSource = { kind: 'image'; image: string; file: string } | { kind: 'host'; path: string; sha256?: string };

export type PluginAction =
  /** Present and left alone: ignite-net's own (unchanged), or someone else's (`same`: identical to the package's). */
  | { kind: 'present'; name: CniPluginName; path: string; ours: boolean; same?: string }
  | { kind: 'install'; name: CniPluginName; path: string; source: PluginSource; replaces?: 'ours' | 'foreign'; backup?: string }
  /** Missing, and nothing here to install it from. */
  | { kind: 'unavailable'; name: CniPluginName; path: string };

export interface PluginFacts {
  binDir: string;
  plugins: readonly CniPluginName[];
  /** sha256 of every file that matters (the bin dir's plugins, the recorded paths); undefined: absent. */
  hashes: ReadonlyMap<string, string | undefined>;
  /** The host package's copy of each plugin it has, e.g. bridge → /usr/lib/cni/bridge. */
  hostPlugins: ReadonlyMap<CniPluginName, { path: string; sha256?: string }>;
  /** What an earlier run recorded. */
  recorded: readonly InstalledPlugin[];
  image: { image: string; file: string };
  force: boolean;
}

export interface PluginPlan {
  actions: PluginAction[];
  /** Earlier records that still hold (file unchanged) and are not replaced now. */
  keep: InstalledPlugin[];
  /** Earlier records whose file changed or went since: no longer ignite-net's to remove. */
  dropped: { record: InstalledPlugin; why: 'changed' | 'gone' }[];
}

export const sha256 = (content: Uint8Array): string => createHash('sha256').update(content).digest('hex');

/** Where --force keeps the plugin it replaced: a dot file beside it, which CNI never runs. */
export const backupPath = (path: string): string => posix.join(posix.dirname(path), `.${posix.basename(path)}.ignite-net-replaced`);

/**
 * Whether planPlugins needs the host package's copy of a plugin hashed: only to compare it with one in
 * the bin dir that is not ignite-net's unchanged install (`same`), or under --force. A plugin to install
 * is hashed from the bytes written; one of ours is ours.
 */
export function needsSourceHash(binPath: string, hashes: ReadonlyMap<string, string | undefined>, recorded: readonly InstalledPlugin[], force: boolean): boolean {
  const current = hashes.get(binPath);
  if (current === undefined) return false;
  return force || !recorded.some((r) => r.path === binPath && r.sha256 === current);
}

export function planPlugins(facts: PluginFacts): PluginPlan {
  const keep: InstalledPlugin[] = [];
  const dropped: PluginPlan['dropped'] = [];
  const ours = new Map<string, InstalledPlugin>();
  for (const record of facts.recorded) {
    const now = facts.hashes.get(record.path);
    if (now === record.sha256) {
      keep.push(record);
      ours.set(record.path, record);
    } else {
      dropped.push({ record, why: now === undefined ? 'gone' : 'changed' });
    }
  }

  const actions = facts.plugins.map((name): PluginAction => {
    const path = posix.join(facts.binDir, name);
    const source = sourceOf(name, facts);
    const current = facts.hashes.get(path);
    if (current === undefined) return source ? { kind: 'install', name, path, source } : { kind: 'unavailable', name, path };
    const record = ours.get(path);
    const same = source?.kind === 'host' && source.sha256 !== undefined && source.sha256 === current ? source.path : undefined;
    if (!facts.force || !source || same !== undefined) {
      return { kind: 'present', name, path, ours: record !== undefined, ...(same === undefined ? {} : { same }) };
    }
    // --force: ours is simply rewritten (keeping the backup of what it once replaced); someone else's is kept aside.
    const backup = record ? record.backup : backupPath(path);
    return { kind: 'install', name, path, source, replaces: record ? 'ours' : 'foreign', ...(backup === undefined ? {} : { backup }) };
  });

  const replaced = new Set(actions.filter((a) => a.kind === 'install').map((a) => a.path));
  return { actions, keep: keep.filter((r) => !replaced.has(r.path)), dropped };
}

function sourceOf(name: CniPluginName, facts: PluginFacts): PluginSource | undefined {
  if (name === 'flannel') return { kind: 'image', ...facts.image };
  const host = facts.hostPlugins.get(name);
  return host ? { kind: 'host', ...host } : undefined;
}

export const describeSource = (source: PluginSource): string => (source.kind === 'image' ? `${source.image}:${source.file}` : source.path);

/**
 * The command that installs the CNI plugins package, from /etc/os-release's ID and ID_LIKE;
 * Debian's when the distribution is not known.
 */
export function packageInstallCommand(osRelease: string | undefined): string {
  const ids = (osRelease ?? '')
    .split('\n')
    .filter((line) => /^(ID|ID_LIKE)=/.test(line))
    .flatMap((line) => line.slice(line.indexOf('=') + 1).replace(/["']/g, '').split(/\s+/));
  if (ids.some((id) => ['fedora', 'rhel', 'centos'].includes(id))) return 'dnf install containernetworking-plugins';
  if (ids.includes('arch')) return 'pacman -S cni-plugins';
  return 'apt-get install containernetworking-plugins';
}

/** What a plugin answers to CNI_COMMAND=VERSION (the CNI spec's version result). */
export interface PluginVersion {
  cniVersion: string;
  supportedVersions: string[];
}

/** The VERSION answer from a plugin's stdout; undefined when it is not one. */
export function parseVersionAnswer(stdout: string): PluginVersion | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { cniVersion, supportedVersions } = parsed as Record<string, unknown>;
  if (typeof cniVersion !== 'string') return undefined;
  const supported = Array.isArray(supportedVersions) ? supportedVersions.filter((v): v is string => typeof v === 'string') : [];
  return { cniVersion, supportedVersions: supported };
}

/** "CNI 1.0.0" or "CNI 1.0.0 (0.1.0–1.0.0)": the spec versions a plugin speaks. */
export function formatVersion(version: PluginVersion): string {
  const supported = version.supportedVersions;
  const range = supported.length > 1 ? ` (${supported[0]}–${supported[supported.length - 1]})` : '';
  return `CNI ${version.cniVersion}${range}`;
}
