/**
 * Helpers for the fault and interrupt end-to-end tests (test/e2e/faults-*.test.ts, interrupt-*.test.ts):
 * run the CLI paused at a step (the IGNITE_NET_TEST_PAUSE_AT hook, see docs/development.md), read a
 * host's overlay health directly from Docker, subnet.env and etcd, and the state file.
 */
import type { ExecutionContext } from 'ava';
import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from '../../src/args.js';
import type { Options } from '../../src/options.js';
import { TEST_PAUSE_ENV } from '../../src/commands/command.js';
import { CNI_FILES, CNI_PLUGINS, CONTAINER_NAMES, LABELS } from '../../src/defaults.js';
import { leaseSubnet, parseSubnetEnv } from '../../src/net/subnet-env.js';
import { CLI, describe, etcdctl, etcdGetPrefix } from './cli.js';
import type { SimHost } from './hosts.js';
import { TEST_CNI_PLUGIN_SCRIPT } from './images.js';

/** Options as the CLI would parse them for `argv`, to ask a command module for its steps. */
export function optionsFor(argv: string[]): Options {
  const parsed = parseArgs(argv, {});
  if (parsed.kind !== 'run') throw new Error(`not a command: ${argv.join(' ')}`);
  return parsed.options;
}

export interface CliRun {
  child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr holds the hook's marker line for `stepId` (rejects after timeoutMs). */
  paused(timeoutMs?: number): Promise<void>;
  /** Resolves once stderr matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/**
 * Ctrl-C at the pause: sends SIGINT once the run is paused and checks what every interrupt must give —
 * exit 130 within seconds and "error: interrupted". Returns the result and a printable description.
 */
export async function interruptAtPause(t: ExecutionContext, run: CliRun): Promise<{ result: Awaited<CliRun['exited']>; output: string }> {
  await run.paused();
  const sent = Date.now();
  run.child.kill('SIGINT');
  const result = await run.exited;
  const took = Date.now() - sent;
  const output = describe({ ...result, timedOut: false });
  t.is(result.code, 130, output);
  t.true(took < 20_000, `stopped within seconds (took ${took} ms)\n${output}`);
  t.regex(result.stderr, /error: interrupted/, output);
  return { result, output };
}

/** Each expected undo line appears exactly once, newest first, and nothing else was undone. */
export function assertUndoneOnceNewestFirst(t: ExecutionContext, stderr: string, expected: RegExp[], output: string): void {
  const lines = stderr.split('\n');
  const positions = expected.map((pattern) => {
    t.is(countMatches(stderr, pattern), 1, `${pattern} exactly once\n${output}`);
    return lines.findIndex((line) => pattern.test(line));
  });
  t.deepEqual([...positions].sort((a, b) => b - a), positions, `undone newest first\n${output}`);
  t.is(countMatches(stderr, /undone/), expected.length, `nothing else undone\n${output}`);
}

/** The hook's marker line for `<step>` (before it) or `<step>:<n>` (after its n-th change); any, without. */
function pauseMarker(pauseAt: string | undefined): RegExp {
  if (pauseAt === undefined) return new RegExp(`${TEST_PAUSE_ENV}: paused (before|in) step \\S+ `);
  const [stepId, change] = pauseAt.split(':');
  return new RegExp(`${TEST_PAUSE_ENV}: paused ${change === undefined ? `before step ${escapeRegex(stepId ?? '')}` : `in step ${escapeRegex(stepId ?? '')} after change ${change}`} `);
}

/**
 * Starts the built CLI inside `host` (plain output, no TTY), optionally paused before `pauseAt`.
 * The child's pid is the CLI's own (nsenter execs it), so `child.kill('SIGINT')` is a Ctrl-C.
 */
export function startCli(host: SimHost, args: string[], pauseAt?: string, timeoutFlag = '40s'): CliRun {
  const child = host.spawn(process.execPath, [CLI, ...args, '--timeout', timeoutFlag], {
    env: { CI: 'true', NO_COLOR: '1', ...(pauseAt === undefined ? {} : { [TEST_PAUSE_ENV]: pauseAt }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const watchers: { pattern: RegExp; resolve: () => void }[] = [];
  const check = (): void => {
    for (const w of [...watchers]) {
      if (w.pattern.test(err)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.on('data', (chunk: Buffer) => void (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    check();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err }));
  });
  const waitFor = (pattern: RegExp, timeoutMs = 60_000): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} on stderr within ${timeoutMs} ms\n--- stderr\n${err}\n--- stdout\n${out}`)), timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      watchers.push({ pattern, resolve: done });
      void exited.then(() => {
        if (watchers.some((w) => w.resolve === done)) {
          clearTimeout(timer);
          reject(new Error(`the CLI exited before ${pattern} appeared\n--- stderr\n${err}\n--- stdout\n${out}`));
        }
      });
      check();
    });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    paused: (timeoutMs) => waitFor(pauseMarker(pauseAt), timeoutMs),
    waitFor,
    exited,
  };
}

export interface ManagedContainer {
  name: string;
  id: string;
  state: string;
  restartCount: number;
  startedAt: string;
}

export async function managedContainers(host: SimHost): Promise<ManagedContainer[]> {
  const list = await host.docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } });
  const out = await Promise.all(
    list.map(async (c) => {
      const info = await host.docker.getContainer(c.Id).inspect();
      return { name: info.Name.replace(/^\//, ''), id: c.Id, state: info.State.Status, restartCount: info.RestartCount, startedAt: info.State.StartedAt };
    }),
  );
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export async function readSubnetEnv(host: SimHost): Promise<string | undefined> {
  try {
    return leaseSubnet(parseSubnetEnv(await readFile(join(host.dirs.runDir, 'subnet.env'), 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** subnet → PublicIP of every lease key in the overlay's etcd (read with etcdctl from `via`). */
export async function leases(via: SimHost, etcdHost: string): Promise<Map<string, string>> {
  const kvs = await etcdGetPrefix(via, etcdHost, '/coreos.com/network/subnets/');
  const out = new Map<string, string>();
  for (const [key, value] of kvs) {
    const subnet = key.slice('/coreos.com/network/subnets/'.length).replace('-', '/');
    out.set(subnet, (JSON.parse(value) as { PublicIP: string }).PublicIP);
  }
  return out;
}

/** The state file as the CLI sees it inside the host (default --state-dir), or undefined. */
export async function readHostState(host: SimHost): Promise<Record<string, unknown> | undefined> {
  const r = await host.exec('cat', ['/var/lib/ignite-net/state.json']);
  if (r.code !== 0) return undefined;
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Polls `probe` until it returns a value other than undefined. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Waits until `host` is healthy as one overlay member and returns its subnet: the expected containers
 * running, subnet.env written, and the lease for that subnet in etcd naming this host as PublicIP.
 */
export async function waitHealthy(host: SimHost, etcdHost: SimHost, role: 'init' | 'joined', timeoutMs = 40_000): Promise<string> {
  const names = role === 'init' ? [CONTAINER_NAMES.etcd, CONTAINER_NAMES.flannel] : [CONTAINER_NAMES.flannel];
  return eventually(
    `${host.name} healthy`,
    async () => {
      const containers = await managedContainers(host);
      if (containers.map((c) => c.name).join() !== [...names].sort().join()) return undefined;
      if (!containers.every((c) => c.state === 'running')) return undefined;
      const subnet = await readSubnetEnv(host);
      if (subnet === undefined) return undefined;
      const all = await leases(etcdHost, etcdHost.address);
      return all.get(subnet) === host.address ? subnet : undefined;
    },
    timeoutMs,
  );
}

/** Whether the host's CNI conf dir holds our conflist. */
export async function hasOurConflist(host: SimHost): Promise<boolean> {
  try {
    await readFile(join(host.dirs.cniConfDir, CNI_FILES.ours), 'utf8');
    return true;
  } catch {
    return false;
  }
}

/** How many lines of `text` match `pattern`. */
export function countMatches(text: string, pattern: RegExp): number {
  return text.split('\n').filter((line) => pattern.test(line)).length;
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Writes a marker key through etcdctl (as root on a secure overlay's init host, see etcdctlEnv); "nothing lost" tests read it back after each fault. */
export async function putMarker(via: SimHost, etcdHost: string, key: string, value: string): Promise<void> {
  const r = await etcdctl(via, etcdHost, ['put', key, value]);
  if (r.code !== 0) throw new Error(`etcdctl put failed: ${r.stderr}`);
}

export async function getMarker(via: SimHost, etcdHost: string, key: string): Promise<string | undefined> {
  return (await etcdGetPrefix(via, etcdHost, key)).get(key);
}

/** `ignite-net status --json` inside the host, parsed (the document's own exitCode and verdict included). */
export interface StatusDoc {
  verdict?: string;
  exitCode?: number;
  thisHost?: { subnet?: string };
  security?: { tls: boolean; identity?: string };
  problems?: { severity: string; code: string; message: string }[];
}

export async function statusJson(host: SimHost): Promise<{ code: number | null; doc: StatusDoc }> {
  const r = await host.exec(process.execPath, [CLI, 'status', '--json'], { timeoutMs: 60_000, env: { CI: 'true', NO_COLOR: '1' } });
  try {
    return { code: r.code, doc: JSON.parse(r.stdout) as StatusDoc };
  } catch {
    throw new Error(`status --json printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** Waits until `status --json` on the host says healthy (exit 0) with `subnet` as this host's lease; returns that document. */
export async function waitStatusHealthy(host: SimHost, subnet: string, timeoutMs = 30_000): Promise<StatusDoc> {
  let last = '';
  return eventually(
    `${host.name}: status --json healthy with ${subnet}`,
    async () => {
      const { code, doc } = await statusJson(host);
      last = JSON.stringify({ code, verdict: doc.verdict, subnet: doc.thisHost?.subnet, problems: doc.problems });
      return code === 0 && doc.verdict !== 'unhealthy' && doc.thisHost?.subnet === subnet ? doc : undefined;
    },
    timeoutMs,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; last: ${last}`);
  });
}

/**
 * A real host has the CNI plugins installed (status counts missing ones, and ones that do not answer
 * VERSION, as errors): stand-in scripts that answer VERSION as the real ones do (TEST_CNI_PLUGIN_SCRIPT).
 */
export async function installCniPlugins(hosts: readonly SimHost[]): Promise<void> {
  for (const host of hosts) {
    for (const plugin of CNI_PLUGINS) await writeFile(join(host.dirs.cniBinDir, plugin), TEST_CNI_PLUGIN_SCRIPT, { mode: 0o755 });
  }
}

/** flannel's devices (flannel0, flannel.<VNI>, …) in the host's network namespace. */
export async function flannelLinks(host: SimHost): Promise<string[]> {
  const r = await host.exec('ip', ['-j', 'link', 'show']);
  if (r.code !== 0) throw new Error(`ip link show failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname).filter((name) => name.startsWith('flannel'));
}
