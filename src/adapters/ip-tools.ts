/**
 * iproute2's `ip` and iptables/ip6tables, run as programs (never through a shell). Thin on purpose:
 * what to run is decided by pure functions in src/net/; this module only runs, parses JSON and
 * reports a missing tool as `undefined` so callers can skip with a note.
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { IgniteError } from '../core/errors.js';
import type { IpLinkJson } from '../net/flannel-devices.js';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

const TOOL_TIMEOUT_MS = 15_000;
/** sudo and cron may run us with a PATH without the sbin directories, where these tools live. */
const SBIN_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

const found = new Map<string, string | undefined>();

async function locate(tool: string): Promise<string | undefined> {
  if (found.has(tool)) return found.get(tool);
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== ''), ...SBIN_DIRS];
  let path: string | undefined;
  for (const dir of dirs) {
    try {
      await access(join(dir, tool), constants.X_OK);
      path = join(dir, tool);
      break;
    } catch {
      // not in this directory
    }
  }
  found.set(tool, path);
  return path;
}

/** Runs a tool; undefined when it is not installed. Never rejects on a non-zero exit. */
export async function runTool(tool: string, args: readonly string[]): Promise<ToolResult | undefined> {
  const path = await locate(tool);
  if (path === undefined) return undefined;
  return new Promise((resolve) => {
    execFile(path, [...args], { timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr: stderr || (error && typeof error.code !== 'number' ? error.message : '') });
    });
  });
}

function toolError(what: string, result: ToolResult): IgniteError {
  return new IgniteError('permission', `${what} failed: ${result.stderr.trim().split('\n')[0] ?? `exit ${result.code}`}`, {
    hint: 'Run ignite-net as root (sudo).',
  });
}

/** Every device with its details and addresses (`ip -j -d addr show`); undefined without iproute2. */
export async function listLinks(): Promise<IpLinkJson[] | undefined> {
  const result = await runTool('ip', ['-j', '-d', 'addr', 'show']);
  if (result === undefined) return undefined;
  if (result.code !== 0) throw toolError('ip addr show', result);
  // `ip -j` prints one JSON array; its element shape is IpLinkJson's superset.
  return JSON.parse(result.stdout || '[]') as IpLinkJson[];
}

/**
 * `ip -j route get <address>`: the kernel's route lookup, which changes nothing (no packet is
 * sent). Its stdout, for net/backend-checks.ts to parse; undefined without iproute2 or a route.
 */
export async function routeGet(address: string): Promise<string | undefined> {
  const result = await runTool('ip', ['-j', 'route', 'get', address]);
  return result?.code === 0 ? result.stdout : undefined;
}

/** Deletes a device; false when it was already gone. */
export async function deleteLink(name: string): Promise<boolean> {
  const result = await runTool('ip', ['link', 'delete', 'dev', name]);
  if (result === undefined) throw new IgniteError('permission', 'iproute2 (`ip`) is not installed');
  if (result.code === 0) return true;
  if (/cannot find device|does not exist/i.test(result.stderr)) return false;
  throw toolError(`ip link delete ${name}`, result);
}

/** `ip route del <destination> via <gateway> dev <iface>`; false when there was no such route. */
export async function deleteRoute(destination: string, gateway: string, iface: string): Promise<boolean> {
  const result = await runTool('ip', ['route', 'del', destination, 'via', gateway, 'dev', iface]);
  if (result === undefined) throw new IgniteError('permission', 'iproute2 (`ip`) is not installed');
  if (result.code === 0) return true;
  if (/no such process|cannot find device/i.test(result.stderr)) return false;
  throw toolError(`ip route del ${destination} via ${gateway}`, result);
}

export type IptablesFamily = 'iptables' | 'ip6tables';

/** `<tool> -w -t <table> -S`; undefined when the tool is missing, '' when the table is unavailable. */
export async function listTable(family: IptablesFamily, table: string): Promise<string | undefined> {
  const result = await runTool(family, ['-w', '5', '-t', table, '-S']);
  if (result === undefined) return undefined;
  if (result.code === 0) return result.stdout;
  if (/permission denied|must be root/i.test(result.stderr)) throw toolError(`${family} -t ${table} -S`, result);
  // A kernel without this table (or without IPv6) has nothing of flannel's in it either.
  return '';
}

export async function iptables(family: IptablesFamily, table: string, args: readonly string[]): Promise<void> {
  const result = await runTool(family, ['-w', '5', '-t', table, ...args]);
  if (result === undefined) throw new IgniteError('permission', `${family} is not installed`);
  if (result.code !== 0) throw toolError(`${family} -t ${table} ${args.join(' ')}`, result);
}
