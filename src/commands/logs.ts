/**
 * `ignite-net logs [etcd|flannel] [-f] [--tail n]`: the containers' logs through the Docker API. The
 * containers are found by ignite-net's labels, never by name, so a foreign `ignite-flannel` (the old
 * script's) is never shown as ours. Log lines go to stdout (with --json one JSON object a line:
 * container, stream, time, text), notes and errors to stderr.
 */
import type { Options } from '../options.js';
import { dockerOnDemand } from '../adapters/docker/connect.js';
import { readIfExists } from '../adapters/host-files.js';
import { logSecrets } from '../adapters/log-secrets.js';
import { statePath } from '../adapters/state.js';
import { INSECURE_OVERLAY } from '../pki/facts.js';
import type { Services } from '../adapters/services.js';
import type { DockerClient } from '../adapters/docker/client.js';
import { LogDecoder, type LogLine } from '../adapters/docker/log-frames.js';
import type { ManagedContainer } from '../adapters/docker/view.js';
import { ExitCode, IgniteError, toErrorView } from '../core/errors.js';
import { CONTAINER_NAMES, LABELS, type ContainerRole } from '../defaults.js';
import { paint } from '../ui/ansi.js';
import { colorEnabled } from '../ui/mode.js';
import { errorLines } from '../ui/plain-reporter.js';
import type { ReporterStreams } from '../ui/reporter.js';

const ROLES: readonly ContainerRole[] = ['etcd', 'flannel'];

/** Docker's `timestamps` prefix: RFC 3339 with nanoseconds, then one space. */
const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;

export function splitTimestamp(line: string): { time?: string; text: string } {
  const match = TIMESTAMP.exec(line);
  return match?.[1] === undefined ? { text: line } : { time: match[1], text: line.slice(match[0].length) };
}

/** Nanosecond timestamps as a sortable key (Docker trims trailing zeros, so text order is not enough). */
function timeKey(time: string | undefined): bigint {
  if (time === undefined) return 0n;
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(time);
  const ms = Date.parse(`${match?.[1] ?? time}${match?.[3] ?? ''}`);
  if (Number.isNaN(ms)) return 0n;
  const nanos = BigInt((match?.[2] ?? '').padEnd(9, '0').slice(0, 9) || '0');
  return BigInt(ms) * 1_000_000n + nanos;
}

export interface SourcedLine {
  container: string;
  stream: LogLine['stream'];
  time?: string;
  text: string;
}

/**
 * `logs --json`: one object a line, the same text the plain output shows (already redacted by the
 * decoder); `time` is Docker's RFC 3339 timestamp, null when the line had none.
 */
export function jsonLine(line: SourcedLine): string {
  return JSON.stringify({ container: line.container, stream: line.stream, time: line.time ?? null, text: line.text });
}

/** One line of output, plain or JSON. */
function render(line: SourcedLine, width: number | undefined, json: boolean): string {
  return `${json ? jsonLine(line) : formatLine(line, width)}\n`;
}

/**
 * Interleaves several containers' lines by their time, each container's own order kept (a stable
 * merge), so what etcd said just before flannel failed reads in that order.
 */
export function mergeByTime(perContainer: SourcedLine[][]): SourcedLine[] {
  const all = perContainer.flatMap((lines, source) => lines.map((line, index) => ({ line, source, index, key: timeKey(line.time) })));
  all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.source - b.source || a.index - b.index));
  return all.map((entry) => entry.line);
}

/** `ignite-etcd    | text` when several containers share the output, as docker compose does. */
export function formatLine(line: SourcedLine, width: number | undefined): string {
  return width === undefined ? line.text : `${line.container.padEnd(width)} | ${line.text}`;
}

function noContainer(target: ContainerRole | undefined): IgniteError {
  const label = `${LABELS.managed}=true`;
  if (target === 'etcd') {
    return new IgniteError('docker', `no ${CONTAINER_NAMES.etcd} container of ignite-net on this host (looked for the label ${label})`, {
      hint: 'etcd runs only on the init host: run `ignite-net logs etcd` there, or `ignite-net init` here to set it up.',
    });
  }
  const what = target === 'flannel' ? `no ${CONTAINER_NAMES.flannel} container` : 'no containers';
  return new IgniteError('docker', `${what} of ignite-net on this host (looked for the label ${label})`, {
    hint: 'Run `ignite-net init` or `ignite-net join <host>` first. A container ignite-net did not create (ignite-flannel.sh\'s) is not shown: use `docker logs` for it.',
  });
}

/** As status writes its errors: message, details, hint. */
function writeError(streams: ReporterStreams, error: IgniteError): number {
  const view = toErrorView(error);
  streams.stderr.write(`${errorLines(view, paint(colorEnabled(streams.stderr, streams.env)), '').join('\n')}\n`);
  return view.exitCode;
}

type LogsServices = Pick<Services, 'docker'> & { files: Pick<Services['files'], 'readIfExists'> };

/**
 * `services`: only Docker, connected as hostServices does (dockerOnDemand), without loading the etcd
 * client, and the state dir's flannel password, which the decoder redacts (LogDecoder).
 */
export async function runLogs(
  options: Options,
  streams: ReporterStreams,
  signal: AbortSignal,
  services: LogsServices = { docker: dockerOnDemand(options, { env: streams.env }), files: { readIfExists } },
): Promise<number> {
  try {
    const docker = await services.docker();
    const secrets = await logSecrets(services.files, options.stateDir);
    if (await isInsecureHost(services.files, options.stateDir)) streams.stderr.write(`[WARN] ${INSECURE_OVERLAY.message} — ${INSECURE_OVERLAY.hint}\n`);
    const roles = options.logsTarget === undefined ? ROLES : [options.logsTarget];
    const found = (await docker.listManaged()).filter((c): c is ManagedContainer & { role: ContainerRole } => c.role !== undefined && roles.includes(c.role));
    found.sort((a, b) => ROLES.indexOf(a.role) - ROLES.indexOf(b.role) || a.name.localeCompare(b.name));
    if (found.length === 0) return writeError(streams, noContainer(options.logsTarget));
    if (options.logsTarget === undefined && !found.some((c) => c.role === 'etcd')) {
      streams.stderr.write(`(no ${CONTAINER_NAMES.etcd} here: a joined host runs only flannel)\n`);
    }
    const width = found.length > 1 ? Math.max(...found.map((c) => c.name.length)) : undefined;
    if (!options.follow) {
      const perContainer = await Promise.all(found.map((c) => readAll(docker, c, options.tail, secrets)));
      const lines = mergeByTime(perContainer).map((line) => render(line, width, options.json));
      if (lines.length > 0) streams.stdout.write(lines.join(''));
      return ExitCode.ok;
    }
    await follow(docker, found, { tail: options.tail, width, json: options.json }, secrets, streams, signal);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof IgniteError) return writeError(streams, error);
    throw error;
  }
}

/** The state file records an overlay without TLS (init --insecure, 0.1); an unreadable one is status's and doctor's to report. */
async function isInsecureHost(files: LogsServices['files'], stateDir: string): Promise<boolean> {
  const text = await files.readIfExists(statePath(stateDir)).catch(() => undefined);
  if (text === undefined) return false;
  try {
    const state = JSON.parse(text) as { security?: unknown };
    return typeof state === 'object' && state !== null && state.security === undefined;
  } catch {
    return false;
  }
}

function toSourced(container: ManagedContainer, line: LogLine): SourcedLine {
  const { time, text } = splitTimestamp(line.text);
  return { container: container.name, stream: line.stream, ...(time === undefined ? {} : { time }), text };
}

async function readAll(docker: DockerClient, container: ManagedContainer, tail: number, secrets: readonly string[]): Promise<SourcedLine[]> {
  const stream = await docker.logStream(container.id, { tail, follow: false, timestamps: true });
  const decoder = new LogDecoder(secrets);
  const lines: LogLine[] = [];
  for await (const chunk of stream) lines.push(...decoder.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
  lines.push(...decoder.end());
  return lines.map((line) => toSourced(container, line));
}

/**
 * Prints each container's last lines and then new ones as they come, until Ctrl-C (the signal), the
 * reader of stdout goes away, or every container has stopped.
 */
async function follow(
  docker: DockerClient,
  containers: ManagedContainer[],
  { tail, width, json }: { tail: number; width: number | undefined; json: boolean },
  secrets: readonly string[],
  streams: ReporterStreams,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return;
  const opened = await Promise.all(containers.map(async (c) => ({ container: c, stream: await docker.logStream(c.id, { tail, follow: true, timestamps: true }) })));
  // A follow request never ends by itself; destroying the response is how the Engine is told to stop.
  const stopAll = (): void => {
    for (const { stream } of opened) (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
  };
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE') stopAll();
  };
  signal.addEventListener('abort', stopAll, { once: true });
  streams.stdout.on('error', onStdoutError);
  try {
    await Promise.all(
      opened.map(
        ({ container, stream }) =>
          new Promise<void>((resolve) => {
            const decoder = new LogDecoder(secrets);
            const write = (lines: LogLine[]): void => {
              if (lines.length === 0) return;
              const text = lines.map((line) => render(toSourced(container, line), width, json)).join('');
              if (!streams.stdout.write(text)) {
                // A slow reader: wait for it rather than buffer an endless log in memory.
                stream.pause();
                streams.stdout.once('drain', () => stream.resume());
              }
            };
            let done = false;
            const finish = (): void => {
              if (done) return;
              done = true;
              write(decoder.end());
              if (!signal.aborted) streams.stderr.write(`(${container.name} stopped; its log ends here)\n`);
              resolve();
            };
            stream.on('data', (chunk: Buffer | string) => write(decoder.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))));
            stream.on('end', finish);
            stream.on('close', finish);
            stream.on('error', finish);
          }),
      ),
    );
  } finally {
    signal.removeEventListener('abort', stopAll);
    streams.stdout.off('error', onStdoutError);
  }
}
