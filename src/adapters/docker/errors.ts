/**
 * What the Engine's failures mean: HTTP answers with an explicit meaning (404 = absent, 304 = already
 * stopped, 409 = removal already in progress) and operator-fixable failures as IgniteError.
 */
import { formatDuration } from '../../core/duration.js';
import { IgniteError } from '../../core/errors.js';
import type { DockerHostSource } from './host.js';

interface EngineError {
  statusCode?: number;
  code?: string;
  message: string;
  /** The Engine's JSON body, `{ message }`, when it sent one. */
  json?: unknown;
}

export function asEngineError(error: unknown): EngineError {
  if (typeof error === 'object' && error !== null) return error as EngineError;
  return { message: String(error) };
}

export function statusOf(error: unknown): number | undefined {
  return asEngineError(error).statusCode;
}

/** undefined when the Engine answers 404 (no such container, image or volume); other failures pass. */
export async function absentOn404<T>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** A stop answered 304 found the container already stopped: the outcome asked for. */
export async function stoppedOn304(work: () => Promise<unknown>): Promise<true> {
  try {
    await work();
  } catch (error) {
    if (statusOf(error) !== 304) throw error;
  }
  return true;
}

/** A remove answered 409 "removal already in progress": someone else is removing it, our outcome too. */
export async function removedOnRemovalInProgress(work: () => Promise<unknown>): Promise<true> {
  try {
    await work();
  } catch (error) {
    if (!(statusOf(error) === 409 && /already in progress/i.test(engineMessage(error)))) throw error;
  }
  return true;
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

export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Socket-level failures: nothing (or nothing we may use) answers at the address. */
const CONNECTION_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** The unreachable error for a call that failed at the socket, else undefined. */
export function connectionFailure(where: string, source: DockerHostSource, error: unknown): IgniteError | undefined {
  const e = asEngineError(error);
  if (e.statusCode === undefined && e.code !== undefined && CONNECTION_CODES.has(e.code)) {
    return unreachable(where, e.code, source, error);
  }
  return undefined;
}

const REACH_HINT =
  'Start the Docker daemon (e.g. `systemctl start docker`), or point --docker-host / DOCKER_HOST at its socket.';

export function unreachable(where: string, reason: string, source: DockerHostSource, cause: unknown, hint = REACH_HINT): IgniteError {
  return new IgniteError('docker', `Docker Engine is not reachable at ${where} (${reason})`, {
    hint,
    details: [`address taken from ${source}`],
    cause,
  });
}

export function notDocker(where: string, what: string, cause?: unknown): IgniteError {
  return new IgniteError('docker', `Something answers at ${where} but it is not a Docker Engine (${what})`, {
    hint: 'Check --docker-host / DOCKER_HOST: it should name the Docker daemon socket, e.g. unix:///var/run/docker.sock.',
    cause,
  });
}

/** Why GET /_ping failed, for the operator; timedOut: the ping's own deadline passed. */
export function pingFailure(where: string, source: DockerHostSource, error: unknown, timedOut: { afterMs: number } | undefined): IgniteError {
  const e = asEngineError(error);
  if (timedOut) return unreachable(where, `no answer within ${formatDuration(timedOut.afterMs)}`, source, error);
  if (e.statusCode === 500 && typeof (e.json as { message?: unknown } | undefined)?.message === 'string') {
    // The Engine's own error shape: a daemon that is up but unwell.
    return new IgniteError('docker', `Docker Engine at ${where} answers with an error: ${engineMessage(error)}`, {
      hint: 'Check the Docker daemon log (`journalctl -u docker`) and restart it.',
      cause: error,
    });
  }
  if (e.statusCode !== undefined) return notDocker(where, `GET /_ping answered HTTP ${e.statusCode}`, error);
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    return unreachable(where, 'permission denied', source, error,
      `Run ignite-net as root (sudo) or as a member of the docker group; check the permissions of ${where.replace('unix://', '')}.`);
  }
  if (e.code === 'ENOENT') return unreachable(where, 'no such socket', source, error);
  if (e.code === 'ECONNREFUSED') return unreachable(where, 'connection refused', source, error);
  if (e.code === 'ENOTSOCK' || e.code === 'EISDIR') return unreachable(where, `${e.code}: not a socket`, source, error);
  if (typeof e.code === 'string' && e.code.startsWith('HPE_')) return notDocker(where, 'it does not speak HTTP', error);
  return unreachable(where, e.code ?? oneLine(e.message), source, error);
}

/** What to try when a container was created but would not start, from the Engine's reason. */
export function startFailureHint(reason: string): string {
  if (/\/dev\/net\/tun/.test(reason)) return 'Load the tun module (`modprobe tun`) so /dev/net/tun exists.';
  if (/address already in use/i.test(reason)) return 'Another process holds a port this container needs; see `ss -lntup`.';
  if (/no such file or directory/i.test(reason) && /exec/i.test(reason)) {
    return 'The image lacks the expected binary; check --etcd-image / --flannel-image point at the right images.';
  }
  return 'See `docker logs` of the container and the Docker daemon log (`journalctl -u docker`).';
}
