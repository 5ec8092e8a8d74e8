import { constants, watch } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { IgniteError } from '../core/errors.js';

/** The only module that touches host files; callers get typed errors with hints. */

/**
 * Calls `onChange` whenever an entry of the directory changes (inotify); returns the stop function.
 * Best effort: a directory that cannot be watched gives no events, so callers keep a fallback poll.
 */
export function watchDir(path: string, onChange: () => void): () => void {
  try {
    const watcher = watch(path, { persistent: false }, () => onChange());
    watcher.on('error', () => watcher.close());
    return () => watcher.close();
  } catch {
    return () => undefined;
  }
}

export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw fileError('read', path, error);
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isCode(error, 'ENOENT')) return false;
    throw fileError('inspect', path, error);
  }
}

/** Writes via a temp file in the same directory and a rename, so readers never see half a file. */
export async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  // Named after the file too: files written side by side in one directory (steps/pki.ts writeAllWithUndo) must not share it.
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(tmp, content, { mode });
    const handle = await open(tmp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw fileError('write', path, error);
  }
}

/** mode applies to the directories it creates (secret ones are 0700). */
export async function ensureDir(path: string, mode = 0o755): Promise<'created' | 'exists'> {
  try {
    const info = await stat(path);
    if (!info.isDirectory()) {
      throw new IgniteError('permission', `${path} exists but is not a directory`, {
        hint: `Move ${path} away or pass another directory.`,
      });
    }
    return 'exists';
  } catch (error) {
    if (!isCode(error, 'ENOENT')) {
      if (error instanceof IgniteError) throw error;
      throw fileError('inspect', path, error);
    }
  }
  try {
    await mkdir(path, { recursive: true, mode });
    return 'created';
  } catch (error) {
    throw fileError('create', path, error);
  }
}

export async function removeFile(path: string): Promise<boolean> {
  const had = await exists(path);
  try {
    await rm(path, { force: true });
  } catch (error) {
    throw fileError('remove', path, error);
  }
  return had;
}

export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    throw fileError('move', from, error);
  }
}

/**
 * Whether this process can create or write `path` (a directory): checks the directory itself or,
 * when missing, its nearest existing ancestor. Returns a problem description, or undefined when fine.
 * It changes nothing, so preflight can run it before any change.
 */
/** How directoryWritableProblem's message ends for a path (or an ancestor) that is a file. */
export const NOT_A_DIRECTORY = 'exists but is not a directory';

export async function directoryWritableProblem(path: string): Promise<string | undefined> {
  let current = path;
  for (;;) {
    try {
      const info = await stat(current);
      if (!info.isDirectory()) return `${current} ${NOT_A_DIRECTORY}`;
      await access(current, constants.W_OK);
      return undefined;
    } catch (error) {
      if (isCode(error, 'ENOENT')) {
        const parent = dirname(current);
        if (parent === current) return `no existing parent directory of ${path}`;
        current = parent;
        continue;
      }
      if (isCode(error, 'EROFS')) return `${current} is on a read-only file system`;
      if (isCode(error, 'EACCES') || isCode(error, 'EPERM')) return `no permission to write ${current}`;
      return `cannot check ${current}: ${(error as Error).message}`;
    }
  }
}

export async function isCharDevice(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isCharacterDevice();
  } catch {
    return false;
  }
}

/** Names in a directory (files and directories alike); undefined when the directory does not exist. */
export async function listDir(path: string): Promise<string[] | undefined> {
  try {
    return await readdir(path);
  } catch (error) {
    if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return undefined;
    throw fileError('list', path, error);
  }
}

/** Removes a directory and everything in it; false when there was nothing. */
export async function removeTree(path: string): Promise<boolean> {
  const had = await exists(path);
  try {
    await rm(path, { recursive: true, force: true });
  } catch (error) {
    throw fileError('remove', path, error);
  }
  return had;
}

/** When a file was last written; undefined when it does not exist or cannot be read. */
export async function modifiedAt(path: string): Promise<Date | undefined> {
  try {
    return (await stat(path)).mtime;
  } catch {
    return undefined;
  }
}

/** A regular file's permission bits (e.g. 0o600); undefined when it is missing or not a regular file. */
export async function fileMode(path: string): Promise<number | undefined> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.mode & 0o777 : undefined;
  } catch {
    return undefined;
  }
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}

function fileError(verb: string, path: string, error: unknown): IgniteError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  const hint =
    code === 'EACCES' || code === 'EPERM'
      ? 'Run ignite-net as root (sudo).'
      : code === 'EROFS'
        ? `${path} is on a read-only file system; pass a writable directory.`
        : `Check ${path}.`;
  return new IgniteError('permission', `cannot ${verb} ${path}: ${code}`, { hint, cause: error });
}
