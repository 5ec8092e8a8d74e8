import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import Docker from 'dockerode';
import type { ContainerCreateOptions, ContainerInspectInfo, DockerOptions } from 'dockerode';
import { IgniteError, interruptedError } from '../core/errors.js';
import type { PullProgress } from '../core/events.js';
import { LABELS, type ContainerRole, type PullPolicy } from '../defaults.js';

/**
 * The only module that talks to the Docker Engine. Every call maps Engine answers to explicit
 * meanings (404 = absent, 304 = already stopped) and operator-fixable failures to IgniteError.
 */

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
export const PING_TIMEOUT_MS = 3_000;
const PULL_PROGRESS_INTERVAL_MS = 150;


export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerView {
  id: string;
  name: string;
  /** The image reference it was created from, e.g. `ghcr.io/flannel-io/flannel:v0.28.9`. */
  image: string;
  imageId: string;
  state: ContainerState;
  running: boolean;
  exitCode: number;
  /** Docker's error for a container that failed to start, e.g. a missing device. */
  error?: string;
  startedAt?: Date;
  finishedAt?: Date;
  restartCount: number;
  labels: Record<string, string>;
  /** Only when the image defines a HEALTHCHECK. */
  health?: 'starting' | 'healthy' | 'unhealthy';
  cmd: string[];
  binds: string[];
  networkMode: string;
  restartPolicy: string;
}

export interface ManagedContainer {
  id: string;
  name: string;
  image: string;
  state: ContainerState;
  /** Docker's human status line, e.g. "Up 3 minutes". */
  status: string;
  role?: ContainerRole;
  labels: Record<string, string>;
}

export interface VolumeView {
  name: string;
  labels: Record<string, string>;
  mountpoint: string;
}

/** A small interface so steps can be tested against a fake; DockerEngine is the real one. */
export interface DockerClient {
  /** Where the Engine is, as the operator would write it: `unix:///var/run/docker.sock`. */
  readonly where: string;
  imageExists(name: string): Promise<boolean>;
  pullImage(name: string, onProgress: (progress: PullProgress) => void, signal?: AbortSignal): Promise<void>;
  ensureImage(
    name: string,
    policy: PullPolicy,
    onProgress: (progress: PullProgress) => void,
    signal?: AbortSignal,
  ): Promise<'present' | 'pulled'>;
  listManaged(role?: ContainerRole): Promise<ManagedContainer[]>;
  inspectContainer(nameOrId: string): Promise<ContainerView | undefined>;
  createAndStart(spec: ContainerCreateOptions): Promise<ContainerView>;
  stopAndRemove(id: string, timeoutSec: number): Promise<'removed' | 'absent'>;
  containerLogs(id: string, tail: number): Promise<string[]>;
  removeByName(name: string): Promise<boolean>;
  ensureVolume(name: string, labels: Record<string, string>): Promise<'created' | 'present'>;
  inspectVolume(name: string): Promise<VolumeView | undefined>;
  volumeExists(name: string): Promise<boolean>;
  removeVolume(name: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Connecting

export interface DockerTarget {
  /** Normalised for messages: `unix:///path` or `tcp://host:port`. */
  where: string;
  options: DockerOptions;
}

/**
 * Turns `unix:///path`, `/path`, `tcp://host:port`, `http://host:port` or `host:port` into dockerode
 * options. Every connection field is set (some to undefined) because docker-modem merges its own
 * DOCKER_HOST-derived defaults underneath, which would otherwise override an explicit socket.
 */
export function parseDockerHost(value: string): DockerTarget {
  const raw = value.trim();
  const blank = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined } as const;
  if (raw.startsWith('/') || raw.startsWith('unix://')) {
    const path = raw.startsWith('unix://') ? raw.slice('unix://'.length) || DEFAULT_DOCKER_SOCKET : raw;
    return { where: `unix://${path}`, options: { ...blank, socketPath: path } };
  }
  const withScheme = raw.includes('://') ? raw : `tcp://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw badDockerHost(value);
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:') {
    throw new IgniteError('usage', `Unsupported Docker host ${value}`, {
      hint: 'Use unix:///path/to/docker.sock or tcp://host:port (plain HTTP); TLS and ssh:// are not supported yet.',
    });
  }
  if (url.hostname === '') throw badDockerHost(value);
  const port = url.port === '' ? (url.protocol === 'http:' ? '80' : '2375') : url.port;
  // URL keeps IPv6 literals bracketed; the http module wants them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    where: `tcp://${url.hostname}:${port}`,
    options: { ...blank, host, port: Number(port), protocol: 'http' },
  };
}

function badDockerHost(value: string): IgniteError {
  return new IgniteError('usage', `Cannot read Docker host "${value}"`, {
    hint: 'Expected unix:///var/run/docker.sock, /path/to/docker.sock or tcp://host:port.',
  });
}

export interface ConnectOptions {
  /** Where DOCKER_HOST is read from when no host is given; tests pass their own. */
  env?: NodeJS.ProcessEnv;
  pingTimeoutMs?: number;
}

/**
 * Connects and pings. The host is, in order: the argument (--docker-host), DOCKER_HOST, the default
 * socket. Fails with IgniteError('docker') when nothing answers or what answers is not Docker.
 */
export async function connectDocker(dockerHost?: string, options: ConnectOptions = {}): Promise<DockerEngine> {
  const env = options.env ?? process.env;
  const chosen = dockerHost ?? (env['DOCKER_HOST'] || undefined) ?? `unix://${DEFAULT_DOCKER_SOCKET}`;
  const source = dockerHost !== undefined ? '--docker-host' : env['DOCKER_HOST'] ? 'DOCKER_HOST' : 'the default socket';
  const target = parseDockerHost(chosen);
  const engine = new DockerEngine(new Docker(target.options), target.where, source);
  await engine.ping(options.pingTimeoutMs ?? PING_TIMEOUT_MS);
  return engine;
}

const REACH_HINT =
  'Start the Docker daemon (e.g. `systemctl start docker`), or point --docker-host / DOCKER_HOST at its socket.';

function unreachable(where: string, reason: string, source: string, cause: unknown, hint = REACH_HINT): IgniteError {
  return new IgniteError('docker', `Docker Engine is not reachable at ${where} (${reason})`, {
    hint,
    details: [`address taken from ${source}`],
    cause,
  });
}

function notDocker(where: string, what: string, cause?: unknown): IgniteError {
  return new IgniteError('docker', `Something answers at ${where} but it is not a Docker Engine (${what})`, {
    hint: 'Check --docker-host / DOCKER_HOST: it should name the Docker daemon socket, e.g. unix:///var/run/docker.sock.',
    cause,
  });
}

// ---------------------------------------------------------------------------------------------
// Engine errors

interface EngineError {
  statusCode?: number;
  code?: string;
  message: string;
  /** The Engine's JSON body, `{ message }`, when it sent one. */
  json?: unknown;
}

function asEngineError(error: unknown): EngineError {
  if (typeof error === 'object' && error !== null) return error as EngineError;
  return { message: String(error) };
}

function statusOf(error: unknown): number | undefined {
  return asEngineError(error).statusCode;
}

/** The Engine's own sentence, without docker-modem's "(HTTP code 500) server error - " wrapper. */
export function engineMessage(error: unknown): string {
  const e = asEngineError(error);
  const body = e.json;
  let text: string | undefined;
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') {
    text = (body as { message: string }).message;
  } else if (Buffer.isBuffer(body) && body.length > 0) {
    text = body.toString('utf8');
  }
  text ??= e.message.replace(/^\(HTTP code \d+\) [^-]*- /, '');
  return oneLine(text);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const CONNECTION_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

// ---------------------------------------------------------------------------------------------
// Pull progress

/** Folds one line of the Engine's pull stream into per-layer progress; returns an error line's text. */
export function applyPullEvent(progress: PullProgress, event: unknown): { error?: string; changed: boolean } {
  if (typeof event !== 'object' || event === null) return { changed: false };
  const e = event as {
    id?: unknown;
    status?: unknown;
    error?: unknown;
    errorDetail?: { message?: unknown };
    progressDetail?: { current?: unknown; total?: unknown };
  };
  if (e.errorDetail !== undefined || e.error !== undefined) {
    const message = typeof e.errorDetail?.message === 'string' ? e.errorDetail.message : String(e.error);
    return { error: oneLine(message), changed: false };
  }
  // Lines without an id ("Digest: …", "Status: …") and the "Pulling from <repo>" line (id = tag) are not layers.
  if (typeof e.id !== 'string' || typeof e.status !== 'string' || e.status.startsWith('Pulling from')) {
    return { changed: false };
  }
  const layer: { status: string; current?: number; total?: number } = { status: e.status };
  const { current, total } = e.progressDetail ?? {};
  if (typeof current === 'number') layer.current = current;
  if (typeof total === 'number' && total > 0) layer.total = total;
  progress.layers[e.id] = layer;
  return { changed: true };
}

// ---------------------------------------------------------------------------------------------
// Logs

/**
 * Splits a non-TTY log buffer (8-byte frame headers: stream type, 3 zero bytes, big-endian length)
 * into text; a TTY container's logs have no frames and are taken as they are.
 */
export function demuxLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    if (type !== 0 && type !== 1 && type !== 2) break;
    const length = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  if (offset === 0 && buffer.length > 0) return buffer.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

/**
 * demuxLogs for a stream that arrives in chunks (`logs -f`): frames and UTF-8 characters may be cut
 * anywhere, so bytes wait until a frame and lines wait until their newline. The first 8 bytes decide
 * framed or not (a TTY container's log is plain text), as demuxLogs does.
 */
export class LogDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private framed: boolean | undefined;
  private readonly text = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private readonly partial = { stdout: '', stderr: '' };

  push(chunk: Buffer): LogLine[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.framed === undefined) {
      if (this.pending.length < 8) return [];
      const type = this.pending[0];
      this.framed = (type === 0 || type === 1 || type === 2) && this.pending.readUIntBE(1, 3) === 0;
    }
    const lines: LogLine[] = [];
    if (!this.framed) {
      lines.push(...this.add('stdout', this.pending));
      this.pending = Buffer.alloc(0);
      return lines;
    }
    let offset = 0;
    while (offset + 8 <= this.pending.length) {
      const length = this.pending.readUInt32BE(offset + 4);
      if (offset + 8 + length > this.pending.length) break;
      const stream = this.pending[offset] === 2 ? 'stderr' : 'stdout';
      lines.push(...this.add(stream, this.pending.subarray(offset + 8, offset + 8 + length)));
      offset += 8 + length;
    }
    this.pending = this.pending.subarray(offset);
    return lines;
  }

  /** The last lines without a newline (a container that stopped mid-line). */
  end(): LogLine[] {
    const lines: LogLine[] = [];
    if (this.framed === false || (this.framed === undefined && this.pending.length > 0)) lines.push(...this.add('stdout', this.pending));
    this.pending = Buffer.alloc(0);
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.partial[stream] + this.text[stream].end();
      this.partial[stream] = '';
      if (rest !== '') lines.push({ stream, text: rest.replace(/\r$/, '') });
    }
    return lines;
  }

  private add(stream: LogLine['stream'], bytes: Buffer): LogLine[] {
    const parts = (this.partial[stream] + this.text[stream].write(bytes)).split('\n');
    this.partial[stream] = parts.pop() ?? '';
    return parts.map((text) => ({ stream, text: text.replace(/\r$/, '') }));
  }
}

function toDate(value: string | undefined): Date | undefined {
  // Docker reports "never" as the zero time.
  if (!value || value.startsWith('0001-01-01')) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function toView(info: ContainerInspectInfo): ContainerView {
  const health = info.State.Health?.Status;
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    imageId: info.Image,
    state: info.State.Status as ContainerState,
    running: info.State.Running,
    exitCode: info.State.ExitCode,
    ...(info.State.Error ? { error: info.State.Error } : {}),
    ...optional('startedAt', toDate(info.State.StartedAt)),
    ...optional('finishedAt', toDate(info.State.FinishedAt)),
    restartCount: info.RestartCount,
    labels: info.Config.Labels ?? {},
    ...(health === 'starting' || health === 'healthy' || health === 'unhealthy' ? { health } : {}),
    cmd: info.Config.Cmd ?? [],
    binds: info.HostConfig.Binds ?? [],
    networkMode: info.HostConfig.NetworkMode ?? '',
    restartPolicy: info.HostConfig.RestartPolicy?.Name ?? '',
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

// ---------------------------------------------------------------------------------------------

export class DockerEngine implements DockerClient {
  constructor(
    readonly docker: Docker,
    readonly where: string,
    /** Where the address came from (--docker-host, DOCKER_HOST, the default socket), for messages. */
    private readonly source = 'the caller',
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
    const e = asEngineError(error);
    if (e.statusCode === undefined && e.code !== undefined && CONNECTION_CODES.has(e.code)) {
      return unreachable(this.where, e.code, this.source, error);
    }
    return new IgniteError('docker', `Docker could not ${action}: ${engineMessage(error)}`, { cause: error });
  }

  async ping(timeoutMs = PING_TIMEOUT_MS): Promise<void> {
    const source = this.source;
    const signal = AbortSignal.timeout(timeoutMs);
    let answer: unknown;
    try {
      // dockerode's ping accepts { abortSignal } at runtime (lib/docker.js); its typings only know ping().
      const ping = this.docker.ping.bind(this.docker) as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
      answer = await ping({ abortSignal: signal });
    } catch (error) {
      const e = asEngineError(error);
      if (signal.aborted) {
        throw unreachable(this.where, `no answer within ${timeoutMs} ms`, source, error);
      }
      if (e.statusCode === 500 && typeof (e.json as { message?: unknown } | undefined)?.message === 'string') {
        // The Engine's own error shape: a daemon that is up but unwell.
        throw new IgniteError('docker', `Docker Engine at ${this.where} answers with an error: ${engineMessage(error)}`, {
          hint: 'Check the Docker daemon log (`journalctl -u docker`) and restart it.',
          cause: error,
        });
      }
      if (e.statusCode !== undefined) {
        throw notDocker(this.where, `GET /_ping answered HTTP ${e.statusCode}`, error);
      }
      if (e.code === 'EACCES' || e.code === 'EPERM') {
        throw unreachable(this.where, 'permission denied', source, error,
          `Run ignite-net as root (sudo) or as a member of the docker group; check the permissions of ${this.where.replace('unix://', '')}.`);
      }
      if (e.code === 'ENOENT') throw unreachable(this.where, 'no such socket', source, error);
      if (e.code === 'ECONNREFUSED') throw unreachable(this.where, 'connection refused', source, error);
      if (e.code === 'ENOTSOCK' || e.code === 'EISDIR') {
        throw unreachable(this.where, `${e.code}: not a socket`, source, error);
      }
      if (typeof e.code === 'string' && e.code.startsWith('HPE_')) {
        throw notDocker(this.where, 'it does not speak HTTP', error);
      }
      throw unreachable(this.where, e.code ?? oneLine(e.message), source, error);
    }
    const text = Buffer.isBuffer(answer) ? answer.toString('utf8') : typeof answer === 'string' ? answer : JSON.stringify(answer);
    if (text.trim() !== 'OK') throw notDocker(this.where, `GET /_ping answered "${oneLine(text).slice(0, 40)}" instead of "OK"`);
  }

  // -- images --------------------------------------------------------------------------------

  async imageExists(name: string): Promise<boolean> {
    return this.call(`inspect image ${name}`, async () => {
      try {
        await this.docker.getImage(name).inspect();
        return true;
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw error;
      }
    });
  }

  async pullImage(name: string, onProgress: (progress: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw interruptedError();
    const progress: PullProgress = { image: name, layers: {} };
    let lastSent = 0;
    let pending: NodeJS.Timeout | undefined;
    const send = (): void => {
      pending = undefined;
      lastSent = Date.now();
      onProgress({ image: name, layers: { ...progress.layers } });
    };
    // At most one update per interval, and the latest state always goes out (trailing send).
    const schedule = (): void => {
      if (pending !== undefined) return;
      const wait = PULL_PROGRESS_INTERVAL_MS - (Date.now() - lastSent);
      if (wait <= 0) send();
      else pending = setTimeout(send, wait);
    };

    let stream: NodeJS.ReadableStream;
    try {
      stream = (await this.docker.pull(name, signal ? { abortSignal: signal } : {})) as NodeJS.ReadableStream;
    } catch (error) {
      if (signal?.aborted) throw interruptedError();
      throw this.pullFailed(name, error);
    }
    const onAbort = (): void => {
      // Destroying the response ends the request; dockerd then cancels the pull.
      (stream as NodeJS.ReadableStream & { destroy?: (e?: Error) => void }).destroy?.(new Error('pull interrupted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        let streamError: string | undefined;
        this.docker.modem.followProgress(
          stream,
          (error: Error | null) => {
            if (error) reject(error);
            else if (streamError !== undefined) reject(new Error(streamError));
            else resolve();
          },
          (event: unknown) => {
            const result = applyPullEvent(progress, event);
            if (result.error !== undefined) streamError ??= result.error;
            else if (result.changed) schedule();
          },
        );
      });
    } catch (error) {
      if (signal?.aborted) throw interruptedError();
      throw this.pullFailed(name, error);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (pending !== undefined) clearTimeout(pending);
    }
    send();
  }

  private pullFailed(name: string, error: unknown): IgniteError {
    const e = asEngineError(error);
    if (e.statusCode === undefined && e.code !== undefined && CONNECTION_CODES.has(e.code)) {
      return unreachable(this.where, e.code, this.source, error);
    }
    return new IgniteError('docker', `Cannot pull image ${name}: ${engineMessage(error)}`, {
      hint:
        'Check that this host can reach the registry, or load the image (`docker load -i <file>`) and run again, ' +
        'or name an image you have with --etcd-image / --flannel-image.',
      cause: error,
    });
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
        hint: 'Drop --pull never, load the image first (`docker load -i <file>`), or name another image with --etcd-image / --flannel-image.',
      });
    }
    await this.pullImage(name, onProgress, signal);
    return 'pulled';
  }

  // -- containers ----------------------------------------------------------------------------

  async listManaged(role?: ContainerRole): Promise<ManagedContainer[]> {
    const label = [`${LABELS.managed}=true`, ...(role ? [`${LABELS.role}=${role}`] : [])];
    const list = await this.call('list containers', () => this.docker.listContainers({ all: true, filters: { label } }));
    return list.map((c) => {
      const labels = c.Labels ?? {};
      const r = labels[LABELS.role];
      return {
        id: c.Id,
        name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
        image: c.Image,
        state: c.State as ContainerState,
        status: c.Status,
        ...(r === 'etcd' || r === 'flannel' ? { role: r } : {}),
        labels,
      };
    });
  }

  /** undefined when no such container. */
  async inspectContainer(nameOrId: string): Promise<ContainerView | undefined> {
    return this.call(`inspect container ${nameOrId}`, async () => {
      try {
        return toView(await this.docker.getContainer(nameOrId).inspect());
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
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
        hint: hintForStartFailure(reason),
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

  /** Idempotent: a stopped container (304) is just removed; a missing one (404) is 'absent'. */
  async stopAndRemove(id: string, timeoutSec: number): Promise<'removed' | 'absent'> {
    const container = this.docker.getContainer(id);
    return this.call(`stop and remove container ${id}`, async () => {
      try {
        await container.stop({ t: timeoutSec });
      } catch (error) {
        const status = statusOf(error);
        if (status === 404) return 'absent';
        if (status !== 304) throw error;
      }
      try {
        // v: anonymous volumes die with the container; named ones (etcd's data) are never touched by it.
        await container.remove({ v: true });
      } catch (error) {
        const status = statusOf(error);
        if (status === 404) return 'absent';
        // 409 "removal already in progress": someone else is removing it; that is our outcome too.
        if (status === 409 && /already in progress/i.test(engineMessage(error))) return 'removed';
        throw error;
      }
      return 'removed';
    });
  }

  /** The last `tail` lines of stdout and stderr, interleaved as written; [] for a missing container. */
  async containerLogs(id: string, tail: number): Promise<string[]> {
    return this.call(`read logs of ${id}`, async () => {
      let raw: unknown;
      try {
        raw = await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail, follow: false });
      } catch (error) {
        if (statusOf(error) === 404) return [];
        throw error;
      }
      // docker-modem parses bodies that happen to be JSON (a TTY container logging one JSON line).
      const buffer = Buffer.isBuffer(raw) ? raw : Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw));
      const lines = demuxLogs(buffer).split('\n').map((l) => l.replace(/\r$/, ''));
      if (lines.at(-1) === '') lines.pop();
      return lines.slice(-tail);
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
      const raw: unknown = await container.logs({ ...base, follow: false });
      // docker-modem parses bodies that happen to be JSON (a TTY container logging one JSON line).
      return Readable.from([Buffer.isBuffer(raw) ? raw : Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw))]);
    });
  }

  /**
   * Force-removes a container by name, for one that carries a name we need but not our labels.
   * Callers decide (ask or refuse) before calling; true when something was removed.
   */
  async removeByName(name: string): Promise<boolean> {
    return this.call(`remove container ${name}`, async () => {
      try {
        await this.docker.getContainer(name).remove({ force: true, v: false });
        return true;
      } catch (error) {
        if (statusOf(error) === 404) return false;
        if (statusOf(error) === 409 && /already in progress/i.test(engineMessage(error))) return true;
        throw error;
      }
    });
  }

  // -- volumes -------------------------------------------------------------------------------

  async inspectVolume(name: string): Promise<VolumeView | undefined> {
    return this.call(`inspect volume ${name}`, async () => {
      try {
        const v = await this.docker.getVolume(name).inspect();
        return { name: v.Name, labels: v.Labels ?? {}, mountpoint: v.Mountpoint };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
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
        await this.docker.getVolume(name).remove();
        return true;
      } catch (error) {
        const status = statusOf(error);
        if (status === 404) return false;
        if (status === 409) {
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

function hintForStartFailure(reason: string): string {
  if (/\/dev\/net\/tun/.test(reason)) return 'Load the tun module (`modprobe tun`) so /dev/net/tun exists.';
  if (/address already in use/i.test(reason)) return 'Another process holds a port this container needs; see `ss -lntup`.';
  if (/no such file or directory/i.test(reason) && /exec/i.test(reason)) {
    return 'The image lacks the expected binary; check --etcd-image / --flannel-image point at the right images.';
  }
  return 'See `docker logs` of the container and the Docker daemon log (`journalctl -u docker`).';
}
