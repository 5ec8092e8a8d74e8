import { chmod, link, mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Options } from '../options.js';
import { IgniteError } from '../core/errors.js';
import type { InstalledPlugin } from '../cni/plugins.js';
import type { NetworkConfig } from '../net/network-config.js';
import { directoryWritableProblem, writeFileAtomic } from './host-files.js';

/**
 * What init/join did on this host, so status, doctor, logs and cleanup never need the flags again.
 * One JSON file, root-only, written atomically; the lock beside it keeps two runs apart.
 */
export interface HostState {
  version: 1;
  role: 'init' | 'joined';
  etcdEndpoint: string;
  advertiseAddress: string;
  iface?: string;
  /** join: the init host as given. */
  peer?: string;
  subnet?: string;
  images: { etcd?: string; flannel: string };
  network: NetworkConfig;
  /** cniStateDir is optional: state files written before it existed still read. */
  paths: { cniConfDir: string; cniBinDir: string; runDir: string; cniStateDir?: string };
  /** The client URLs flannel was started with, when more than etcdEndpoint (an overlay with several etcd members). */
  flannelEndpoints?: string[];
  /**
   * A host joined with --control-plane runs an etcd member: its name and the `--initial-cluster` it was
   * started with (a re-run keeps it: etcd reads it only while its data dir is empty). docs/ha.md.
   */
  controlPlane?: { memberName: string; initialCluster: string };
  /** Secure overlays (absent: plain HTTP, as 0.1 and --insecure): the CA's pin and this host's etcd user. */
  security?: { caPin: string; etcdUser: string };
  /** Files ignite-net moved aside and must put back: original path → where it is now. */
  movedAside: Record<string, string>;
  /** CNI plugin files ignite-net installed (absent in state files from before it did); cleanup removes only these. */
  cniPlugins?: InstalledPlugin[];
  toolVersion: string;
  createdAt: string;
  updatedAt: string;
}

export const STATE_FILE = 'state.json';
export const LOCK_FILE = 'lock';

/** status's memory of lease expiry (src/status/lease-expiry.ts); removed with the state file. */
export const LEASE_CACHE_FILE = 'lease-expiry.json';

export const statePath = (stateDir: string): string => join(stateDir, STATE_FILE);

/** undefined when there is none; a typed error when it exists but cannot be trusted. */
export async function readState(stateDir: string): Promise<HostState | undefined> {
  const path = statePath(stateDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new IgniteError('permission', `cannot read the state file ${path}: ${code ?? 'error'}`, {
      hint: code === 'EACCES' ? 'Run ignite-net as root (sudo).' : `Check ${path}.`,
    });
  }
  const corrupt = (why: string): IgniteError =>
    new IgniteError('conflict', `the state file ${path} is corrupt (${why})`, {
      hint: `Move it away (\`mv ${path} ${path}.bad\`) and pass the paths as flags; cleanup still finds ignite-net's containers by label.`,
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt('not JSON');
  }
  const state = parsed as Partial<HostState>;
  if (typeof parsed !== 'object' || parsed === null || state.version !== 1) throw corrupt('unknown version');
  if (state.role !== 'init' && state.role !== 'joined') throw corrupt('no role');
  if (typeof state.etcdEndpoint !== 'string' || typeof state.advertiseAddress !== 'string') throw corrupt('no etcd endpoint or address');
  if (typeof state.paths !== 'object' || state.paths === null || typeof state.network !== 'object') throw corrupt('no paths or network');
  if (state.cniPlugins !== undefined && !(Array.isArray(state.cniPlugins) && state.cniPlugins.every(isInstalledPlugin))) throw corrupt('bad cniPlugins');
  return { movedAside: {}, ...state } as HostState;
}

function isInstalledPlugin(value: unknown): value is InstalledPlugin {
  const v = value as Partial<InstalledPlugin> | null;
  return typeof v === 'object' && v !== null && typeof v.path === 'string' && v.path.startsWith('/') && typeof v.sha256 === 'string' && typeof v.source === 'string' && (v.backup === undefined || typeof v.backup === 'string');
}

export async function writeState(stateDir: string, state: HostState): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await chmod(stateDir, 0o700);
  await writeFileAtomic(statePath(stateDir), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

/** Removes the state file and status's lease cache; true when there was a state file. */
export async function removeState(stateDir: string): Promise<boolean> {
  await rm(join(stateDir, LEASE_CACHE_FILE), { force: true });
  try {
    await rm(statePath(stateDir));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** The lease cache's text, or undefined when there is none or it cannot be read (a cache is optional). */
export async function readLeaseCache(stateDir: string): Promise<string | undefined> {
  return readFile(join(stateDir, LEASE_CACHE_FILE), 'utf8').catch(() => undefined);
}

/**
 * Writes the lease cache, root-only, only into a state dir that exists: status never creates one on
 * a host ignite-net did not set up. False when not written (a cache is optional).
 */
export async function writeLeaseCache(stateDir: string, text: string): Promise<boolean> {
  return writeFileAtomic(join(stateDir, LEASE_CACHE_FILE), text, 0o600).then(
    () => true,
    () => false,
  );
}

/**
 * Paths the operator did not give fall back to the ones init/join recorded, so `cleanup` after
 * `init --cni-conf-dir X` cleans X without being told again.
 */
export function applyState(options: Options, state: HostState | undefined): Options {
  if (!state) return options;
  const pick = <K extends 'cniConfDir' | 'cniBinDir' | 'runDir'>(key: K, flag: string): string =>
    options.explicit.has(flag) ? options[key] : state.paths[key];
  return {
    ...options,
    cniConfDir: pick('cniConfDir', 'cni-conf-dir'),
    cniBinDir: pick('cniBinDir', 'cni-bin-dir'),
    runDir: pick('runDir', 'run-dir'),
    cniStateDir: options.explicit.has('cni-state-dir') ? options.cniStateDir : (state.paths.cniStateDir ?? options.cniStateDir),
  };
}

export interface Lock {
  release(): Promise<void>;
}

/**
 * One ignite-net changing this host at a time: a lock file holding our PID. A lock whose PID is gone
 * (a crashed run) is taken over.
 *
 * The file appears with the PID already in it (written to a file of our own, then hard-linked to
 * the lock's name, which fails if it exists): a lock created empty and filled after would let a run
 * starting at the same moment read no PID, take the lock for stale and run beside us. A stale lock
 * is removed only under a second lock (`lock.takeover`, taken the same way) and only if it is still
 * the stale one: two runs that both found it stale would otherwise each remove it, one of them the
 * other's fresh lock.
 */
export async function acquireLock(stateDir: string): Promise<Lock> {
  let created: string | undefined;
  try {
    created = await mkdir(stateDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw await lockError(join(stateDir, LOCK_FILE), error);
  }
  const path = join(stateDir, LOCK_FILE);
  const guard = `${path}.takeover`;
  const mine = `${path}.${process.pid}`;
  const fail = async (error: unknown): Promise<never> => {
    // Without the right to write there, the removal fails too (EACCES): the first error is the one to say.
    await rm(mine, { force: true }).catch(() => undefined);
    if (created !== undefined) await removeEmptyDirs(stateDir, created);
    throw error instanceof IgniteError ? error : await lockError(path, error);
  };
  /** Links our PID file to `name`: false when `name` exists. */
  const take = async (name: string): Promise<boolean> => {
    try {
      await link(mine, name);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      return fail(error);
    }
  };
  try {
    await writeFile(mine, `${process.pid}\n`, { mode: 0o600 });
  } catch (error) {
    return fail(error);
  }
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (await take(path)) {
      await rm(mine, { force: true });
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          await rm(path, { force: true });
          // A run that changed nothing leaves no empty state dir behind (nor the parents it made).
          if (created !== undefined) await removeEmptyDirs(stateDir, created);
        },
      };
    }
    const content = await lockContent(path);
    // Released (or taken over) since our link failed: try again. Taking the guard now could remove a
    // lock someone links in the instant between our read and our rm below (two winners, seen in a test).
    if (content === undefined) continue;
    const holder = pidIn(content);
    if (holder !== undefined && isAlive(holder)) return fail(heldBy(holder, path));
    if (!(await take(guard))) {
      const guardContent = await lockContent(guard);
      if (guardContent === undefined) continue; // released meanwhile: removing it now could remove a new one
      const taker = pidIn(guardContent);
      if (taker !== undefined && isAlive(taker)) return fail(heldBy(taker, path)); // it is taking the lock over
      await rm(guard, { force: true }); // left by a run that died in the instant it held it
      continue;
    }
    try {
      // Still the same dead holder's file (or the same garbage): no one else can remove it meanwhile (we hold the guard) nor link over it.
      if ((await lockContent(path)) === content) await rm(path, { force: true });
    } finally {
      await rm(guard, { force: true });
    }
  }
  return fail(new IgniteError('conflict', `could not take the lock ${path}`, { hint: 'Run the command again.' }));
}

/** A lock file's text; undefined when there is no file (an unreadable one reads as empty: garbage, taken over). */
async function lockContent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : '';
  }
}

/**
 * A dry run's lock: it creates no file (nothing may change), but refuses like acquireLock while a live
 * ignite-net holds the lock, whose half-made changes a dry run would report on.
 */
export async function checkLock(stateDir: string): Promise<Lock> {
  const path = join(stateDir, LOCK_FILE);
  const content = await lockContent(path);
  const holder = content === undefined ? undefined : pidIn(content);
  if (holder !== undefined && holder !== process.pid && isAlive(holder)) throw heldBy(holder, path);
  return { release: async () => undefined };
}

/** The PID in a lock file's text; undefined when there is none. */
function pidIn(content: string): number | undefined {
  const pid = Number.parseInt(content.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function heldBy(pid: number, path: string): IgniteError {
  return new IgniteError('conflict', `another ignite-net (pid ${pid}) is changing this host`, {
    hint: `Wait for it to finish; if no ignite-net runs, remove ${path}.`,
  });
}

/** Says why the lock cannot be created (read-only, not a directory, no permission) rather than just a code. */
async function lockError(path: string, error: unknown): Promise<IgniteError> {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  const problem = await directoryWritableProblem(dirname(path));
  const hint =
    problem?.includes('read-only') === true
      ? 'Pass a --state-dir on a writable file system.'
      : problem?.includes('not a directory') === true
        ? 'Pass a --state-dir that is a directory (or does not exist yet).'
        : 'Run ignite-net as root (sudo), or pass a writable --state-dir.';
  return new IgniteError('permission', `cannot create the lock ${path}: ${problem ?? code}`, { hint, cause: error });
}

/** Removes `dir` and its parents up to `top` (the first directory mkdir created), while they are empty. */
async function removeEmptyDirs(dir: string, top: string): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    if (current === top || dirname(current) === current) return;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
