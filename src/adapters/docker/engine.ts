/**
 * The only code that talks to the Docker Engine. Each call maps the Engine's answers to explicit
 * meanings (errors.ts: 404 = absent, 304 = already stopped) and operator-fixable failures to IgniteError.
 */
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerCreateOptions } from 'dockerode';
import { IgniteError, interruptedError } from '../../core/errors.js';
import type { PullProgress } from '../../core/events.js';
import { LABELS, type ContainerRole, type PullPolicy } from '../../defaults.js';
import type { DockerClient } from './client.js';
import {
  absentOn404,
  connectionFailure,
  engineMessage,
  notDocker,
  oneLine,
  pingFailure,
  removedOnRemovalInProgress,
  startFailureHint,
  statusOf,
  stoppedOn304,
} from './errors.js';
import type { DockerHostSource } from './host.js';
import { firstArchiveEntry } from './archive.js';
import { decodeLog, logBytes } from './log-frames.js';
import { pullWithProgress } from './pull-progress.js';
import { toContainerView, toManagedContainer, toVolumeView, type ContainerView, type ManagedContainer, type VolumeView } from './view.js';

export const PING_TIMEOUT_MS = 3_000;

/** A CNI plugin is a few MB; anything this large is not one. */
const MAX_IMAGE_FILE_BYTES = 256 * 1024 * 1024;

async function readAll(stream: NodeJS.ReadableStream, limit: number, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const onAbort = (): void => void (stream as NodeJS.ReadableStream & { destroy?: (e?: Error) => void }).destroy?.(interruptedError());
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      total += buffer.length;
      if (total > limit) throw new IgniteError('docker', `the archive is larger than ${limit / 1024 / 1024} MiB`);
      chunks.push(buffer);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) throw interruptedError();
  return Buffer.concat(chunks);
}

export class DockerEngine implements DockerClient {
  constructor(
    readonly docker: Docker,
    readonly where: string,
    /** Where the address came from, for messages. */
    private readonly source: DockerHostSource,
  ) {}

  /** Wraps an Engine call: connection failures and unexpected answers become one IgniteError shape. */
  private async call<T>(action: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.failure(action, error);
    }
  }

  private failure(action: string, error: unknown): IgniteError {
    if (error instanceof IgniteError) return error;
    return (
      connectionFailure(this.where, this.source, error) ??
      new IgniteError('docker', `Docker could not ${action}: ${engineMessage(error)}`, { cause: error })
    );
  }

  async ping(timeoutMs = PING_TIMEOUT_MS): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    let answer: unknown;
    try {
      // dockerode's ping accepts { abortSignal } at runtime (lib/docker.js); its typings only know ping().
      const ping = this.docker.ping.bind(this.docker) as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
      answer = await ping({ abortSignal: signal });
    } catch (error) {
      throw pingFailure(this.where, this.source, error, signal.aborted ? { afterMs: timeoutMs } : undefined);
    }
    const text = Buffer.isBuffer(answer) ? answer.toString('utf8') : typeof answer === 'string' ? answer : JSON.stringify(answer);
    if (text.trim() !== 'OK') throw notDocker(this.where, `GET /_ping answered "${oneLine(text).slice(0, 40)}" instead of "OK"`);
  }

  // -- images --------------------------------------------------------------------------------

  async imageExists(name: string): Promise<boolean> {
    return this.call(`inspect image ${name}`, async () => (await absentOn404(() => this.docker.getImage(name).inspect())) !== undefined);
  }

  async pullImage(name: string, onProgress: (progress: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw interruptedError();
    await pullWithProgress(this.docker, name, onProgress, signal, (error) => (signal?.aborted ? interruptedError() : this.pullFailed(name, error)));
  }

  private pullFailed(name: string, error: unknown): IgniteError {
    return (
      connectionFailure(this.where, this.source, error) ??
      new IgniteError('docker', `Cannot pull image ${name}: ${engineMessage(error)}`, {
        hint:
          'Check that this host can reach the registry, or load the image (`docker load -i <file>`) and run again, ' +
          'or name an image you have with --etcd-image / --flannel-image / --cni-plugin-image.',
        cause: error,
      })
    );
  }

  async ensureImage(
    name: string,
    policy: PullPolicy,
    onProgress: (progress: PullProgress) => void,
    signal?: AbortSignal,
  ): Promise<'present' | 'pulled'> {
    if (policy !== 'always' && (await this.imageExists(name))) return 'present';
    if (policy === 'never') {
      throw new IgniteError('docker', `Image ${name} is not on this host and --pull never forbids pulling it`, {
        hint: 'Drop --pull never, load the image first (`docker load -i <file>`), or name another image with --etcd-image / --flannel-image / --cni-plugin-image.',
      });
    }
    await this.pullImage(name, onProgress, signal);
    return 'pulled';
  }

  /**
   * One file of an image, read without running it: a container is created (never started), the
   * file read through the archive endpoint, the container removed. It carries our labels, so a
   * cleanup finds one left by a run killed in between.
   */
  async readImageFile(image: string, path: string, signal?: AbortSignal): Promise<Buffer> {
    if (signal?.aborted) throw interruptedError();
    const labels = { [LABELS.managed]: 'true', [LABELS.role]: 'cni-plugin-copy' };
    // The command is never run; Docker only wants one for an image without (the plugin image has none).
    const container = await this.call(`create a container from ${image}`, () =>
      this.docker.createContainer({ Image: image, Cmd: [path], Labels: labels, HostConfig: { NetworkMode: 'none' } }),
    );
    try {
      const stream = await this.call(`read ${path} from ${image}`, async () => {
        const found = await absentOn404(() => container.getArchive({ path }));
        if (found === undefined) throw new IgniteError('docker', `Image ${image} has no ${path}`, { hint: 'Name an image with the upstream layout (the plugin at /flannel) with --cni-plugin-image.' });
        return found;
      });
      const entry = firstArchiveEntry(await readAll(stream, MAX_IMAGE_FILE_BYTES, signal));
      if (entry.kind !== 'file') {
        throw new IgniteError('docker', `${path} in ${image} is not a regular file${entry.kind === 'link' ? ` (a link to ${entry.target})` : ''}`, {
          hint: 'Name an image whose /flannel is the plugin binary itself with --cni-plugin-image.',
        });
      }
      return entry.content;
    } finally {
      await container.remove({ force: true, v: true }).catch(() => undefined);
    }
  }

  // -- containers ----------------------------------------------------------------------------

  async listManaged(role?: ContainerRole): Promise<ManagedContainer[]> {
    const label = [`${LABELS.managed}=true`, ...(role ? [`${LABELS.role}=${role}`] : [])];
    const list = await this.call('list containers', () => this.docker.listContainers({ all: true, filters: { label } }));
    return list.map(toManagedContainer);
  }

  async listAllContainers(): Promise<{ ids: string[]; names: string[] }> {
    const list = await this.call('list containers', () => this.docker.listContainers({ all: true }));
    return { ids: list.map((c) => c.Id), names: list.flatMap((c) => c.Names.map((n) => n.replace(/^\//, ''))) };
  }

  /** undefined when no such container. */
  async inspectContainer(nameOrId: string): Promise<ContainerView | undefined> {
    return this.call(`inspect container ${nameOrId}`, async () => {
      const info = await absentOn404(() => this.docker.getContainer(nameOrId).inspect());
      return info === undefined ? undefined : toContainerView(info);
    });
  }

  /**
   * Creates and starts a container from a spec built in container-specs.ts. A container that was
   * created but fails to start is removed again, so a failed attempt leaves nothing behind.
   */
  async createAndStart(spec: ContainerCreateOptions): Promise<ContainerView> {
    const name = spec.name ?? '(unnamed)';
    if (spec.Labels?.[LABELS.managed] !== 'true') {
      // Only specs from container-specs.ts come here; an unlabelled one would be invisible to cleanup.
      throw new Error(`bug: container spec for ${name} lacks the ${LABELS.managed} label`);
    }
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(spec);
    } catch (error) {
      const status = statusOf(error);
      if (status === 409) {
        throw new IgniteError('conflict', `A container named ${name} already exists`, {
          hint: `Run \`ignite-net cleanup\` if it is ours, or remove/rename it (\`docker rm -f ${name}\`) if it is not.`,
          cause: error,
        });
      }
      if (status === 404) {
        throw new IgniteError('docker', `Cannot create ${name}: image ${spec.Image ?? '?'} is not on this host`, {
          hint: 'Pull or load the image first (drop --pull never), or name another image.',
          cause: error,
        });
      }
      throw this.failure(`create container ${name}`, error);
    }
    try {
      await container.start();
    } catch (error) {
      const reason = engineMessage(error);
      await container.remove({ force: true }).catch(() => undefined);
      throw new IgniteError('docker', `Container ${name} failed to start: ${reason}`, {
        hint: startFailureHint(reason),
        cause: error,
      });
    }
    const view = await this.inspectContainer(container.id);
    if (view === undefined) {
      throw new IgniteError('docker', `Container ${name} disappeared right after it started`, {
        hint: 'Something else removed it (another `docker rm`?); run the command again.',
      });
    }
    return view;
  }

  /** Idempotent: a stopped container is just removed; a missing one is 'absent'. */
  async stopAndRemove(id: string, timeoutSec: number): Promise<'removed' | 'absent'> {
    const container = this.docker.getContainer(id);
    return this.call(`stop and remove container ${id}`, async () => {
      if ((await absentOn404(() => stoppedOn304(() => container.stop({ t: timeoutSec })))) === undefined) return 'absent';
      // v: anonymous volumes die with the container; named ones (etcd's data) are never touched by it.
      const removed = await absentOn404(() => removedOnRemovalInProgress(() => container.remove({ v: true })));
      return removed === undefined ? 'absent' : 'removed';
    });
  }

  /** The last `tail` lines of stdout and stderr, interleaved as written and redacted; [] for a missing container. */
  async containerLogs(id: string, tail: number, secrets: readonly string[] = []): Promise<string[]> {
    return this.call(`read logs of ${id}`, async () => {
      const raw: unknown = await absentOn404(() => this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail, follow: false }));
      if (raw === undefined) return [];
      return decodeLog(logBytes(raw), secrets)
        .map((line) => line.text)
        .slice(-tail);
    });
  }

  /**
   * The container's log as raw bytes (framed unless it has a TTY; decode with LogDecoder), for
   * `ignite-net logs`. With follow the stream stays open for new lines until the caller destroys it
   * or the container stops. timestamps: Docker prefixes each line with its RFC 3339 time.
   */
  async logStream(id: string, options: { tail: number; follow: boolean; timestamps: boolean }): Promise<NodeJS.ReadableStream> {
    return this.call(`read logs of ${id}`, async () => {
      const container = this.docker.getContainer(id);
      const base = { stdout: true, stderr: true, tail: options.tail, timestamps: options.timestamps };
      if (options.follow) return container.logs({ ...base, follow: true });
      return Readable.from([logBytes(await container.logs({ ...base, follow: false }))]);
    });
  }

  /**
   * Force-removes a container by name, for one that carries a name we need but not our labels.
   * Callers decide (ask or refuse) before calling; true when something was removed.
   */
  async removeByName(name: string): Promise<boolean> {
    return this.call(`remove container ${name}`, async () => {
      const removed = await absentOn404(() => removedOnRemovalInProgress(() => this.docker.getContainer(name).remove({ force: true, v: false })));
      return removed !== undefined;
    });
  }

  // -- volumes -------------------------------------------------------------------------------

  async inspectVolume(name: string): Promise<VolumeView | undefined> {
    return this.call(`inspect volume ${name}`, async () => {
      const info = await absentOn404(() => this.docker.getVolume(name).inspect());
      return info === undefined ? undefined : toVolumeView(info);
    });
  }

  async volumeExists(name: string): Promise<boolean> {
    return (await this.inspectVolume(name)) !== undefined;
  }

  /** 'present' leaves an existing volume (and its labels) as it is; callers check ownership with inspectVolume. */
  async ensureVolume(name: string, labels: Record<string, string>): Promise<'created' | 'present'> {
    if (await this.volumeExists(name)) return 'present';
    await this.call(`create volume ${name}`, () => this.docker.createVolume({ Name: name, Labels: labels }));
    return 'created';
  }

  /** true when removed, false when there was none; a volume still in use is an IgniteError. */
  async removeVolume(name: string): Promise<boolean> {
    return this.call(`remove volume ${name}`, async () => {
      try {
        return (await absentOn404(() => this.docker.getVolume(name).remove().then(() => true))) ?? false;
      } catch (error) {
        if (statusOf(error) === 409) {
          throw new IgniteError('docker', `Volume ${name} is still in use by a container`, {
            hint: 'Remove the container that uses it first (`ignite-net cleanup` does this for its own containers).',
            cause: error,
          });
        }
        throw error;
      }
    });
  }
}
