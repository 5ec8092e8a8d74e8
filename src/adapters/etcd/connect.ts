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
  shareChannelPerHost(client);
  if (options.auth) authenticateOverClientChannels(client);
  return client;
}

/** The parts of etcd3 1.1.2's pool hosts (private, version pinned in package.json) used below. */
interface ServiceClient {
  getChannel(): unknown;
}
interface HostInternals {
  closed: boolean;
  channelOptions: Record<string, unknown>;
  cachedServices: Record<string, ServiceClient | undefined>;
  getServiceClient(name: string): ServiceClient;
}

/**
 * etcd3 makes a gRPC client per service (KV, Lease, Auth, Cluster, Maintenance, Watch) of a host,
 * each with a channel of its own, and the local subchannel pool (clientOptions) gives each channel a
 * connection of its own: a command asking etcd for keys and a lease, with a password, made three TCP
 * connections and TLS handshakes to the same member (~5–10 ms of this thread each). Here a host's
 * services share the channel of the first one made (gRPC multiplexes the calls over its one HTTP/2
 * connection). etcd3 resets a host's services all together (resetAllServices, after a connection
 * error), and the next ones make a fresh channel, so a connection that failed is still not reused.
 */
function shareChannelPerHost(client: Etcd3): void {
  // Private fields of a pinned version: test/etcd/connect.test.ts fails if this stops taking effect.
  const hosts = (client as unknown as { pool: { hosts: HostInternals[] } }).pool.hosts;
  for (const host of hosts) {
    const own = host.channelOptions;
    const made = host.getServiceClient.bind(host);
    host.getServiceClient = (name) => {
      const cached = host.cachedServices[name];
      if (cached !== undefined || host.closed) return made(name);
      const live = Object.values(host.cachedServices).find((service) => service !== undefined);
      host.channelOptions = live === undefined ? own : { ...own, channelOverride: live.getChannel() };
      return made(name);
    };
  }
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
