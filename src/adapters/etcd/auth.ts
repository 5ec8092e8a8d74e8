/**
 * Password authentication of the etcd client. etcd3 exchanges the password for a token on the first
 * call, and again when etcd says the token is invalid (e.g. after a restart); the password itself is
 * never part of an error or event (errors.ts words the failures without it).
 */
import { castGrpcError, isRecoverableError, type Etcd3, type IOptions } from 'etcd3';
import { usageError } from '../../core/errors.js';

export interface EtcdAuth {
  /** Not secret: e.g. `ignite-host-<id>` or `root`. */
  username: string;
  password: string;
}

export function authClientOptions(auth: EtcdAuth): Pick<IOptions, 'auth'> {
  if (auth.username.trim() === '') throw usageError('an etcd user name is empty');
  if (auth.password === '') throw usageError(`the etcd password of user "${auth.username}" is empty`);
  return { auth: { username: auth.username, password: auth.password } };
}

/** The parts of etcd3 1.1.2's connection pool (private, version pinned in package.json) used below. */
/** gRPC call options (deadline); opaque here, so that @grpc/grpc-js stays etcd3's dependency, not ours. */
type CallOptions = object;
interface PoolInternals {
  hosts: Array<{ host: string; getServiceClient(name: 'Auth'): AuthStub; resetAllServices(): void }>;
  authenticator: { getCredentialsFromHost(address: string, name: string, password: string, callOptions: CallOptions): Promise<string> };
}
interface AuthStub {
  authenticate(request: { name: string; password: string }, options: CallOptions, done: (error: Error | null, response?: { token: string }) => void): void;
}

/**
 * etcd3 fetches the token over a channel of its own, made without the client's gRPC options: on the
 * global subchannel pool, with gRPC's default reconnect backoff (up to 2 minutes), so after one
 * failure it reports "Last error: null" until the backoff passes — a restarted etcd is not seen in
 * time and a certificate error is quoted only once. This routes the exchange over the host's own
 * Auth client (the client's options, local subchannel pool), reset after a connection failure as
 * etcd3 does for every other service.
 */
export function authenticateOverClientChannels(client: Etcd3): void {
  // Private fields of a pinned version: test/etcd/auth.test.ts fails if this stops taking effect.
  const pool = (client as unknown as { pool: PoolInternals }).pool;
  pool.authenticator.getCredentialsFromHost = (address, name, password, callOptions) => {
    const host = pool.hosts.find((h) => h.host === address);
    if (!host) return Promise.reject(new Error(`etcd3: no host ${address} in the pool`));
    return new Promise((resolve, reject) => {
      host.getServiceClient('Auth').authenticate({ name, password }, callOptions, (error, response) => {
        if (error || !response) {
          const cast = castGrpcError(error ?? new Error('no response to Authenticate'));
          if (isRecoverableError(cast)) host.resetAllServices();
          reject(cast);
        } else {
          resolve(response.token);
        }
      });
    });
  };
}
