import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { IgniteError } from '../../core/errors.js';
import type { CniBinaries, HostFiles, HostNetwork, IpamStore, StateFiles } from '../services.js';
import { checkLock } from '../state.js';
import type { DryRunLedger } from './ledger.js';

const octal = (mode: number): string => `0${mode.toString(8)}`;
const size = (bytes: number): string => (bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);

/** Paths this dry run would have written (their content, kept in memory) or removed (null). */
export class FileOverlay {
  readonly files = new Map<string, string | Uint8Array | null>();
  readonly dirs = new Set<string>();
  /** Trees (directories) it would remove. */
  readonly trees = new Set<string>();

  /** The overlay's answer for a path: its content, null (removed), or undefined (ask the host). */
  lookup(path: string): string | Uint8Array | null | undefined {
    const own = this.files.get(path);
    if (own !== undefined) return own;
    for (const tree of this.trees) if (path === tree || path.startsWith(`${tree}/`)) return null;
    return undefined;
  }
}

/**
 * Files of a dry run: reads go to the host, through the overlay, so a file written by an earlier step
 * reads back; writes, directories, moves and removals are recorded with their paths (and mode and size,
 * never the content: a key or a password may be in it).
 */
export function recordingFiles(real: HostFiles, ledger: DryRunLedger, overlay: FileOverlay): HostFiles {
  const exists = async (path: string): Promise<boolean> => {
    const known = overlay.lookup(path);
    if (known !== undefined) return known !== null;
    if (overlay.dirs.has(path)) return true;
    return real.exists(path);
  };
  const files: HostFiles = {
    ...real,
    async readIfExists(path) {
      const known = overlay.lookup(path);
      if (known === null) return undefined;
      if (known !== undefined) return typeof known === 'string' ? known : Buffer.from(known).toString('utf8');
      return real.readIfExists(path);
    },
    exists,
    async writeFileAtomic(path, content, mode = 0o644) {
      const had = await exists(path);
      ledger.record('file', `${had ? 'replace' : 'write'} ${path} (mode ${octal(mode)}, ${size(Buffer.byteLength(content))})`);
      overlay.files.set(path, content);
    },
    async ensureDir(path, mode = 0o755) {
      if (overlay.dirs.has(path)) return 'exists';
      if (overlay.lookup(path) !== null && (await real.exists(path))) {
        if ((await real.listDir(path)) === undefined) throw new IgniteError('permission', `${path} exists but is not a directory`, { hint: `Move ${path} away or pass another directory.` });
        return 'exists';
      }
      ledger.record('file', `create directory ${path} (mode ${octal(mode)})`);
      overlay.dirs.add(path);
      return 'created';
    },
    async removeFile(path) {
      if (!(await exists(path))) return false;
      ledger.record('file', `remove ${path}`);
      overlay.files.set(path, null);
      return true;
    },
    async moveFile(from, to) {
      ledger.record('file', `move ${from} to ${to}`);
      const content = (await files.readIfExists(from)) ?? '';
      overlay.files.set(to, content);
      overlay.files.set(from, null);
    },
    async removeTree(path) {
      if (!(await exists(path))) return false;
      ledger.record('file', `remove directory ${path} and everything in it`);
      overlay.trees.add(path);
      return true;
    },
    async listDir(path) {
      const listed = overlay.lookup(path) === null ? undefined : await real.listDir(path);
      const names = new Set(listed ?? []);
      for (const [file, content] of overlay.files) {
        if (dirname(file) !== path) continue;
        if (content === null) names.delete(basename(file));
        else names.add(basename(file));
      }
      return listed === undefined && names.size === 0 && !overlay.dirs.has(path) ? undefined : [...names];
    },
    async fileMode(path) {
      const known = overlay.lookup(path);
      if (known === null) return undefined;
      return real.fileMode(path);
    },
  };
  return files;
}

/**
 * CNI plugin binaries of a dry run: installing one is recorded (path and size). Asking an installed
 * one its VERSION runs the binary it would install, copied to a private temp directory for the call,
 * so the dry run checks the very file it would put in the bin dir.
 */
export function recordingCniBinaries(real: CniBinaries, ledger: DryRunLedger, overlay: FileOverlay, files: HostFiles): CniBinaries {
  return {
    ...real,
    async readBinary(path) {
      const known = overlay.lookup(path);
      if (known === null) return undefined;
      if (known !== undefined) return Buffer.from(known);
      return real.readBinary(path);
    },
    async writeExecutable(path, content) {
      const had = overlay.lookup(path) !== null && (overlay.lookup(path) !== undefined || (await real.readBinary(path)) !== undefined);
      ledger.record('file', `${had ? 'replace' : 'install'} ${path} (mode 0755, ${size(content.byteLength)})`);
      overlay.files.set(path, content);
    },
    async pluginVersion(path, timeoutMs, asked) {
      const known = overlay.lookup(path);
      if (known === undefined || known === null) return real.pluginVersion(path, timeoutMs, asked);
      const dir = await mkdtemp(join(tmpdir(), 'ignite-net-dry-run-'));
      try {
        const copy = join(dir, basename(path));
        await writeFile(copy, known, { mode: 0o700 });
        await chmod(copy, 0o700);
        return await real.pluginVersion(copy, timeoutMs, asked);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    ensureDir: files.ensureDir,
    removeFile: files.removeFile,
    moveFile: files.moveFile,
  };
}

export function recordingNetwork(real: HostNetwork, ledger: DryRunLedger): HostNetwork {
  const deleted = new Set<string>();
  return {
    ...real,
    async listLinks() {
      const links = await real.listLinks();
      return links?.filter((link) => !deleted.has(link.ifname));
    },
    async deleteLink(name) {
      const links = await real.listLinks();
      if (deleted.has(name) || (links !== undefined && !links.some((l) => l.ifname === name))) return false;
      ledger.record('network', `delete network device ${name}`);
      deleted.add(name);
      return true;
    },
    async deleteRoute(destination, gateway, iface) {
      ledger.record('network', `delete route ${destination} via ${gateway} dev ${iface}`);
      return true;
    },
    async iptables(family, table, args) {
      ledger.record('network', `${family} -t ${table} ${args.join(' ')}`);
    },
  };
}

export function recordingIpam(real: IpamStore, ledger: DryRunLedger): IpamStore {
  return {
    ...real,
    async releaseAllocations(dir, allocations) {
      for (const a of allocations) ledger.record('ipam', `free ${a.address} (${join(dir, a.address)}, container ${a.containerId.slice(0, 12)})`);
      return { freed: allocations.map((a) => a.address), skipped: [] };
    },
  };
}

export function recordingState(real: StateFiles, ledger: DryRunLedger): StateFiles {
  let written: Parameters<StateFiles['writeState']>[1] | null | undefined;
  return {
    ...real,
    readState: async (stateDir) => (written === null ? undefined : (written ?? (await real.readState(stateDir)))),
    async writeState(stateDir, state) {
      ledger.record('state', `write ${join(stateDir, 'state.json')} (what this host has set up)`);
      written = state;
    },
    async removeState(stateDir) {
      if ((await real.readState(stateDir).catch(() => undefined)) === undefined && written === undefined) return false;
      ledger.record('state', `remove ${join(stateDir, 'state.json')}`);
      written = null;
      return true;
    },
    async writeLeaseCache(stateDir) {
      ledger.record('state', `write ${join(stateDir, 'lease-expiry.json')} (status's cache)`);
      return true;
    },
    // No lock file: a dry run changes nothing, but it refuses while another ignite-net holds the lock.
    acquireLock: (stateDir) => checkLock(stateDir),
  };
}
