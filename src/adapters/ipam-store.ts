/**
 * host-local's store of our CNI network and the facts that tell whether an allocation's owner is
 * still there (cni/ipam-stale.ts decides): Ignite's VM dirs and the addresses inside the network
 * namespaces in use. Freeing happens under host-local's own lock (`<store>/lock`, flock(2)), taken
 * with util-linux's flock(1) since Node has no flock: a concurrent ADD or DEL waits for us, and each
 * file is read again under the lock and removed only while it still is what was judged stale.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isAllocationFile, parseAllocationFile, type Allocation } from '../cni/ipam-stale.js';
import { runTool } from './ip-tools.js';

export type StoreRead = { kind: 'missing' } | { kind: 'unreadable'; problem: string } | { kind: 'ok'; allocations: Allocation[] };

const errCode = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? String(error);

/** Every allocation in the store dir, with its owner and when it was made. */
export async function readStore(dir: string): Promise<StoreRead> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    return errCode(error) === 'ENOENT' ? { kind: 'missing' } : { kind: 'unreadable', problem: `cannot read ${dir}: ${errCode(error)}` };
  }
  const allocations: Allocation[] = [];
  for (const name of names.filter(isAllocationFile).sort()) {
    try {
      const path = join(dir, name);
      const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      allocations.push({ address: name, ...parseAllocationFile(text), since: info.mtimeMs });
    } catch (error) {
      // Released between the listing and the read: nothing to judge.
      if (errCode(error) === 'ENOENT') continue;
      return { kind: 'unreadable', problem: `cannot read ${join(dir, name)}: ${errCode(error)}` };
    }
  }
  return { kind: 'ok', allocations };
}

/** VM ids with a dir under Ignite's VM dir (none when it does not exist); undefined when it cannot be read. */
export async function listIgniteVms(vmDir: string): Promise<Set<string> | undefined> {
  try {
    return new Set(await readdir(vmDir));
  } catch (error) {
    return errCode(error) === 'ENOENT' ? new Set() : undefined;
  }
}

/**
 * The IPv4 addresses in every network namespace in use: each process's (/proc/<pid>/ns/net, one per
 * namespace) and each named one (/run/netns, which `ip netns add` keeps without a process), read with
 * `nsenter --net=<ns> ip -j -4 addr show`. undefined when /proc cannot be listed or the tools are missing.
 */
export async function netnsAddresses(): Promise<Set<string> | undefined> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const byNamespace = new Map<string, string>();
  for (const pid of pids) {
    const path = `/proc/${pid}/ns/net`;
    const id = await readlink(path).catch(() => undefined);
    if (id !== undefined && !byNamespace.has(id)) byNamespace.set(id, path);
  }
  for (const dir of ['/run/netns', '/var/run/netns']) {
    for (const name of (await readdir(dir).catch(() => [])) as string[]) {
      const path = join(dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info !== undefined) byNamespace.set(`named:${info.dev}:${info.ino}`, path);
    }
  }
  const addresses = new Set<string>();
  for (const path of byNamespace.values()) {
    const result = await runTool('nsenter', [`--net=${path}`, 'ip', '-j', '-4', 'addr', 'show']);
    if (result === undefined) return undefined;
    // A process that exited meanwhile took its namespace along: nothing in use there.
    if (result.code !== 0) continue;
    try {
      for (const link of JSON.parse(result.stdout) as { addr_info?: { local?: string }[] }[]) {
        for (const info of link.addr_info ?? []) if (info.local) addresses.add(info.local);
      }
    } catch {
      continue;
    }
  }
  return addresses;
}

export type ReleaseResult = { freed: string[]; skipped: { address: string; why: string }[] } | { lockProblem: string };

/**
 * Removes the files of the given allocations while holding host-local's lock; each file is read again
 * under the lock and removed only when its owner and time are still those judged stale.
 */
export async function releaseAllocations(dir: string, allocations: readonly Allocation[], lockTimeoutSec = 10): Promise<ReleaseResult> {
  const lock = await holdLock(join(dir, 'lock'), lockTimeoutSec);
  if ('problem' in lock) return { lockProblem: lock.problem };
  const freed: string[] = [];
  const skipped: { address: string; why: string }[] = [];
  try {
    for (const a of allocations) {
      const path = join(dir, a.address);
      try {
        const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
        if (parseAllocationFile(text).containerId !== a.containerId || info.mtimeMs !== a.since) {
          skipped.push({ address: a.address, why: 'allocated again meanwhile' });
          continue;
        }
        await rm(path);
        freed.push(a.address);
      } catch (error) {
        skipped.push({ address: a.address, why: errCode(error) === 'ENOENT' ? 'already released' : `cannot remove it: ${errCode(error)}` });
      }
    }
  } finally {
    await lock.release();
  }
  return { freed, skipped };
}

/**
 * flock(1) on the lock file, holding it while its child (`sh -c 'echo locked; read _'`) waits on stdin;
 * closing stdin releases it. host-local creates the lock file itself; so does flock when it is missing.
 */
async function holdLock(path: string, timeoutSec: number): Promise<{ release(): Promise<void> } | { problem: string }> {
  return new Promise((resolve) => {
    const child = spawn('flock', ['-w', String(timeoutSec), path, 'sh', '-c', 'echo locked; read _'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let settled = false;
    const exited = new Promise<void>((done) => child.once('close', () => done()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    child.once('error', (error) => {
      settled = true;
      resolve({ problem: `cannot take host-local's lock ${path}: ${errCode(error) === 'ENOENT' ? 'flock (util-linux) is not installed' : errCode(error)}` });
    });
    child.stdout.once('data', () => {
      settled = true;
      resolve({
        release: async () => {
          child.stdin.end();
          await exited;
        },
      });
    });
    child.once('close', (code) => {
      if (!settled) resolve({ problem: `cannot take host-local's lock ${path} within ${timeoutSec}s (flock exited ${String(code)}${stderr.trim() ? `: ${stderr.trim()}` : ''})` });
    });
  });
}
