/**
 * The one place that maps what the etcd3 client and gRPC throw to errors an operator can act on
 * (as etcd3's own castGrpcError does for its classes).
 */
import {
  ClientClosedError,
  EtcdAuthenticationFailedError,
  EtcdError,
  EtcdInvalidAuthTokenError,
  EtcdPermissionDeniedError,
  GRPCDeadlineExceededError,
  GRPCGenericError,
  GRPCProtocolError,
  GRPCResourceExhastedError,
  GRPCUnauthenticatedError,
  GRPCUnavailableError,
} from 'etcd3';
import { formatDuration } from '../../core/duration.js';
import { IgniteError } from '../../core/errors.js';
import { PORTS } from '../../defaults.js';

/** etcd did not answer (refused, unreachable, past the deadline): waiting may help, unlike a refusal. */
export class EtcdUnreachableError extends IgniteError {
  constructor(
    message: string,
    /** The short why, e.g. "connection refused": waitUntilReady quotes the last one. */
    readonly reason: string,
    hint: string,
    cause: unknown,
  ) {
    super('etcd', `${message} (${reason})`, { hint, cause });
  }

  /** The call ran into its deadline (rather than being refused or reset). */
  get deadlineExceeded(): boolean {
    return this.cause instanceof GRPCDeadlineExceededError;
  }
}

/**
 * IgniteErrors pass through; anything that is not an etcd or gRPC error is returned unchanged (it is
 * a bug). `timeoutMs` is the call's deadline, quoted when it ran out.
 */
export function toIgniteError(error: unknown, endpoints: readonly string[], timeoutMs?: number): unknown {
  if (error instanceof IgniteError) return error;
  const where = endpoints.join(', ');
  const raw = error instanceof Error ? error.message : String(error);

  if (
    error instanceof EtcdPermissionDeniedError ||
    error instanceof EtcdAuthenticationFailedError ||
    error instanceof EtcdInvalidAuthTokenError ||
    error instanceof GRPCUnauthenticatedError
  ) {
    return etcdError(
      `etcd at ${where} refused the request`,
      trimReason(raw),
      'This etcd requires authentication or denies these keys; use the etcd that `ignite-net init` set up.',
      error,
    );
  }
  if (error instanceof GRPCResourceExhastedError && /space exceeded/i.test(raw)) {
    return etcdError(
      `etcd at ${where} is out of space`,
      'database space exceeded',
      'Compact and defragment it, then `etcdctl alarm disarm` on that host.',
      error,
    );
  }
  const unreachable =
    error instanceof GRPCUnavailableError ||
    error instanceof GRPCDeadlineExceededError ||
    error instanceof GRPCProtocolError ||
    error instanceof ClientClosedError ||
    /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|No connection established/i.test(raw);
  if (unreachable) {
    return new EtcdUnreachableError(
      `etcd at ${where} is not answering over the v3 API`,
      unreachableReason(error, raw, timeoutMs),
      unreachableHint(endpoints),
      error,
    );
  }
  if (error instanceof GRPCGenericError || error instanceof EtcdError) {
    return etcdError(
      `etcd at ${where} failed the request`,
      trimReason(raw),
      'Look at the etcd logs on that host (`docker logs ignite-etcd`).',
      error,
    );
  }
  return error;
}

export function unreachableHint(endpoints: readonly string[]): string {
  const ports = [...new Set(endpoints.map((e) => new URL(e).port || String(PORTS.etcdClient)))];
  const hosts = [...new Set(endpoints.map((e) => new URL(e).hostname))].join(', ');
  return (
    `Check that etcd runs on ${hosts} (\`ignite-net init\` there starts it) and that port ` +
    `${ports.map((p) => `${p}/tcp`).join(', ')} is reachable from this host (firewall, security group).`
  );
}

function unreachableReason(error: unknown, raw: string, timeoutMs: number | undefined): string {
  if (error instanceof GRPCDeadlineExceededError || /deadline exceeded/i.test(raw)) {
    return timeoutMs === undefined ? 'no answer in time' : `no answer within ${formatDuration(timeoutMs)}`;
  }
  if (/ECONNREFUSED/.test(raw)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN/.test(raw)) return 'host name not found';
  if (/EHOSTUNREACH|ENETUNREACH/.test(raw)) return 'no route to host';
  if (/ETIMEDOUT/.test(raw)) return 'connection timed out';
  if (/ECONNRESET/.test(raw)) return 'connection reset';
  if (/no leader/i.test(raw)) return 'no leader';
  if (error instanceof GRPCProtocolError || /protocol error|http2|TLS|handshake/i.test(raw)) {
    return `not an etcd v3 endpoint: ${trimReason(raw)}`;
  }
  if (error instanceof ClientClosedError) return 'client closed';
  return trimReason(raw);
}

/** gRPC messages look like "14 UNAVAILABLE: No connection established. Last error: …"; keep one short line. */
function trimReason(raw: string): string {
  const line = (raw.split('\n')[0] ?? raw).replace(/^\d+ [A-Z_]+: /, '').replace(/^etcdserver: /, '');
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

function etcdError(message: string, reason: string, hint: string, cause: unknown): IgniteError {
  return new IgniteError('etcd', `${message} (${reason})`, { hint, cause });
}
