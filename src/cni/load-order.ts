/**
 * Which CNI config a runtime uses, decided once for status and doctor. Pure: names and file texts in,
 * a verdict out; the callers read the conf dir.
 *
 * libcni's ConfFiles lists the non-directory entries with one of the extensions, the caller
 * sort.Strings them and loads them in turn. Ignite (through containerd's go-cni, as containerd and
 * nerdctl do) uses the first that loads and *stops with an error* at one that does not; kubelet-era
 * loaders (CRI-O's ocicni) skip it with a warning. ignite-net follows ignite: every file that sorts
 * before ours keeps ours from being used, whether it loads (it is used instead) or not (loading fails
 * and VMs get no network).
 */
import { fail, pass, type Outcome } from '../core/check.js';
import { CNI_FILES } from '../defaults.js';

/** The extensions ignite, containerd, nerdctl and CRI-O give libcni's ConfFiles. */
export const CNI_EXTENSIONS = ['.conf', '.conflist', '.json'] as const;

/** Go's filepath.Ext: from the last dot of the name, '' when none. */
function goExt(name: string): string {
  const at = name.lastIndexOf('.');
  return at === -1 ? '' : name.slice(at);
}

/** Go's sort.Strings: byte-wise, not the locale's order. */
const goCompare = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * The files a runtime considers, in the order it loads them: ConfFiles keeps the names with one of
 * the extensions (dot files included; Go's filepath.Ext decides), then sort.Strings. `names` are the
 * conf dir's non-directory entries.
 */
export function cniLoadOrder(names: readonly string[]): string[] {
  return names.filter((name) => (CNI_EXTENSIONS as readonly string[]).includes(goExt(name))).sort(goCompare);
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A field as Go's encoding/json fills a struct field: names match case-insensitively, the last wins. */
function structField(object: Json, field: string): unknown {
  let value: unknown;
  for (const [key, v] of Object.entries(object)) if (key.toLowerCase() === field) value = v;
  return value;
}

/** libcni's ConfFromBytes (a NetConf) plus go-cni's check that it names a plugin type. */
function pluginProblem(config: unknown): string | undefined {
  if (!isObject(config)) return 'not a JSON object';
  for (const field of ['cniversion', 'name']) {
    const value = structField(config, field);
    if (value !== undefined && value !== null && typeof value !== 'string') return `"${field}" is not a string`;
  }
  const type = structField(config, 'type');
  if (type !== undefined && type !== null && typeof type !== 'string') return '"type" is not a string';
  return typeof type === 'string' && type !== '' ? undefined : 'no "type"';
}

/**
 * Why a runtime refuses a config file, or undefined when it loads. A .conflist goes through libcni's
 * ConfListFromBytes (a string "name", a non-empty "plugins" list, each plugin with a "type"); any
 * other file through ConfFromBytes, which needs a "type". So `{}` does not load, nor does a conflist
 * saved as .json.
 */
export function cniConfigProblem(name: string, text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  if (goExt(name) !== '.conflist') return pluginProblem(parsed);
  if (!isObject(parsed)) return 'not a JSON object';
  if (typeof parsed['name'] !== 'string') return parsed['name'] === undefined ? 'no "name"' : '"name" is not a string';
  if (parsed['cniVersion'] !== undefined && typeof parsed['cniVersion'] !== 'string') return '"cniVersion" is not a string';
  const plugins = parsed['plugins'];
  if (plugins === undefined) return 'no "plugins" list';
  if (!Array.isArray(plugins)) return '"plugins" is not a list';
  if (plugins.length === 0) return 'an empty "plugins" list';
  for (const [i, plugin] of plugins.entries()) {
    const problem = pluginProblem(plugin);
    if (problem !== undefined) return `plugin ${i + 1}: ${problem}`;
  }
  return undefined;
}

/** A file that sorts before ours, and why it does not load (undefined: it loads, and is used instead). */
export interface CniBlocker {
  name: string;
  problem: string | undefined;
}

/** The files a runtime reads before `ours`, in its order: each keeps ours from being used. */
export function cniBlockers(names: readonly string[], problemOf: (name: string) => string | undefined, ours: string = CNI_FILES.ours): CniBlocker[] {
  return cniLoadOrder(names)
    .filter((name) => goCompare(name, ours) < 0)
    .map((name) => ({ name, problem: problemOf(name) }));
}

/** What is wrong when files sort before ours, and the fix: the words status and doctor both use. */
export function describeCniBlockers(dir: string, blockers: readonly CniBlocker[], ours: string = CNI_FILES.ours): { message: string; hint: string } {
  const one = blockers.length === 1;
  const broken = blockers.filter((b) => b.problem !== undefined).map((b) => `${b.name}: ${b.problem ?? ''}`);
  const how = broken.length === 0 ? 'load the first config' : `load the first config and stop at one that does not load (${broken.join('; ')})`;
  return {
    message: `${blockers.map((b) => b.name).join(', ')} ${one ? 'sorts' : 'sort'} before ${ours} in ${dir}: CNI users (ignite, containerd, nerdctl) ${how}, so VMs would not join the overlay`,
    hint: `Move ${one ? 'it' : 'them'} out of ${dir} (e.g. \`mv ${dir}/${blockers[0]?.name ?? ''} /root/\`), then restart ignited.`,
  };
}

/**
 * doctor's CNIConfigOrder: `names` undefined when the dir does not exist; `setUp` when init/join ran
 * here, so our conflist must be there.
 */
export function evaluateCniOrder(dir: string, names: readonly string[] | undefined, problemOf: (name: string) => string | undefined, setUp: boolean): Outcome {
  const ours = CNI_FILES.ours;
  if (names === undefined) {
    return setUp
      ? fail(`${dir} does not exist, so ${ours} is gone`, 'Run `ignite-net init` (or `join`) again to write it.')
      : pass(`${dir} does not exist yet; init/join create it`);
  }
  const blockers = cniBlockers(names, problemOf, ours);
  if (blockers.length > 0) {
    const { message, hint } = describeCniBlockers(dir, blockers, ours);
    return fail(message, hint);
  }
  const order = cniLoadOrder(names);
  if (!order.includes(ours)) {
    return setUp
      ? fail(`${ours} is missing from ${dir}`, 'Run `ignite-net init` (or `join`) again to write it.')
      : pass(`no CNI config in ${dir} sorts before ${ours}`);
  }
  return pass(`${ours} is the first of ${order.length} CNI config${order.length === 1 ? '' : 's'} in ${dir}`);
}
