/**
 * Simulated hosts for end-to-end tests: several "Linux hosts" on one machine.
 *
 * Each host is
 *   - a network namespace `ignt-h<id>-<name>` with loopback up, one veth (`ig<id>h<i>`) carrying its
 *     address on a private test segment 10.231.<x>.0/24 and `default dev <veth>` (flannel and the
 *     product's address detection want a default route; nothing leaves: the namespaces have no link
 *     to the outside);
 *   - a persistent private mount namespace (a file under `<root>/ns/`, made with
 *     `unshare --mount=<file> --propagation slave`) in which /sys is remounted for the host's network
 *     namespace and the machine's cgroup hierarchies are mounted again (see QUIRKS below);
 *   - its own `dockerd` (with its own managed containerd) started inside both namespaces, with its own
 *     data root, exec root, pidfile, socket and cgroup parent, `--bridge=none --iptables=false`.
 * All veths end on one bridge `ig<id>br` inside a dedicated switch namespace `ignt-h<id>-sw`; nothing
 * is created in the root network namespace.
 *
 * Everything a host runs (`exec`, `spawn`, dockerd) enters both namespaces with `nsenter`, so a
 * `--net host` container of that dockerd lives in the host's network namespace, and a command run with
 * `exec` sees the same files as that dockerd (which matters in `bindDefaultPaths` mode).
 *
 * QUIRKS met on the reference machine (Debian 12, dockerd 20.10, cgroup v1, kernel without
 * CONFIG_DUMMY):
 *   - `ip netns exec` (and any fresh sysfs mount) drops the cgroup v1 mounts under /sys/fs/cgroup and
 *     dockerd dies with "Devices cgroup isn't mounted": the setup script mounts a tmpfs at
 *     /sys/fs/cgroup and every hierarchy the machine has (read from /proc/self/mountinfo) again.
 *   - dockerd's graceful shutdown waits each running container's stop timeout (10 s by default) when
 *     the container ignores SIGTERM (e.g. `sleep` as PID 1): give test containers `StopTimeout` or a
 *     process that handles SIGTERM, or restarts take 10 s.
 *   - `ip link add … type dummy` fails ("Unknown device type"); veth, bridge, tun, vxlan work.
 *   - `process.kill(pid, 0)` succeeds on zombies, so "has it exited" is read from /proc/<pid>/stat.
 *   - This machine's PID 1 reaps orphans only every second or so. After dockerd is SIGKILLed its
 *     containerd dies too and stays a zombie for a moment; a new dockerd sees the PID of
 *     <exec-root>/containerd/containerd.pid "still running", waits, and fails with "timeout waiting
 *     for containerd to start". startDockerd() removes that pidfile unless it names a live containerd
 *     of this host.
 *   - Every dockerd reads /etc/docker/key.json unless told otherwise, so all had the same engine ID:
 *     each host's daemon.json sets `deprecated-key-path` (a daemon.json key in 20.10, not a flag).
 *   - `ip netns exec` makes a fresh mount namespace per command, so a bind mount made in one call is
 *     gone in the next; hosts use one persistent mount namespace each instead (unshare --mount=<file>,
 *     whose directory must be a private mount) and every command enters it with nsenter. Do not run a
 *     host's commands with `ip netns exec`: they would miss its cgroup mounts and bind mounts.
 *
 * Network rule: the test segment and the namespaces are private; nothing here talks to any address
 * outside the namespaces it created (or loopback).
 *
 * Needs root, iproute2, util-linux (nsenter/unshare), docker.io (dockerd, containerd, runc).
 */
import { spawn as spawnProcess } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, rmdir, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { isAlive } from './proc.js';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export interface ExecOptions {
  /** Extra environment; merged over process.env and `DOCKER_HOST=<this host's dockerd>`. */
  env?: Record<string, string | undefined>;
  /** Kill (SIGKILL) the command after this long; the result then has `timedOut: true`. */
  timeoutMs?: number;
  /** Written to the command's stdin, which is then closed. */
  input?: string | Buffer;
  cwd?: string;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface HostDirs {
  /** This host's directory under the shared temp root. */
  root: string;
  /** Pass as `--cni-conf-dir` (stands for /etc/cni/net.d). */
  cniConfDir: string;
  /** Pass as `--cni-bin-dir` (stands for /opt/cni/bin). */
  cniBinDir: string;
  /** Pass as `--run-dir` (stands for /run/flannel). */
  runDir: string;
  /** Stands for /var/lib/cni (CNI plugin state: networks/, flannel/). */
  cniStateDir: string;
  /** A free per-host directory for the product's own state file, if a test wants one. */
  stateDir: string;
  dockerDataRoot: string;
  dockerExecRoot: string;
  dockerLog: string;
}

export interface StopDockerdOptions {
  /** SIGTERM (default): graceful, dockerd stops its containers and containerd. SIGKILL: a crash,
   * containerd, shims and containers stay up (as after a real dockerd crash). */
  signal?: 'SIGTERM' | 'SIGKILL';
  /** How long to wait for exit before SIGKILL; default 30 s. */
  timeoutMs?: number;
}

export interface SimHost {
  /** e.g. 'node1' */
  readonly name: string;
  /** 1-based position. */
  readonly index: number;
  /** Network namespace name, e.g. 'ignt-h3fa9c-node1' (usable with `ip netns exec`, `ip -n`). */
  readonly netns: string;
  /** Path of the persistent mount namespace file (for `nsenter --mount=`). */
  readonly mountNs: string;
  /** IPv4 address on the shared segment, e.g. '10.231.57.11'. */
  readonly address: string;
  readonly prefixLength: number;
  /** The host's only non-loopback interface (the veth), carries `address` and the default route. */
  readonly iface: string;
  /** 'unix:///…/docker.sock' of this host's dockerd. */
  readonly dockerHost: string;
  readonly socketPath: string;
  readonly dirs: HostDirs;
  /** Client for this host's dockerd (stays valid across restartDockerd()). */
  readonly docker: Dockerode;
  /** The argv prefix that runs a command inside this host: ['nsenter', '--mount=…', '--net=…', '--']. */
  readonly nsenterPrefix: readonly string[];
  /** PID of the running dockerd, if any. */
  dockerdPid(): number | undefined;
  /** process.env + DOCKER_HOST for this host + extra. */
  env(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv;
  /** Run a command inside the host (its network and mount namespaces); never rejects on exit code. */
  exec(cmd: string, args: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Same as exec, but returns the child (pid is the command's own pid: nsenter execs it). */
  spawn(cmd: string, args: string[], opts?: { env?: Record<string, string | undefined>; cwd?: string; stdio?: SpawnOptions['stdio'] }): ChildProcess;
  /** Copy images from another daemon (docker save → docker load, through the API). */
  loadImages(names: string[], from: Dockerode): Promise<void>;
  startDockerd(): Promise<void>;
  stopDockerd(opts?: StopDockerdOptions): Promise<void>;
  /** stopDockerd(opts) then startDockerd(), same data root; restart-policy containers come back. */
  restartDockerd(opts?: StopDockerdOptions): Promise<void>;
  /**
   * Simulated power cut + boot: SIGKILL every process of this host (dockerd, containerd, shims,
   * containers), delete every link except lo and its veth (flannel0, cni0, …), restore its address and
   * default route, empty runDir (it stands for /run, a tmpfs), then start dockerd again.
   */
  reboot(): Promise<void>;
  /** Take the host off the segment (switch side of its veth down) / put it back. */
  disconnect(): Promise<void>;
  reconnect(): Promise<void>;
  /** Last lines of this host's dockerd log. */
  dockerdLogTail(lines?: number): string;
}

export interface SimHosts {
  hosts: SimHost[];
  /** Short random id in every name (namespaces 'ignt-h<id>-…', links 'ig<id>…'). */
  id: string;
  /** The test segment, e.g. '10.231.57.0/24'. */
  subnet: string;
  /** Temp root holding every host's directories. */
  root: string;
  switchNetns: string;
  bridge: string;
  /** Idempotent; works after a half-failed create or test. */
  destroy(): Promise<void>;
}

export interface CreateHostsOptions {
  /** Host names are `${namePrefix}${i}`; default 'node'. */
  namePrefix?: string;
  /** Start a dockerd per host (default true). */
  startDockerd?: boolean;
  /** Load these images from `imagesFrom` into every host after its dockerd answers. */
  images?: string[];
  imagesFrom?: Dockerode;
  /**
   * Closer to a real host: in each host's mount namespace bind-mount its dirs over /etc/cni/net.d,
   * /opt/cni/bin, /run/flannel and /var/lib/cni, put a private tmpfs on /run (its dockerd then also
   * listens on /run/docker.sock = /var/run/docker.sock), so the CLI run with `host.exec` works with
   * its defaults. Missing mount points are created in a per-host overlay over /etc, /opt and /var/lib
   * (the real host's tree is never written). Default false.
   */
  bindDefaultPaths?: boolean;
  /**
   * Host name → a directory the test made, bind-mounted over /etc/ignite in that host's mount
   * namespace (needs bindDefaultPaths: the mount point is made in the host's /etc overlay). A host not
   * named has no /etc/ignite, as a host without Ignite. The test writes config.yaml there itself.
   */
  igniteDirs?: Record<string, string>;
  /** Extra dockerd flags. */
  dockerdArgs?: string[];
  /** Per-dockerd start timeout, default 30 s. */
  dockerdTimeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Constants and small utilities
// ---------------------------------------------------------------------------------------------

const NS_PREFIX = 'ignt-h';
const ROOT_PREFIX = 'ignt-h';
const TEST_RANGE_SECOND_OCTET = 231; // 10.231.0.0/16, far from the overlay default 10.50.0.0/16
const ADDRESS_OFFSET = 10; // node1 = .11, node2 = .12, …
const NETNS_DIR = '/run/netns';
const CGROUP_ROOT = '/sys/fs/cgroup';
const OWNER_FILE = 'owner.json';

type RunResult = ExecResult;

/** Run a command in the root namespaces; never rejects on exit code. */
function run(cmd: string, args: readonly string[], opts: ExecOptions & { envAll?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnProcess(cmd, args, {
      env: opts.envAll ?? { ...process.env, ...opts.env },
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, opts.timeoutMs);
    }
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
    child.stdin?.on('error', () => {
      /* the command may exit without reading its stdin */
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Run and throw with stderr when the exit code is not 0. */
async function must(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.code ?? r.signal}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function processStartTime(pid: number): string | undefined {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 (starttime), counted after pid and comm
  } catch {
    return undefined;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/** SIGTERM (optional), wait, then SIGKILL and wait, for processes we know by PID. */
async function endPids(pids: readonly number[], termFirstMs: number): Promise<void> {
  const live = pids.filter(isAlive);
  if (live.length === 0) return;
  if (termFirstMs > 0) {
    for (const p of live) killPid(p, 'SIGTERM');
    await Promise.all(live.map((p) => waitForExit(p, termFirstMs)));
  }
  const still = live.filter(isAlive);
  for (const p of still) killPid(p, 'SIGKILL');
  await Promise.all(still.map((p) => waitForExit(p, 5_000)));
}

function tail(file: string, lines = 30): string {
  try {
    const all = readFileSync(file, 'utf8').split('\n');
    return all.slice(-lines - 1).join('\n');
  } catch {
    return '(no log)';
  }
}

interface MountInfo {
  mountPoint: string;
  fsType: string;
  superOptions: string;
}

function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const mountPoint = left[4];
    const fsType = right[0];
    const superOptions = right[2];
    if (mountPoint === undefined || fsType === undefined || superOptions === undefined) continue;
    out.push({ mountPoint: mountPoint.replace(/\\040/g, ' '), fsType, superOptions });
  }
  return out;
}

/** Shell lines that mount the machine's cgroup hierarchies again under a fresh /sys. */
function cgroupMountScript(): string {
  const mounts = parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')).filter(
    (m) => m.mountPoint === CGROUP_ROOT || m.mountPoint.startsWith(`${CGROUP_ROOT}/`),
  );
  const lines: string[] = [];
  const pure2 = mounts.find((m) => m.mountPoint === CGROUP_ROOT && m.fsType === 'cgroup2');
  if (pure2) return `mount -t cgroup2 cgroup2 ${CGROUP_ROOT}`;
  lines.push(`mount -t tmpfs -o mode=755 cgroup ${CGROUP_ROOT}`);
  for (const m of mounts) {
    if (m.mountPoint === CGROUP_ROOT) continue;
    const opts = m.superOptions
      .split(',')
      .filter((o) => o !== 'rw' && o !== 'ro')
      .join(',');
    lines.push(`mkdir -p ${shq(m.mountPoint)}`);
    if (m.fsType === 'cgroup2') lines.push(`mount -t cgroup2 cgroup2 ${shq(m.mountPoint)}`);
    else if (m.fsType === 'cgroup') {
      const hasController = opts.split(',').some((o) => o && !o.startsWith('name=') && !['none', 'clone_children', 'noprefix', 'xattr'].includes(o) && !o.startsWith('release_agent='));
      const o = hasController ? opts : `none,${opts}`;
      lines.push(`mount -t cgroup -o ${shq(o)} cgroup ${shq(m.mountPoint)}`);
    }
  }
  return lines.join('\n');
}

/** Every cgroup hierarchy mount point on this machine (v1 controllers and/or v2). */
function cgroupHierarchies(): string[] {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'))
    .filter((m) => (m.fsType === 'cgroup' || m.fsType === 'cgroup2') && (m.mountPoint === CGROUP_ROOT || m.mountPoint.startsWith(`${CGROUP_ROOT}/`)))
    .map((m) => m.mountPoint);
}

/** PIDs in a cgroup subtree (any hierarchy), read from cgroup.procs. */
async function cgroupPids(dir: string): Promise<number[]> {
  const pids: number[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      const txt = await readFile(join(d, 'cgroup.procs'), 'utf8');
      for (const l of txt.split('\n')) if (l.trim()) pids.push(Number(l));
    } catch {
      /* not a cgroup dir */
    }
    for (const e of entries) if (e.isDirectory()) await walk(join(d, e.name));
  };
  await walk(dir);
  return pids;
}

/** rmdir a cgroup subtree depth-first (cgroup dirs can only be removed empty, with rmdir). */
async function removeCgroupTree(dir: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) await removeCgroupTree(join(dir, e.name));
  for (let i = 0; i < 20; i++) {
    try {
      await rmdir(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      await sleep(50); // EBUSY while the last task is still exiting
    }
  }
}

async function netnsPids(netns: string): Promise<number[]> {
  if (!existsSync(join(NETNS_DIR, netns))) return [];
  const r = await run('ip', ['netns', 'pids', netns]);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** Kill (SIGKILL) every process of a simulated host: in its netns, or in its containers' cgroups. */
async function killHostProcesses(netns: string, cgroupParent: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const pids = new Set<number>(await netnsPids(netns));
    for (const h of cgroupHierarchies()) for (const p of await cgroupPids(join(h, cgroupParent))) pids.add(p);
    pids.delete(process.pid);
    const live = [...pids].filter(isAlive);
    if (live.length === 0) return;
    for (const p of live) killPid(p, 'SIGKILL');
    await Promise.all(live.map((p) => waitForExit(p, 5_000)));
  }
}

async function removeCgroupParent(cgroupParent: string): Promise<void> {
  await Promise.all(cgroupHierarchies().map((h) => removeCgroupTree(join(h, cgroupParent))));
}

function mountPointsUnder(prefix: string): string[] {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'))
    .map((m) => m.mountPoint)
    .filter((p) => p === prefix || p.startsWith(`${prefix}/`))
    .sort((a, b) => b.length - a.length);
}

async function unmountUnder(prefix: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const mps = mountPointsUnder(prefix);
    if (mps.length === 0) return;
    for (const mp of mps) await run('umount', [mp]).then(async (r) => (r.code === 0 ? r : run('umount', ['-l', mp])));
  }
}

async function netnsList(): Promise<string[]> {
  try {
    return await readdir(NETNS_DIR);
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Stale state from crashed runs
// ---------------------------------------------------------------------------------------------

interface Owner {
  pid: number;
  startTime: string | undefined;
}

function ownerAlive(o: Owner): boolean {
  return isAlive(o.pid) && processStartTime(o.pid) === o.startTime;
}

async function readOwner(root: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(join(root, OWNER_FILE), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

/**
 * Remove what a previous, crashed run left: `ignt-h*` namespaces (and every process in them or in
 * their containers' cgroups), their mounts and temp roots — only those whose owning process is gone,
 * so hosts of a concurrent live run are left alone. Returns the ids removed.
 */
export async function cleanupStaleHosts(): Promise<string[]> {
  const base = tmpdir();
  const ids = new Map<string, { root?: string; netns: string[]; names: Set<string> }>();
  const entry = (id: string): { root?: string; netns: string[]; names: Set<string> } => {
    const e = ids.get(id) ?? { netns: [], names: new Set<string>() };
    ids.set(id, e);
    return e;
  };
  for (const ns of await netnsList()) {
    const m = /^ignt-h([0-9a-f]+)-(.+)$/.exec(ns);
    if (!m || m[1] === undefined || m[2] === undefined) continue;
    const e = entry(m[1]);
    e.netns.push(ns);
    e.names.add(m[2]);
  }
  // Cgroup parents of hosts whose namespaces are already gone (a crash in the middle of a teardown).
  for (const h of cgroupHierarchies()) {
    let names: string[] = [];
    try {
      names = await readdir(h);
    } catch {
      continue;
    }
    for (const n of names) {
      const m = /^ignt-h([0-9a-f]+)-(.+)$/.exec(n);
      if (m?.[1] !== undefined && m[2] !== undefined) entry(m[1]).names.add(m[2]);
    }
  }
  let roots: string[] = [];
  try {
    roots = (await readdir(base)).filter((n) => /^ignt-h[0-9a-f]+$/.test(n));
  } catch {
    /* no tmp */
  }
  for (const r of roots) {
    const id = r.slice(ROOT_PREFIX.length);
    entry(id).root = join(base, r);
  }
  const removed: string[] = [];
  for (const [id, e] of ids) {
    // A namespace without its temp root is stale: roots are created (with the owner) before namespaces
    // and removed after them.
    if (e.root) {
      const owner = await readOwner(e.root);
      if (owner && ownerAlive(owner)) continue;
      if (!owner) {
        // Root being created right now by someone else? Give it the benefit of a young age.
        try {
          const st = await stat(e.root);
          if (Date.now() - st.mtimeMs < 10_000) continue;
        } catch {
          continue;
        }
      }
    }
    await teardown({ id, root: e.root, netns: e.netns, names: [...e.names], hosts: [] });
    removed.push(id);
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------
// Teardown (shared by destroy() and cleanupStaleHosts())
// ---------------------------------------------------------------------------------------------

interface TeardownTarget {
  id: string;
  root: string | undefined;
  /** Every namespace of the set (hosts and switch). */
  netns: string[];
  /** Host names (node1, …; the switch 'sw' is harmless here): their processes and cgroups go. */
  names: string[];
  hosts: HostImpl[];
}

async function teardown(t: TeardownTarget): Promise<void> {
  // 1. Live hosts: remove containers through their dockerd, then stop it gracefully.
  await Promise.all(
    t.hosts.map(async (h) => {
      if (h.dockerdPid() !== undefined) {
        try {
          const list = await h.docker.listContainers({ all: true });
          await Promise.all(list.map((c) => h.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
        } catch {
          /* daemon not answering: the kill below handles it */
        }
        await h.stopDockerd({ signal: 'SIGTERM', timeoutMs: 15_000 }).catch(() => undefined);
      }
    }),
  );
  // 2. Whatever is left (crashed daemons, containerd, shims, containers): SIGKILL by PID.
  for (const name of t.names) {
    await killHostProcesses(`${NS_PREFIX}${t.id}-${name}`, cgroupParentFor(t.id, name));
    await removeCgroupParent(cgroupParentFor(t.id, name));
  }
  // 3. Mounts (the mount namespace files, the private bind of ns/), then namespaces, then files.
  if (t.root) await unmountUnder(t.root);
  for (const ns of t.netns) {
    if (existsSync(join(NETNS_DIR, ns))) await run('ip', ['netns', 'delete', ns]);
  }
  if (t.root) {
    await rm(t.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

function cgroupParentFor(id: string, name: string): string {
  return `${NS_PREFIX}${id}-${name}`;
}

// ---------------------------------------------------------------------------------------------
// Hosts
// ---------------------------------------------------------------------------------------------

interface HostConfig {
  id: string;
  name: string;
  index: number;
  address: string;
  prefixLength: number;
  root: string;
  nsDir: string;
  switchNetns: string;
  bindDefaultPaths: boolean;
  /** Bound over /etc/ignite (bindDefaultPaths only). */
  igniteDir: string | undefined;
  dockerdArgs: string[];
  dockerdTimeoutMs: number;
}

class HostImpl implements SimHost {
  readonly name: string;
  readonly index: number;
  readonly netns: string;
  readonly mountNs: string;
  readonly address: string;
  readonly prefixLength: number;
  readonly iface: string;
  readonly switchPort: string;
  readonly dockerHost: string;
  readonly socketPath: string;
  readonly dirs: HostDirs;
  readonly docker: Dockerode;
  readonly nsenterPrefix: readonly string[];
  readonly cgroupParent: string;
  private child: ChildProcess | undefined;
  private pid: number | undefined;
  private exited: Promise<void> | undefined;

  constructor(private readonly cfg: HostConfig) {
    this.name = cfg.name;
    this.index = cfg.index;
    this.netns = `${NS_PREFIX}${cfg.id}-${cfg.name}`;
    this.mountNs = join(cfg.nsDir, cfg.name);
    this.address = cfg.address;
    this.prefixLength = cfg.prefixLength;
    this.iface = `ig${cfg.id}h${cfg.index}`;
    this.switchPort = `ig${cfg.id}s${cfg.index}`;
    this.cgroupParent = cgroupParentFor(cfg.id, cfg.name);
    const root = join(cfg.root, cfg.name);
    this.dirs = {
      root,
      cniConfDir: join(root, 'etc-cni-net.d'),
      cniBinDir: join(root, 'opt-cni-bin'),
      runDir: join(root, 'run-flannel'),
      cniStateDir: join(root, 'var-lib-cni'),
      stateDir: join(root, 'state'),
      dockerDataRoot: join(root, 'docker-data'),
      dockerExecRoot: join(root, 'docker-exec'),
      dockerLog: join(root, 'dockerd.log'),
    };
    this.socketPath = join(root, 'docker.sock');
    this.dockerHost = `unix://${this.socketPath}`;
    this.docker = new Dockerode({ socketPath: this.socketPath });
    this.nsenterPrefix = ['nsenter', `--mount=${this.mountNs}`, `--net=${join(NETNS_DIR, this.netns)}`, '--'];
  }

  /** Namespaces, veth, addresses, mount namespace. */
  async setup(): Promise<void> {
    await Promise.all(
      [this.dirs.cniConfDir, this.dirs.cniBinDir, this.dirs.runDir, this.dirs.cniStateDir, this.dirs.stateDir, this.dirs.dockerDataRoot, this.dirs.dockerExecRoot].map((d) =>
        mkdir(d, { recursive: true }),
      ),
    );
    // Own trust key (else every dockerd reads /etc/docker/key.json and all share one engine ID).
    await writeFile(join(this.dirs.root, 'daemon.json'), JSON.stringify({ 'deprecated-key-path': join(this.dirs.root, 'key.json') }) + '\n');
    await must('ip', ['netns', 'add', this.netns]);
    await must('ip', ['link', 'add', this.iface, 'netns', this.netns, 'type', 'veth', 'peer', 'name', this.switchPort, 'netns', this.cfg.switchNetns]);
    await must('ip', ['-n', this.cfg.switchNetns, 'link', 'set', this.switchPort, 'master', `ig${this.cfg.id}br`, 'up']);
    await ipBatch(this.netns, [
      'link set lo up',
      `addr add ${this.address}/${this.prefixLength} dev ${this.iface}`,
      `link set ${this.iface} up`,
      `route add default dev ${this.iface}`,
    ]);
    await writeFile(this.mountNs, '');
    const script = ['set -e', 'umount -l /sys', 'mount -t sysfs sysfs /sys', cgroupMountScript(), ...this.bindScript()].join('\n');
    await must('nsenter', [`--net=${join(NETNS_DIR, this.netns)}`, 'unshare', `--mount=${this.mountNs}`, '--propagation', 'slave', 'sh', '-c', script]);
  }

  /** In bindDefaultPaths mode: overlays for missing mount points, private /run, bind mounts. */
  private bindScript(): string[] {
    if (!this.cfg.bindDefaultPaths) return [];
    const ovl = join(this.dirs.root, 'overlay');
    const lines: string[] = [];
    for (const [name, target] of [
      ['etc', '/etc'],
      ['opt', '/opt'],
      ['varlib', '/var/lib'],
    ] as const) {
      const up = join(ovl, name, 'upper');
      const wk = join(ovl, name, 'work');
      lines.push(`mkdir -p ${shq(up)} ${shq(wk)}`);
      lines.push(`mount -t overlay overlay -o ${shq(`lowerdir=${target},upperdir=${up},workdir=${wk}`)} ${target}`);
    }
    lines.push('mount -t tmpfs -o mode=755 run /run');
    lines.push('mkdir -p /run/lock /run/flannel /etc/cni/net.d /opt/cni/bin /var/lib/cni');
    for (const [src, dst] of [
      [this.dirs.cniConfDir, '/etc/cni/net.d'],
      [this.dirs.cniBinDir, '/opt/cni/bin'],
      [this.dirs.runDir, '/run/flannel'],
      [this.dirs.cniStateDir, '/var/lib/cni'],
    ] as const) {
      lines.push(`mount --bind ${shq(src)} ${dst}`);
    }
    if (this.cfg.igniteDir !== undefined) lines.push('mkdir -p /etc/ignite', `mount --bind ${shq(this.cfg.igniteDir)} /etc/ignite`);
    return lines;
  }

  dockerdPid(): number | undefined {
    return this.pid !== undefined && isAlive(this.pid) ? this.pid : undefined;
  }

  env(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: this.dockerHost, ...extra };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]; // `{ DOCKER_HOST: undefined }` unsets
    return env;
  }

  exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return run(this.nsenterPrefix[0] ?? 'nsenter', [...this.nsenterPrefix.slice(1), cmd, ...args], { ...opts, envAll: this.env(opts.env) });
  }

  spawn(cmd: string, args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; stdio?: SpawnOptions['stdio'] } = {}): ChildProcess {
    return spawnProcess(this.nsenterPrefix[0] ?? 'nsenter', [...this.nsenterPrefix.slice(1), cmd, ...args], {
      env: this.env(opts.env),
      cwd: opts.cwd,
      stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'],
    });
  }

  async loadImages(names: string[], from: Dockerode): Promise<void> {
    if (names.length === 0) return;
    // One tar for all names (GET /images/get?names=…), streamed straight into this daemon.
    const source = await exportImages(from, names);
    const res = await this.docker.loadImage(source, { quiet: true });
    const text = await readAll(res);
    if (/errorDetail|"error"/.test(text)) throw new Error(`${this.name}: docker load failed: ${text.trim()}`);
  }

  dockerdLogTail(lines = 30): string {
    return tail(this.dirs.dockerLog, lines);
  }

  async startDockerd(): Promise<void> {
    if (this.dockerdPid() !== undefined) return;
    await this.clearStaleContainerdPid();
    const args = [
      '--config-file', join(this.dirs.root, 'daemon.json'),
      '--data-root', this.dirs.dockerDataRoot,
      '--exec-root', this.dirs.dockerExecRoot,
      '--pidfile', join(this.dirs.root, 'dockerd.pid'),
      '-H', this.dockerHost,
      ...(this.cfg.bindDefaultPaths ? ['-H', 'unix:///run/docker.sock'] : []),
      '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--ip-forward=false',
      `--cgroup-parent=/${this.cgroupParent}`,
      '--storage-driver=overlay2',
      ...this.cfg.dockerdArgs,
    ];
    const fd = openSync(this.dirs.dockerLog, 'a');
    let child: ChildProcess;
    try {
      child = spawnProcess(this.nsenterPrefix[0] ?? 'nsenter', [...this.nsenterPrefix.slice(1), 'dockerd', ...args], {
        detached: true, // own process group: a ^C in a terminal running the tests does not hit it
        stdio: ['ignore', fd, fd],
        cwd: '/',
      });
    } finally {
      closeSync(fd);
    }
    child.unref();
    this.child = child;
    this.pid = child.pid;
    let exitInfo = '';
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = `exited with ${code ?? signal}`;
        resolve();
      });
      child.once('error', (e) => {
        exitInfo = `failed to start: ${e.message}`;
        resolve();
      });
    });
    const deadline = Date.now() + this.cfg.dockerdTimeoutMs;
    for (;;) {
      if (exitInfo) throw new Error(`${this.name}: dockerd ${exitInfo}\n--- ${this.dirs.dockerLog} (tail) ---\n${this.dockerdLogTail(25)}`);
      if (existsSync(this.socketPath)) {
        const ok = await this.docker.ping().then(
          () => true,
          () => false,
        );
        if (ok) return;
      }
      if (Date.now() > deadline) {
        await this.stopDockerd({ signal: 'SIGKILL' }).catch(() => undefined);
        throw new Error(`${this.name}: dockerd did not answer within ${this.cfg.dockerdTimeoutMs} ms\n--- ${this.dirs.dockerLog} (tail) ---\n${this.dockerdLogTail(25)}`);
      }
      await sleep(30);
    }
  }

  /**
   * dockerd reuses the containerd named in <exec-root>/containerd/containerd.pid while that PID exists.
   * After a crash (SIGKILL) its containerd dies too, but this machine's PID 1 reaps orphans only every
   * second or so: the zombie still "exists", dockerd waits for it and fails with "timeout waiting for
   * containerd to start". A real host's init reaps at once; emulate that by removing a pidfile whose
   * process is gone, a zombie, or not a containerd of this host.
   */
  private async clearStaleContainerdPid(): Promise<void> {
    const file = join(this.dirs.dockerExecRoot, 'containerd', 'containerd.pid');
    const pid = await readPidFile(file);
    if (pid === undefined) return;
    let ours = false;
    try {
      ours =
        isAlive(pid) &&
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('containerd') &&
        readlinkSync(`/proc/${pid}/ns/net`) === readlinkSync(join(NETNS_DIR, this.netns));
    } catch {
      ours = false;
    }
    if (!ours) await rm(file, { force: true });
  }

  async stopDockerd(opts: StopDockerdOptions = {}): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    const signal = opts.signal ?? 'SIGTERM';
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const exited = this.exited ?? Promise.resolve();
    if (isAlive(pid)) {
      killPid(pid, signal);
      const timer = new AbortController();
      const done = await Promise.race([
        exited.then(() => true),
        sleep(timeoutMs, undefined, { signal: timer.signal }).then(
          () => false,
          () => true,
        ),
      ]);
      timer.abort(); // do not keep the event loop (and the test worker) alive for timeoutMs
      if (!done) {
        killPid(pid, 'SIGKILL');
        await exited;
      }
    }
    // After a graceful stop dockerd has stopped its containerd; wait for it (by its pidfile).
    if (signal === 'SIGTERM') {
      const cpid = await readPidFile(join(this.dirs.dockerExecRoot, 'containerd', 'containerd.pid'));
      if (cpid !== undefined && isAlive(cpid) && (await netnsPids(this.netns)).includes(cpid)) await endPids([cpid], 10_000);
    }
    this.pid = undefined;
    this.child = undefined;
    this.exited = undefined;
  }

  async restartDockerd(opts: StopDockerdOptions = {}): Promise<void> {
    await this.stopDockerd(opts);
    await this.startDockerd();
  }

  async reboot(): Promise<void> {
    const pid = this.pid;
    await killHostProcesses(this.netns, this.cgroupParent);
    if (pid !== undefined && this.exited) await this.exited;
    this.pid = undefined;
    this.child = undefined;
    this.exited = undefined;
    // Links created at run time (flannel0, cni0, veths of containers, …) do not survive a reboot.
    const links = JSON.parse(await must('ip', ['-j', '-n', this.netns, 'link', 'show'])) as { ifname: string }[];
    for (const l of links) {
      if (l.ifname === 'lo' || l.ifname === this.iface) continue;
      await run('ip', ['-n', this.netns, 'link', 'delete', l.ifname]);
    }
    await ipBatch(this.netns, [
      `addr flush dev ${this.iface}`,
      'route flush table main',
      `addr add ${this.address}/${this.prefixLength} dev ${this.iface}`,
      `link set ${this.iface} up`,
      `route add default dev ${this.iface}`,
    ]);
    // Firewall rules live in the kernel too (flannel's FLANNEL-FWD / FLANNEL-POSTRTG, …).
    for (const table of ['filter', 'nat', 'mangle', 'raw']) {
      await run('nsenter', [`--net=${join(NETNS_DIR, this.netns)}`, 'iptables', '-t', table, '-F']);
      await run('nsenter', [`--net=${join(NETNS_DIR, this.netns)}`, 'iptables', '-t', table, '-X']);
    }
    // /run is a tmpfs on a real host.
    // Empty it, keep the directory itself (bindDefaultPaths has it bind-mounted at /run/flannel).
    await mkdir(this.dirs.runDir, { recursive: true });
    for (const e of await readdir(this.dirs.runDir)) await rm(join(this.dirs.runDir, e), { recursive: true, force: true });
    if (this.cfg.bindDefaultPaths) {
      await run(this.nsenterPrefix[0] ?? 'nsenter', [...this.nsenterPrefix.slice(1), 'find', '/run', '-mindepth', '1', '-maxdepth', '1', '!', '-name', 'flannel', '-exec', 'rm', '-rf', '{}', '+']);
    }
    await this.startDockerd();
  }

  async disconnect(): Promise<void> {
    await must('ip', ['-n', this.cfg.switchNetns, 'link', 'set', this.switchPort, 'down']);
  }

  async reconnect(): Promise<void> {
    await must('ip', ['-n', this.cfg.switchNetns, 'link', 'set', this.switchPort, 'up']);
  }
}

/** Several `ip` commands in one network namespace, one process. */
async function ipBatch(netns: string, cmds: string[]): Promise<void> {
  await must('ip', ['-n', netns, '-batch', '-'], { input: cmds.join('\n') + '\n' });
}

async function readPidFile(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

/** GET /images/get?names=a&names=b — one tar holding several images. */
async function exportImages(from: Dockerode, names: string[]): Promise<NodeJS.ReadableStream> {
  const modem = from.modem as unknown as {
    dial(opts: Record<string, unknown>, cb: (err: Error | null, res: NodeJS.ReadableStream) => void): void;
  }; // docker-modem's dial is untyped in @types/dockerode
  return new Promise((resolve, reject) => {
    modem.dial(
      { path: '/images/get?', method: 'GET', options: { names }, isStream: true, statusCodes: { 200: true, 404: 'no such image', 500: 'server error' } },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
}

/** Pick 10.231.<x>.0/24 that no route of the machine (root namespace) overlaps. */
async function pickSubnet(): Promise<number> {
  const routes = JSON.parse(await must('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) as { dst?: string }[];
  const taken = (x: number): boolean =>
    routes.some((r) => {
      if (!r.dst || r.dst === 'default') return false;
      const [net, lenStr] = r.dst.split('/');
      const len = Number(lenStr ?? '32');
      const parts = (net ?? '').split('.').map(Number);
      if (parts.length !== 4 || parts[0] !== 10) return false;
      if (len <= 8) return true;
      if (parts[1] !== TEST_RANGE_SECOND_OCTET) return false;
      if (len <= 16) return true;
      return parts[2] === x;
    });
  for (let i = 0; i < 100; i++) {
    const x = 1 + (randomBytes(1)[0] ?? 0) % 254;
    if (!taken(x)) return x;
  }
  throw new Error('no free 10.231.x.0/24 test segment');
}

/**
 * Create `count` simulated hosts (see the file comment). Calls cleanupStaleHosts() first. On any error
 * everything created so far is removed before the error is rethrown.
 */
export async function createHosts(count: number, opts: CreateHostsOptions = {}): Promise<SimHosts> {
  if (!Number.isInteger(count) || count < 1 || count > 200) throw new Error(`createHosts: bad count ${count}`);
  if (process.getuid?.() !== 0) throw new Error('createHosts needs root (network namespaces, mounts, dockerd)');
  if (opts.igniteDirs !== undefined && opts.bindDefaultPaths !== true) throw new Error('createHosts: igniteDirs needs bindDefaultPaths (the mount point is made in the host\'s /etc overlay)');
  await cleanupStaleHosts();

  let id = '';
  let root = '';
  for (;;) {
    id = randomBytes(3).toString('hex').slice(0, 5);
    root = join(tmpdir(), `${ROOT_PREFIX}${id}`);
    try {
      await mkdir(root, { recursive: false, mode: 0o755 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const owner: Owner = { pid: process.pid, startTime: processStartTime(process.pid) };
  await writeFile(join(root, OWNER_FILE), JSON.stringify(owner));

  const switchNetns = `${NS_PREFIX}${id}-sw`;
  const bridge = `ig${id}br`;
  const nsDir = join(root, 'ns');
  const hosts: HostImpl[] = [];
  const netnsNames = [switchNetns];
  let subnet = '';
  let destroyed: Promise<void> | undefined;
  const destroy = (): Promise<void> => {
    destroyed ??= teardown({ id, root, netns: netnsNames, names: hosts.map((h) => h.name), hosts });
    return destroyed;
  };

  try {
    const x = await pickSubnet();
    subnet = `10.${TEST_RANGE_SECOND_OCTET}.${x}.0/24`;
    // The directory holding the mount namespace files must not be a shared mount (unshare(1)).
    await mkdir(nsDir);
    await must('mount', ['--bind', nsDir, nsDir]);
    await must('mount', ['--make-private', nsDir]);
    await must('ip', ['netns', 'add', switchNetns]);
    await ipBatch(switchNetns, [`link add ${bridge} type bridge`, `link set ${bridge} up`, 'link set lo up']);
    for (let i = 1; i <= count; i++) {
      const h = new HostImpl({
        id,
        name: `${opts.namePrefix ?? 'node'}${i}`,
        index: i,
        address: `10.${TEST_RANGE_SECOND_OCTET}.${x}.${ADDRESS_OFFSET + i}`,
        prefixLength: 24,
        root,
        nsDir,
        switchNetns,
        bindDefaultPaths: opts.bindDefaultPaths ?? false,
        igniteDir: opts.igniteDirs?.[`${opts.namePrefix ?? 'node'}${i}`],
        dockerdArgs: opts.dockerdArgs ?? [],
        dockerdTimeoutMs: opts.dockerdTimeoutMs ?? 30_000,
      });
      hosts.push(h);
      netnsNames.push(h.netns);
    }
    await Promise.all(hosts.map((h) => h.setup()));
    if (opts.startDockerd ?? true) {
      await Promise.all(hosts.map((h) => h.startDockerd()));
      if (opts.images && opts.images.length > 0) {
        const from = opts.imagesFrom ?? new Dockerode();
        const images = opts.images;
        await Promise.all(hosts.map((h) => h.loadImages(images, from)));
      }
    }
  } catch (e) {
    await destroy().catch(() => undefined);
    throw e;
  }
  return { hosts, id, subnet, root, switchNetns, bridge, destroy };
}

// ---------------------------------------------------------------------------------------------
// A tiny test image
// ---------------------------------------------------------------------------------------------

export const BUSYBOX_IMAGE = 'ignite-net-test/busybox:latest';

/**
 * Make sure `ignite-net-test/busybox:latest` exists in `docker` (import of a tar holding the static
 * /bin/busybox of Debian's busybox-static and its applet links; CMD sh). Needs
 * `apt-get install busybox-static`. Returns the image name.
 */
export async function ensureBusyboxImage(docker: Dockerode, name = BUSYBOX_IMAGE): Promise<string> {
  const have = await docker
    .getImage(name)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  if (have) return name;
  const src = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!src) throw new Error('busybox not found: apt-get install -y busybox-static');
  const info = await must('file', ['-L', src]).catch(() => '');
  if (info && !/statically linked|static-pie/.test(info)) throw new Error(`${src} is not static: apt-get install -y busybox-static`);
  const stage = join(tmpdir(), `ignt-busybox-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    await mkdir(join(stage, 'bin'), { recursive: true });
    await must('cp', [src, join(stage, 'bin', 'busybox')]);
    const applets = (await must(src, ['--list'])).split('\n').filter((a) => /^[\w.[\]-]+$/.test(a) && a !== 'busybox');
    await Promise.all(applets.map((a) => symlink('busybox', join(stage, 'bin', a))));
    await mkdir(join(stage, 'tmp'), { mode: 0o1777 });
    await Promise.all(['proc', 'sys', 'dev', 'etc', 'run'].map((d) => mkdir(join(stage, d))));
    const tar = spawnProcess('tar', ['-C', stage, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [repo, tag] = splitName(name);
    const res = await docker.importImage(tar.stdout as NodeJS.ReadableStream, { repo, tag, changes: ['CMD ["/bin/sh"]', 'ENV PATH=/bin'] } as {});
    const text = await readAll(res);
    if (/errorDetail/.test(text)) throw new Error(`import of ${name} failed: ${text}`);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return name;
}

function splitName(name: string): [string, string] {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) return [name.slice(0, colon), name.slice(colon + 1)];
  return [name, 'latest'];
}
