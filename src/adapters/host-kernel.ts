import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandOutput } from '../net/iptables.js';
import { runTool } from './ip-tools.js';

/**
 * Read-only views of the kernel settings doctor checks: sysctls, loaded modules, interface MTUs, the
 * iptables FORWARD chain, a directory's entries. Thin on purpose: the parsing lives in doctor/host.ts
 * and the net/ and cni/ modules it calls, and is unit-tested; nothing here writes anything.
 */

/** A file's trimmed text, or undefined when it does not exist (a sysctl of a module not loaded). */
export async function readProcValue(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

export const SYSCTL = {
  ipForward: '/proc/sys/net/ipv4/ip_forward',
  bridgeNfCallIptables: '/proc/sys/net/bridge/bridge-nf-call-iptables',
  modules: '/proc/modules',
} as const;

/** The interface's MTU from sysfs, or undefined when there is no such interface. */
export async function readInterfaceMtu(iface: string): Promise<number | undefined> {
  // An interface name never contains '/'; refuse one that would leave /sys/class/net.
  if (iface.includes('/') || iface === '.' || iface === '..') return undefined;
  const text = await readProcValue(join('/sys/class/net', iface, 'mtu'));
  const mtu = text === undefined ? Number.NaN : Number.parseInt(text, 10);
  return Number.isInteger(mtu) && mtu > 0 ? mtu : undefined;
}

export type { CommandOutput };

/**
 * `iptables -S FORWARD`: the host's own iptables (nft or legacy, whichever the distribution chose),
 * listing only. `-w` waits for the xtables lock instead of failing while flannel or Docker hold it.
 * Run through ip-tools, which also finds iptables in sbin when sudo's PATH lacks it.
 */
export async function readIptablesForward(): Promise<CommandOutput> {
  const result = await runTool('iptables', ['-w', '5', '-S', 'FORWARD']);
  if (result === undefined) return { kind: 'missing' };
  if (result.code === 0) return { kind: 'ok', stdout: result.stdout };
  return { kind: 'failed', message: result.stderr.trim().split('\n')[0] || `exit ${result.code}` };
}

/** Entries of a directory that are not directories, or undefined when the directory does not exist. */
export async function listFiles(dir: string): Promise<string[] | undefined> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => !e.isDirectory()).map((e) => e.name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** A /proc file's trimmed text, or undefined (the process has gone, or it cannot be read). */
function readProcSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Linux's USER_HZ: /proc/<pid>/stat counts a process's start in these ticks since boot (100 on every mainstream architecture). */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * When the oldest running process named `comm` (/proc/<pid>/comm, at most 15 characters) started, in ms
 * since the epoch: its start time in /proc/<pid>/stat (field 22, ticks since boot) plus the boot time
 * (/proc/stat btime). undefined when none runs or /proc cannot be read.
 */
export async function processStartedAt(comm: string): Promise<number | undefined> {
  const pids = await readdir('/proc').catch(() => [] as string[]);
  const boot = Number(/^btime (\d+)$/m.exec((await readProcValue('/proc/stat').catch(() => undefined)) ?? '')?.[1]);
  if (!Number.isFinite(boot)) return undefined;
  let oldest: number | undefined;
  for (const pid of pids.filter((p) => /^\d+$/.test(p))) {
    // Read synchronously: a few bytes the kernel makes up on the spot, no disk behind them. One await
    // per process cost 40–60 ms for ~100 processes on a busy machine (each a thread-pool round trip);
    // this loop takes ~2 ms.
    if (readProcSync(`/proc/${pid}/comm`) !== comm.slice(0, 15)) continue;
    const stat = readProcSync(`/proc/${pid}/stat`);
    // Fields after the command (which may hold spaces, in parentheses): state is field 3, starttime 22.
    const ticks = Number(stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    if (!Number.isFinite(ticks)) continue;
    const started = boot * 1000 + (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
    if (oldest === undefined || started < oldest) oldest = started;
  }
  return oldest;
}
