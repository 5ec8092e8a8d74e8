/**
 * CNI plugin binaries on the host: their hashes, atomic installs with mode 0755, and their answer to
 * CNI_COMMAND=VERSION. The cni-plugins step reaches them through services.cniBinaries.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { PluginProbe } from '../cni/plugin-versions.js';
import { parseVersionAnswer, sha256, type PluginVersion } from '../cni/plugins.js';
import { IgniteError } from '../core/errors.js';
import { HOST_CNI_PLUGIN_DIRS } from '../defaults.js';

/** A plugin has this long to answer VERSION: a hung binary must not hold init up. */
export const VERSION_TIMEOUT_MS = 5_000;
/** status and doctor ask every plugin at once and must answer quickly: 2 s each, in parallel. */
export const PROBE_TIMEOUT_MS = 2_000;

/** Where the host's CNI plugins package put its plugins, in the order to look. */
export const sourceDirs: readonly string[] = HOST_CNI_PLUGIN_DIRS;

/** The file's bytes; undefined when it does not exist (a directory or an unreadable file is an error). */
export async function readBinary(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw binaryError('read', path, error);
  }
}

/** Whether the file is there and readable (a package's plugin worth offering). */
export async function isReadable(path: string): Promise<boolean> {
  return access(path, constants.R_OK).then(
    () => true,
    () => false,
  );
}

export async function hashFile(path: string): Promise<string | undefined> {
  const content = await readBinary(path);
  return content === undefined ? undefined : sha256(content);
}

/**
 * Writes through a temp file beside the target and a rename, so CNI never runs half a plugin. The
 * mode is set with chmod: the umask must not take the execute bits away.
 */
export async function writeExecutable(path: string, content: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const handle = await open(tmp, 'wx', 0o700);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(tmp, 0o755);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw binaryError('write', path, error);
  }
}

export type VersionAnswer = { ok: true; version: PluginVersion } | { ok: false; reason: string };

/**
 * Runs the plugin with CNI_COMMAND=VERSION (nothing else in its environment but PATH) and stdin
 * `{"cniVersion":"<asked>"}`, as libcni does, and reads its answer.
 */
export function pluginVersion(path: string, timeoutMs = VERSION_TIMEOUT_MS, asked = '1.0.0'): Promise<VersionAnswer> {
  return new Promise((resolve) => {
    const child = execFile(
      path,
      [],
      { env: { CNI_COMMAND: 'VERSION', PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 },
      (error, stdout) => {
        if (error && (error as { killed?: boolean }).killed) return resolve({ ok: false, reason: `no answer within ${timeoutMs / 1000}s` });
        if (error && typeof (error as { code?: unknown }).code === 'string') return resolve({ ok: false, reason: `cannot run it (${String((error as { code: string }).code)})` });
        const version = parseVersionAnswer(stdout);
        resolve(version ? { ok: true, version } : { ok: false, reason: error ? `exited ${String(error.code)} without a VERSION answer` : 'no VERSION answer' });
      },
    );
    // A plugin that exits before reading stdin closes the pipe: that is its answer, not an error here.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(JSON.stringify({ cniVersion: asked }));
  });
}

/** Each named plugin in binDir: there or not, and its VERSION answer (asked in parallel, PROBE_TIMEOUT_MS each). */
export async function probePlugins(binDir: string, names: readonly string[], asked: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<PluginProbe[]> {
  return Promise.all(
    names.map(async (name): Promise<PluginProbe> => {
      const path = join(binDir, name);
      const present = await access(path).then(
        () => true,
        () => false,
      );
      if (!present) return { name, path, present };
      const answer = await pluginVersion(path, timeoutMs, asked);
      return answer.ok ? { name, path, present, version: answer.version.cniVersion, supportedVersions: answer.version.supportedVersions } : { name, path, present, error: answer.reason };
    }),
  );
}

function binaryError(verb: string, path: string, error: unknown): IgniteError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  const hint = code === 'EACCES' || code === 'EPERM' ? 'Run ignite-net as root (sudo).' : code === 'EROFS' ? `${dirname(path)} is read-only; pass a writable --cni-bin-dir.` : `Check ${path}.`;
  return new IgniteError('permission', `cannot ${verb} ${path}: ${code}`, { hint, cause: error });
}
