/**
 * One option's value → what Options holds, or a one-line usage error naming the option with a hint.
 * Pure: no host is touched (args.ts puts the values together per command).
 */
import { resolve } from 'node:path';
import { CHECK_NAME_PREFIXES, CHECK_NAMES, isKnownCheckName } from './core/check-names.js';
import { usageError } from './core/errors.js';
import type { IgniteError } from './core/errors.js';
import { DEFAULT_IMAGES, DEFAULT_TIMEOUT_MS, PULL_POLICIES, type PullPolicy } from './defaults.js';
import { parseCidr } from './net/cidr.js';

export function parseEtcdEndpoint(value: string): string {
  const match = /^(https?):\/\/(\[[^\]]+\]|[^/:\s]+)(?::(\d{1,5}))?\/?$/.exec(value);
  if (!match) throw usageError(`--etcd-endpoint "${value}" is not an etcd URL`, 'Use e.g. --etcd-endpoint http://192.168.1.2:2379.');
  return value.replace(/\/$/, '');
}

/** A subnet before the overlay's network is known: a CIDR, aligned (the rest is checked against the overlay's config). */
export function alignedCidr(value: string, label: string): string {
  const cidr = parseCidr(value.trim(), { label, allowHostBits: true });
  if (cidr.address !== cidr.network) throw usageError(`${label} ${value} is not aligned to /${cidr.prefix}; did you mean ${cidr.cidr}?`, `A subnet starts at its first address: ${label} ${cidr.cidr}.`);
  return cidr.cidr;
}

export function parseDir(name: string, value: string): string {
  if (value.trim() === '' || value.includes('\0')) throw usageError(`--${name} needs a directory path`, `Pass a path, e.g. --${name} /tmp/x.`);
  return resolve(value);
}

const INTEGER_EXAMPLES: Record<string, string> = { tail: '100', 'subnet-len': '24', vni: '1' };

export function parseInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const hint = `Pass --${name} as digits only, e.g. --${name} ${INTEGER_EXAMPLES[name] ?? '8285'}.`;
  // --tail 0 is a real request (-f: only new lines); the others' zero is refused where they are checked.
  if (/^-\d+$/.test(value)) throw usageError(`--${name} "${value}" must be positive${name === 'tail' ? ' (or 0)' : ''}`, hint);
  if (!/^\d{1,9}$/.test(value)) throw usageError(`--${name} "${value}" is not a whole number`, hint);
  return Number(value);
}

/** Docker reference characters; rejects URLs, spaces and empty names before Docker does, less clearly. */
const IMAGE = /^[a-z0-9][a-z0-9._\-/:@]*$/i;

export function parseImage(name: string, value: string): string {
  if (!IMAGE.test(value) || value.includes('://') || value.endsWith(':') || value.endsWith('/')) {
    throw usageError(`--${name} "${value}" is not an image reference`, `Use repository[:tag] or repository@digest, e.g. --${name} ${name === 'etcd-image' ? DEFAULT_IMAGES.etcd : name === 'cni-plugin-image' ? DEFAULT_IMAGES.cniPlugin : DEFAULT_IMAGES.flannel}.`);
  }
  return value;
}

export function parsePull(value: string | undefined): PullPolicy {
  if (value === undefined) return 'missing';
  const policy = PULL_POLICIES.find((p) => p === value);
  if (!policy) throw usageError(`--pull "${value}" is not a pull policy`, `Use one of: ${PULL_POLICIES.join(', ')}.`);
  return policy;
}

const MAX_TIMEOUT_MS = 24 * 3600 * 1000;

export function parseTimeout(value: string | undefined): number {
  return parseDuration('timeout', value, DEFAULT_TIMEOUT_MS);
}

/** Seconds as a bare number, or a Go-style duration (30s, 2m, 1h, 1m30s) as operators type for Docker. */
export function parseDuration(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const bad = (why: string): IgniteError =>
    usageError(`--${name} "${value}" ${why}`, `Give seconds (e.g. --${name} 90) or a duration such as 30s, 2m or 1m30s.`);
  if (/^-\d/.test(value)) throw bad('must be positive');
  let ms: number;
  if (/^\d+$/.test(value)) {
    ms = Number(value) * 1000;
  } else {
    const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
    if (!match || value === '') throw bad('is not a duration');
    const [, h = '0', m = '0', s = '0'] = match;
    ms = ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000;
  }
  if (ms <= 0) throw bad('must be more than zero');
  if (ms > MAX_TIMEOUT_MS) throw bad('is longer than 24h');
  return ms;
}

const CHECK_NAME = /^[a-z0-9][a-z0-9-]*$/i;

export function parseIgnored(value: string[] | true | undefined): Set<string> | 'all' {
  if (!Array.isArray(value)) return new Set();
  const names = value.flatMap((item) => item.split(',')).map((name) => name.trim());
  const hint = 'Pass check names separated by commas, as printed in [ERROR …] lines (e.g. Port-2379,TunDevice), or all.';
  for (const name of names) {
    if (!CHECK_NAME.test(name)) {
      throw usageError(`--ignore-preflight-errors has ${name === '' ? 'an empty name' : `an invalid name "${name}"`}`, hint);
    }
  }
  if (names.some((name) => name.toLowerCase() === 'all')) {
    if (names.length > 1) throw usageError('--ignore-preflight-errors: "all" cannot be combined with check names', 'Pass either all or a list of check names.');
    return 'all';
  }
  const unknown = names.filter((name) => !isKnownCheckName(name));
  if (unknown.length > 0) {
    throw usageError(
      `--ignore-preflight-errors: no check is named ${unknown.map((n) => `"${n}"`).join(', ')}`,
      `Known checks: ${CHECK_NAMES.join(', ')}, ${CHECK_NAME_PREFIXES.map((p) => `${p}<member>`).join(', ')}; or all.`,
    );
  }
  return new Set(names);
}
