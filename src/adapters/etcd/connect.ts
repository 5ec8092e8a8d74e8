/**
 * How the etcd3 client is built: endpoints, deadlines, fault handling and gRPC options. Transport
 * security and credentials belong here too, each from a module of its own (etcd/tls.ts, etcd/auth.ts)
 * that contributes its part of the client options.
 */
import { ConstantBackoff, handleWhen, noop, retry } from 'cockatiel';
import { Etcd3, GRPCUnavailableError, type IOptions } from 'etcd3';
import { usageError } from '../../core/errors.js';
import { PORTS } from '../../defaults.js';
import { authClientOptions, authenticateOverClientChannels, type EtcdAuth } from './auth.js';
import { tlsClientOptions, type EtcdTls } from './tls.js';

export interface ConnectOptions {
  /** Deadline for every single call (and so for connecting); no call waits longer. */
  timeoutMs: number;
  /** Speak TLS (endpoints become https://), verifying the server against this CA. */
  tls?: EtcdTls;
  /** Authenticate as this etcd user. */
  auth?: EtcdAuth;
}

/**
 * Accepts `http://host:port`, `https://…`, `host:port` or `host` (port 2379). Without a scheme the
 * endpoint is https:// when `tls` is set; an explicit http:// with `tls` is a contradiction.
 */
export function normalizeEndpoint(endpoint: string, tls = false): string {
  const trimmed = endpoint.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `${tls ? 'https' : 'http'}://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw usageError(`invalid etcd endpoint "${endpoint}"`, 'Give it as http://<host>:2379 or <host>.');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw usageError(`invalid etcd endpoint "${endpoint}"`, 'Give it as http://<host>:2379 or <host>.');
  }
  if (tls && url.protocol === 'http:') {
    throw usageError(
      `etcd endpoint "${endpoint}" is plain http:// but TLS to etcd is configured`,
      'Give it as https://<host>:2379 or just <host>: the overlay\'s etcd speaks only TLS.',
    );
  }
  return `${url.protocol}//${url.hostname}:${url.port || PORTS.etcdClient}`;
}

/** `endpoints` already normalized. */
export function connectClient(endpoints: readonly string[], options: ConnectOptions): Etcd3 {
  const client = new Etcd3(clientOptions(endpoints, options));
  if (options.auth) authenticateOverClientChannels(client);
  return client;
}

function clientOptions(endpoints: readonly string[], options: ConnectOptions): IOptions {
  const tls = options.tls ? tlsClientOptions(options.tls) : undefined;
  return {
    hosts: [...endpoints],
    ...(tls ? { credentials: tls.credentials } : {}),
    ...(options.auth ? authClientOptions(options.auth) : {}),
    // The client's default retries and circuit breaker would turn a dead peer into minutes of
    // silence; the caller decides whether to retry (waitUntilReady) and with which timeout. The
    // one exception: an endpoint that refuses the connection is skipped for the next one, at most
    // once per other endpoint, so a list with one dead member still works.
    faultHandling: {
      host: () => noop,
      global:
        endpoints.length > 1
          ? retry(
              handleWhen((error) => error instanceof GRPCUnavailableError),
              { maxAttempts: endpoints.length - 1, backoff: new ConstantBackoff(0) },
            )
          : noop,
    },
    // Streams (watches) are long-lived by design; every unary call gets the deadline.
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + options.timeoutMs }),
    // grpc-js backs off reconnects up to 2 minutes; a peer that comes up should be seen within a
    // second. The client drops its channel after a connection error; a local subchannel pool makes
    // the next channel connect afresh (and report "connection refused" again) instead of inheriting
    // the old channel's backoff and running into the deadline.
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 1_000,
      'grpc.use_local_subchannel_pool': 1,
      ...tls?.grpcOptions,
    },
  };
}

/** One endpoint or several, normalized (https:// with `options.tls`); none is a usage error. */
export function normalizeEndpoints(endpoint: string | readonly string[], options: Pick<ConnectOptions, 'tls'>): string[] {
  const endpoints = (typeof endpoint === 'string' ? [endpoint] : [...endpoint]).map((e) => normalizeEndpoint(e, options.tls !== undefined));
  if (endpoints.length === 0) throw usageError('no etcd endpoint given');
  return endpoints;
}
