/**
 * The CNI conflist ignite-net writes to <cni-conf-dir>/10-flannel.conflist, rendered from the file
 * under templates/ so operators can read exactly what will be written. Pure: the template's text
 * comes from the caller (adapters/templates.ts reads it).
 */
import { usageError } from '../core/errors.js';

export interface ConflistVars {
  /** CNI network name; Ignite and the original script use "cbr0". */
  name: string;
}

export const DEFAULT_CONFLIST_VARS: ConflistVars = { name: 'cbr0' };

/** CNI's rule for network names (libcni validates names with this pattern). */
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * Fills `{{name}}`-style placeholders, which may only stand inside JSON strings (values are
 * JSON-escaped). Missing vars take DEFAULT_CONFLIST_VARS. A placeholder the template names but
 * no var defines, a var the template does not use, or a result that is not a conflist is an error:
 * either means the template and this code disagree.
 */
export function renderConflist(templateText: string, vars: Partial<ConflistVars> = {}): string {
  const values: Record<string, string> = { ...DEFAULT_CONFLIST_VARS };
  for (const [key, value] of Object.entries(vars)) {
    if (!(key in DEFAULT_CONFLIST_VARS)) throw new Error(`conflist template: unknown variable "${key}"`);
    if (value !== undefined) values[key] = value;
  }
  const name = values['name'] ?? '';
  if (!NETWORK_NAME.test(name)) {
    throw usageError(`invalid CNI network name "${name}"`, 'Use letters, digits, "_", "." and "-", starting with a letter or digit, e.g. cbr0.');
  }

  const used = new Set<string>();
  const rendered = templateText.replace(PLACEHOLDER, (_match, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`conflist template: unknown placeholder {{${key}}}`);
    used.add(key);
    return JSON.stringify(value).slice(1, -1);
  });
  // Only an opening pair is suspect: "}}" closes nested objects in compact JSON.
  const leftover = /\{\{/.exec(rendered);
  if (leftover) throw new Error(`conflist template: malformed placeholder near "${rendered.slice(leftover.index, leftover.index + 20)}"`);
  const unused = Object.keys(vars).filter((key) => !used.has(key));
  if (unused.length > 0) throw new Error(`conflist template: variable(s) not used by the template: ${unused.join(', ')}`);

  checkConflist(parseJson(rendered));
  return rendered.endsWith('\n') ? rendered : `${rendered}\n`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`conflist template: rendering is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

function checkConflist(value: unknown): void {
  const ok =
    isRecord(value) &&
    typeof value['name'] === 'string' &&
    typeof value['cniVersion'] === 'string' &&
    Array.isArray(value['plugins']) &&
    value['plugins'].length > 0 &&
    value['plugins'].every((plugin) => isRecord(plugin) && typeof plugin['type'] === 'string');
  if (!ok) throw new Error('conflist template: rendering lacks name, cniVersion or a plugins list with types');
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Whether a conflist on disk is the one we write: equal as JSON to our rendering, so a file
 * re-indented by a tool still counts but any edited value does not (cleanup then leaves it).
 * No marker key is added because the file must stay exactly DESIGN's conflist, which other
 * CNI consumers read too.
 */
export function isOurConflist(text: string, rendered: string): boolean {
  let actual: unknown;
  try {
    actual = JSON.parse(text);
  } catch {
    return false;
  }
  return jsonEqual(actual, JSON.parse(rendered));
}

/** Deep equality of parsed JSON values; object key order does not matter, array order does. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && jsonEqual(a[key], b[key]));
}
