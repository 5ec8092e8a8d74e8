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

  const refused = authRefusal(error, raw, where);
  if (refused) return refused;
  const tls = tlsFailure(error, raw, where, endpoints);
  if (tls) return tls;
  const membership = membershipFailure(error, raw, where);
  if (membership) return membership;
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
      unreachableReason(error, raw, timeoutMs, endpoints),
      unreachableHint(endpoints),
      error,
    );
  }
  // etcd3's classes for "user name not found", "role name already exists", … extend Error only.
  if (error instanceof GRPCGenericError || error instanceof EtcdError || /\betcdserver: /.test(raw)) {
    return etcdError(
      `etcd at ${where} failed the request`,
      trimReason(raw),
      'Look at the etcd logs on that host (`docker logs ignite-etcd`).',
      error,
    );
  }
  return error;
}

/** etcd's refusals of an identity; none of them quotes a secret (etcd never echoes the password). */
function authRefusal(error: unknown, raw: string, where: string): IgniteError | undefined {
  if (/user name is empty/.test(raw)) {
    return new IgniteError('permission', `etcd at ${where} requires a user name and password (user name is empty)`, {
      hint: 'This etcd has authentication on: run the command on the init host or on a host that joined the overlay (its credentials are in the state directory).',
      cause: error,
    });
  }
  if (error instanceof EtcdAuthenticationFailedError || /authentication failed, invalid user ID or password/.test(raw)) {
    return new IgniteError('permission', `etcd at ${where} does not know this identity (authentication failed)`, {
      hint: 'The etcd user was revoked (`hosts revoke`, `token delete`) or its password is wrong: a revoked host joins again with a new token (`ignite-net token create` on the init host).',
      cause: error,
    });
  }
  if (error instanceof EtcdPermissionDeniedError || error instanceof GRPCUnauthenticatedError) {
    return new IgniteError('permission', `etcd at ${where} refused the request (${trimReason(raw)})`, {
      hint: "This etcd identity's role does not allow it: ignite-net's admin commands run on the init host, as etcd's root.",
      cause: error,
    });
  }
  if (error instanceof EtcdInvalidAuthTokenError || /invalid auth token/.test(raw)) {
    // etcd3 itself authenticates again on this error, so it only gets here when that fails too.
    return etcdError(`etcd at ${where} rejected the session`, 'invalid auth token', 'Run the command again.', error);
  }
  if (/revision of auth store is old/.test(raw)) {
    return etcdError(`etcd at ${where} changed its users or roles during the request`, 'revision of auth store is old', 'Run the command again.', error);
  }
  if (/authentication is not enabled/.test(raw)) {
    return etcdError(
      `etcd at ${where} has authentication off, but this host has credentials for it`,
      'authentication is not enabled',
      "This is not the overlay's secured etcd, or its auth was disabled: check the endpoint.",
      error,
    );
  }
  return undefined;
}

/** The member API's refusals (adapters/etcd/members.ts retries the first two within a bound). */
export const MEMBER_ERRORS = {
  tooManyLearners: /too many learner members in cluster/,
  learnerNotReady: /can only promote a learner member which is in sync with leader/,
  notLearner: /can only promote a learner member(?! which)/,
  memberNotFound: /etcdserver: member not found/,
  /** Strict reconfiguration check: the leader has not been connected to every voting member for 5 s (a member just joined, or one is down). */
  unhealthy: /etcdserver: unhealthy cluster|re-configuration failed due to not enough started members/,
} as const;

function membershipFailure(error: unknown, raw: string, where: string): IgniteError | undefined {
  if (MEMBER_ERRORS.tooManyLearners.test(raw)) {
    return new IgniteError('conflict', `etcd at ${where} already has a learner member catching up (too many learner members in cluster)`, {
      hint: 'Another host is joining the control plane: let it finish, then run this again (`ignite-net status` lists the members).',
      cause: error,
    });
  }
  if (MEMBER_ERRORS.learnerNotReady.test(raw)) {
    return etcdError(
      `etcd at ${where} cannot promote the new member yet`,
      'learner not in sync with the leader',
      'Its log has not caught up: check 2380/tcp between the control-plane hosts and `docker logs ignite-etcd` on the new one, then run the join again.',
      error,
    );
  }
  if (MEMBER_ERRORS.unhealthy.test(raw)) {
    return new IgniteError('conflict', `etcd at ${where} refused the member change: not every member is connected and healthy (${trimReason(raw)})`, {
      hint: 'A member that joined in the last seconds settles by itself: run this again; a member that is down must come back (or be removed) first (`ignite-net status` shows which).',
      cause: error,
    });
  }
  if (/Peer URLs already exists/i.test(raw)) {
    return new IgniteError('conflict', `etcd at ${where} already has a member with this peer URL (${trimReason(raw)})`, {
      hint: 'This host is a member already, or an old member with its address was never removed: `ignite-net status` lists the members.',
      cause: error,
    });
  }
  if (/rpc not supported for learner/.test(raw)) {
    return etcdError(
      `etcd at ${where} is a learner member that is not promoted yet`,
      'rpc not supported for learner',
      'Connect to a voting member, or wait for the join that added it to promote it.',
      error,
    );
  }
  if (/member has been permanently removed from the cluster|the member has been permanently removed/.test(raw)) {
    return etcdError(
      `etcd at ${where} was removed from the cluster`,
      'member permanently removed',
      'Its host left the control plane (`ignite-net cleanup` there): connect to another member, or join that host again with `--control-plane`.',
      error,
    );
  }
  return undefined;
}

/** Certificate problems cannot be waited out, unlike an unreachable endpoint. */
function tlsFailure(error: unknown, raw: string, where: string, endpoints: readonly string[]): IgniteError | undefined {
  const caHint = "This is not the overlay's etcd, or the CA is another overlay's: check the endpoint and the CA in the state directory (pki/ca.pem).";
  if (/self[- ]signed certificate|unable to verify|unable to get (local )?issuer|unknown authority|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER/i.test(raw)) {
    return etcdError(`etcd at ${where} presented a certificate the overlay's CA did not sign`, tlsReason(raw), caHint, error);
  }
  if (/certificate has expired|CERT_HAS_EXPIRED|certificate is not yet valid|CERT_NOT_YET_VALID/i.test(raw)) {
    return etcdError(`etcd at ${where} presented a certificate outside its validity`, tlsReason(raw), 'Check the clocks of both hosts; an expired server certificate is renewed on the init host.', error);
  }
  if (/altnames|does not match certificate|ERR_TLS_CERT_ALTNAME_INVALID/i.test(raw)) {
    return etcdError(`etcd at ${where} presented a certificate for another address`, tlsReason(raw), 'Connect to the address the overlay was set up with (`ignite-net status` on the init host shows it).', error);
  }
  const secure = endpoints.some((e) => e.startsWith('https:'));
  if (secure && /disconnected before secure TLS connection|wrong version number|packet length too long|EPROTO/i.test(raw)) {
    return etcdError(`etcd at ${where} does not speak TLS`, 'connection closed during the TLS handshake', "It is not the overlay's secured etcd (an etcd without TLS, or another service on that port): check the endpoint.", error);
  }
  return undefined;
}

/** Node's words for the certificate problem, without gRPC's wrapping ("… Last error: Error: <this>. Resolution note: "). */
function tlsReason(raw: string): string {
  const match = /Last error: (?:Error: )?(.*?)(?:\. Resolution note:|$)/.exec(raw.split('\n')[0] ?? raw);
  return trimReason(match?.[1] ?? raw);
}

export function unreachableHint(endpoints: readonly string[]): string {
  const ports = [...new Set(endpoints.map((e) => new URL(e).port || String(PORTS.etcdClient)))];
  const hosts = [...new Set(endpoints.map((e) => new URL(e).hostname))].join(', ');
  return (
    `Check that etcd runs on ${hosts} (\`ignite-net init\` there starts it) and that port ` +
    `${ports.map((p) => `${p}/tcp`).join(', ')} is reachable from this host (firewall, security group).`
  );
}

function unreachableReason(error: unknown, raw: string, timeoutMs: number | undefined, endpoints: readonly string[]): string {
  if (error instanceof GRPCDeadlineExceededError || /deadline exceeded/i.test(raw)) {
    return timeoutMs === undefined ? 'no answer in time' : `no answer within ${formatDuration(timeoutMs)}`;
  }
  if (/ECONNREFUSED/.test(raw)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN/.test(raw)) return 'host name not found';
  if (/EHOSTUNREACH|ENETUNREACH/.test(raw)) return 'no route to host';
  if (/ETIMEDOUT/.test(raw)) return 'connection timed out';
  if (/ECONNRESET/.test(raw)) {
    // A plain etcd answers a TLS ClientHello by closing, now and then with a reset instead.
    return endpoints.some((e) => e.startsWith('https:')) ? 'connection reset; an etcd without TLS does this too' : 'connection reset';
  }
  if (/no leader/i.test(raw)) return 'no leader';
  if (/Failed to connect \(/.test(raw)) {
    // grpc-js's words when the HTTP/2 session fails after TCP connected: a TLS-only port to a plain client.
    return 'no plain HTTP/2 answer; if it serves TLS, connect with https:// and the overlay\'s CA';
  }
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
