/**
 * The only module that talks to etcd (v3 API, through the etcd3 client). It knows flannel's keys and
 * the shape of lease values, but never parses the network config: callers pass the comparison in.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConstantBackoff, handleWhen, noop, retry } from 'cockatiel';
import {
  ClientClosedError,
  Etcd3,
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
  type IKeyValue,
  type IRangeResponse,
} from 'etcd3';
import { IgniteError, usageError } from '../core/errors.js';
import { interruptedError } from '../core/runner.js';
import { ETCD_KEYS, PORTS } from '../defaults.js';
import { leaseKeyToSubnet, parseCidr, subnetToLeaseKey } from '../net/cidr.js';

export interface EtcdStoreOptions {
  /** Deadline for every single call (and so for connecting); no call waits longer. */
  timeoutMs: number;
  /** flanneld's `--etcd-prefix`; default `/coreos.com/network`. */
  prefix?: string;
}

export interface EtcdStatus {
  /** Server version, e.g. "3.4.23". */
  version: string;
  /** False while the member knows no leader: it answers but cannot take writes. */
  hasLeader: boolean;
  dbSizeBytes: number;
}

/** One key under `<prefix>/subnets/`, as flannel writes it. */
export interface Lease {
  key: string;
  /** e.g. "10.50.31.0/24"; "" when the key is not `<ip>-<len>`. */
  subnet: string;
  /** "" when the value could not be parsed. */
  publicIP: string;
  publicIPv6?: string;
  /** "" when the value could not be parsed. */
  backendType: string;
  /** The etcd lease, in hex as `etcdctl lease list` prints it. */
  leaseId?: string;
  /** Seconds left on the etcd lease when read (readLeases only: listLeases asks etcd for no TTL). */
  ttlSeconds?: number;
  /** The key has no etcd lease: a host keeps this subnet for good (flannel's reservation). */
  reserved: boolean;
  /** Set when the key or value is not what flannel writes; the other fields are then best effort. */
  problem?: string;
  /** The value as stored. */
  raw: string;
}

/** The lease held for this public IP, well formed, one under an etcd lease before a reservation. */
export function pickLease(leases: readonly Lease[], publicIP: string): Lease | undefined {
  const mine = leases.filter((lease) => lease.problem === undefined && lease.publicIP === publicIP);
  return mine.find((lease) => !lease.reserved) ?? mine[0];
}

/** Seconds left on a lease (hex ID) of a cluster, as the caller remembers it, or undefined. */
export type KnownTtl = (clusterId: string, leaseId: string) => number | undefined;

export interface LeaseRead {
  clusterId: string;
  leases: Lease[];
  /** etcd leases (IDs; several keys may share one) whose TTL was asked of etcd, and known by the caller. */
  asked: number;
  remembered: number;
}

export type SeedOutcome = 'created' | 'unchanged' | 'replaced';

export interface SeedOptions {
  force: boolean;
  /** Whether the value already in etcd means the same as the one to seed (e.g. ignoring key order). */
  equal: (existing: string) => boolean;
}

export interface EtcdStore {
  readonly endpoints: readonly string[];
  readonly keys: { readonly config: string; readonly subnets: string };
  /** One v3 Status call: proves etcd answers over the v3 API. */
  ping(): Promise<EtcdStatus>;
  /** Pings until etcd answers and has a leader, or throws kind 'timeout'. */
  waitUntilReady(timeoutMs: number, signal?: AbortSignal): Promise<EtcdStatus>;
  /** The raw network config, or undefined when none is seeded. */
  getConfig(): Promise<string | undefined>;
  /**
   * Writes the network config if absent (one transaction, so concurrent seeders cannot both create).
   * An existing value that is not `equal` throws kind 'conflict' with the existing value as
   * `details[0]`, unless `force`, which replaces exactly the value compared.
   */
  seedConfig(value: string, options: SeedOptions): Promise<SeedOutcome>;
  /**
   * All subnet keys, sorted by key, in one range read (no TTLs: readLeases has them); keys and values
   * flannel would not write are marked, not fatal.
   */
  listLeases(): Promise<Lease[]>;
  /**
   * listLeases, plus etcd's cluster ID; `known` answers for leases whose TTL the caller remembers
   * (undefined: ask etcd), so only the others cost a LeaseTimeToLive call each.
   */
  readLeases(known?: KnownTtl): Promise<LeaseRead>;
  /**
   * Deletes the subnet's key ("10.50.31.0/24", "10.50.31.0-24" or the full key) and revokes its etcd
   * lease when no other key uses it. Returns false when there was no such key.
   */
  deleteLease(subnet: string): Promise<boolean>;
  get(key: string): Promise<string | undefined>;
  /** With ttlSeconds, the key is attached to a new etcd lease of that TTL (not kept alive). */
  put(key: string, value: string, options?: { ttlSeconds?: number }): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Idempotent; the store is unusable afterwards. */
  close(): void;
}

const SEED_ATTEMPTS = 5;
const READY_POLL_MS = 250;

/** Accepts `http://host:port`, `https://…`, `host:port` or `host` (port 2379). */
export function normalizeEndpoint(endpoint: string): string {
  const trimmed = endpoint.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw usageError(`invalid etcd endpoint "${endpoint}"`, 'Give it as http://<host>:2379 or <host>.');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw usageError(`invalid etcd endpoint "${endpoint}"`, 'Give it as http://<host>:2379 or <host>.');
  }
  return `${url.protocol}//${url.hostname}:${url.port || PORTS.etcdClient}`;
}

export function openEtcd(endpoint: string | readonly string[], options: EtcdStoreOptions): EtcdStore {
  const endpoints = (typeof endpoint === 'string' ? [endpoint] : [...endpoint]).map(normalizeEndpoint);
  if (endpoints.length === 0) throw usageError('no etcd endpoint given');
  return new Store(endpoints, options);
}

class Store implements EtcdStore {
  readonly keys: { readonly config: string; readonly subnets: string };
  private readonly client: Etcd3;
  private closed = false;

  constructor(
    readonly endpoints: readonly string[],
    private readonly options: EtcdStoreOptions,
  ) {
    const prefix = (options.prefix ?? ETCD_KEYS.prefix).replace(/\/+$/, '');
    this.keys = { config: `${prefix}/config`, subnets: `${prefix}/subnets/` };
    this.client = new Etcd3({
      hosts: [...endpoints],
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
      },
    });
  }

  async ping(): Promise<EtcdStatus> {
    return this.status(this.options.timeoutMs);
  }

  private async status(timeoutMs: number): Promise<EtcdStatus> {
    return this.call(async () => {
      const status = await this.client.maintenance.status({ deadline: Date.now() + timeoutMs });
      return {
        version: status.version,
        hasLeader: status.leader !== '0' && status.leader !== '',
        dbSizeBytes: Number(status.dbSize),
      };
    }, timeoutMs);
  }

  async waitUntilReady(timeoutMs: number, signal?: AbortSignal): Promise<EtcdStatus> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    for (;;) {
      if (signal?.aborted) throw interruptedError();
      try {
        // Never let one attempt run past the overall timeout.
        const status = await this.status(Math.max(1, Math.min(this.options.timeoutMs, deadline - Date.now())));
        if (status.hasLeader) return status;
        last = 'it answers but has no leader';
      } catch (error) {
        const transient = error instanceof IgniteError ? transientReasons.get(error) : undefined;
        if (transient === undefined) throw error; // e.g. permission denied: waiting will not help
        // A last attempt cut short by the overall deadline says less than the failure before it.
        const cutShort = deadline - Date.now() <= 0 && isDeadlineError(error);
        if (!cutShort || last === 'no answer yet') last = transient;
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        await sleep(Math.min(READY_POLL_MS, left), undefined, signal ? { signal } : {});
      } catch {
        throw interruptedError();
      }
    }
    throw new IgniteError(
      'timeout',
      `etcd at ${this.endpoints.join(', ')} was not ready within ${formatSeconds(timeoutMs)} (${last})`,
      { hint: unreachableHint(this.endpoints) },
    );
  }

  async getConfig(): Promise<string | undefined> {
    return this.get(this.keys.config);
  }

  async seedConfig(value: string, options: SeedOptions): Promise<SeedOutcome> {
    const key = this.keys.config;
    return this.call(async () => {
      // Each round is one transaction; a round only repeats when another writer changed the key
      // between our read and our write, which cannot go on for long.
      for (let attempt = 1; attempt <= SEED_ATTEMPTS; attempt++) {
        const created = await this.client
          .if(key, 'Create', '==', 0)
          .then(this.client.put(key).value(value))
          .else(this.client.get(key))
          .commit();
        if (created.succeeded) return 'created';
        const existing = created.responses[0]?.response_range.kvs[0];
        if (!existing) continue; // deleted since the compare; try to create again
        const existingValue = existing.value.toString('utf8');
        if (existingValue === value || options.equal(existingValue)) return 'unchanged';
        if (!options.force) {
          throw new IgniteError('conflict', `a different network config is already in etcd at ${key}`, {
            hint:
              'Keep the existing config (run without network options), or pass --force to replace it; ' +
              'hosts already joined keep their old subnets until flannel restarts there.',
            details: [existingValue],
          });
        }
        const replaced = await this.client
          .if(key, 'Mod', '==', existing.mod_revision)
          .then(this.client.put(key).value(value))
          .commit();
        if (replaced.succeeded) return 'replaced';
      }
      throw new IgniteError('conflict', `the network config at ${key} kept changing while it was being written`, {
        hint: 'Another host is writing the same key: let it finish, then run the command again.',
      });
    });
  }

  async listLeases(): Promise<Lease[]> {
    return this.call(async () => this.toLeases((await this.rangeSubnets()).kvs, new Map()));
  }

  async readLeases(known?: KnownTtl): Promise<LeaseRead> {
    return this.call(async () => {
      const range = await this.rangeSubnets();
      const clusterId = range.header.cluster_id;
      const ids = [...new Set(range.kvs.map((kv) => kv.lease).filter(hasLease))];
      const ttls = new Map<string, number>();
      let asked = 0;
      await Promise.all(
        ids.map(async (id) => {
          const remembered = known?.(clusterId, leaseIdHex(id));
          if (remembered !== undefined) return void ttls.set(id, remembered);
          asked++;
          const ttl = await this.client.leaseClient.leaseTimeToLive({ ID: id });
          // -1: the lease expired after the range was read; its keys are gone or about to go.
          ttls.set(id, Math.max(0, Number(ttl.TTL)));
        }),
      );
      return { clusterId, leases: this.toLeases(range.kvs, ttls), asked, remembered: ids.length - asked };
    });
  }

  private rangeSubnets(): Promise<IRangeResponse> {
    return this.client.getAll().prefix(this.keys.subnets).exec();
  }

  /** Sorted by key; `ttls` by etcd lease ID (decimal), as far as known. */
  private toLeases(kvs: readonly IKeyValue[], ttls: ReadonlyMap<string, number>): Lease[] {
    return kvs.map((kv) => toLease(kv, this.keys.subnets, ttls)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deleteLease(subnet: string): Promise<boolean> {
    const key = this.subnetKey(subnet);
    return this.call(async () => {
      const deleted = await this.client.delete().key(key).getPrevious();
      const previous = deleted[0];
      if (!previous) return false;
      if (hasLease(previous.lease)) {
        const ttl = await this.client.leaseClient.leaseTimeToLive({ ID: previous.lease, keys: true });
        // A flannel lease holds one key; never revoke a lease that something else still uses.
        if (Number(ttl.TTL) > 0 && (ttl.keys?.length ?? 0) === 0) {
          await this.client.leaseClient.leaseRevoke({ ID: previous.lease });
        }
      }
      return true;
    });
  }

  async get(key: string): Promise<string | undefined> {
    return this.call(async () => (await this.client.get(key).string()) ?? undefined);
  }

  async put(key: string, value: string, options: { ttlSeconds?: number } = {}): Promise<void> {
    await this.call(async () => {
      if (options.ttlSeconds === undefined) {
        await this.client.put(key).value(value);
        return;
      }
      const granted = await this.client.leaseClient.leaseGrant({ TTL: options.ttlSeconds });
      await this.client.put(key).value(value).lease(granted.ID);
    });
  }

  async delete(key: string): Promise<boolean> {
    return this.call(async () => Number((await this.client.delete().key(key)).deleted) > 0);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }

  /** "10.50.31.0/24", "10.50.31.0-24" or the full key → the full key. */
  private subnetKey(subnet: string): string {
    if (subnet.startsWith(this.keys.subnets)) return subnet;
    return subnetToLeaseKey(parseCidr(subnet.trim().replace(/-(\d+)$/, '/$1'), { label: 'subnet' }), this.keys.subnets);
  }

  private async call<T>(work: () => Promise<T>, timeoutMs = this.options.timeoutMs): Promise<T> {
    if (this.closed) throw new Error('etcd store used after close()');
    try {
      return await work();
    } catch (error) {
      throw toIgniteError(error, this.endpoints, timeoutMs);
    }
  }
}

function hasLease(id: string | undefined): id is string {
  return id !== undefined && id !== '' && id !== '0';
}

/** etcd3 gives lease IDs in decimal; `etcdctl lease list` and our output use hex. */
function leaseIdHex(id: string): string {
  return BigInt(id).toString(16);
}

function toLease(kv: IKeyValue, subnetsPrefix: string, ttls: ReadonlyMap<string, number>): Lease {
  const key = kv.key.toString('utf8');
  const raw = kv.value.toString('utf8');
  const problems: string[] = [];
  const lease: Lease = { key, subnet: '', publicIP: '', backendType: '', reserved: !hasLease(kv.lease), raw };

  try {
    lease.subnet = leaseKeyToSubnet(key, subnetsPrefix);
  } catch {
    problems.push(`key is not <subnet>-<length>`);
  }

  if (hasLease(kv.lease)) {
    lease.leaseId = leaseIdHex(kv.lease);
    const ttl = ttls.get(kv.lease);
    if (ttl !== undefined) lease.ttlSeconds = ttl;
  }

  const value = parseJsonObject(raw);
  if (value === undefined) {
    problems.push('value is not a JSON object');
  } else {
    const publicIP = value['PublicIP'];
    const publicIPv6 = value['PublicIPv6'];
    const backendType = value['BackendType'];
    if (typeof publicIP === 'string' && publicIP !== '') lease.publicIP = publicIP;
    else problems.push('value has no PublicIP');
    if (typeof publicIPv6 === 'string' && publicIPv6 !== '') lease.publicIPv6 = publicIPv6;
    if (typeof backendType === 'string') lease.backendType = backendType;
  }
  if (problems.length > 0) lease.problem = problems.join('; ');
  return lease;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Maps what the etcd3 client and gRPC throw to errors an operator can act on. IgniteErrors pass
 * through; anything that is not an etcd or gRPC error is returned unchanged (it is a bug).
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
    return etcdError(
      `etcd at ${where} is not answering over the v3 API`,
      unreachableReason(error, raw, timeoutMs),
      unreachableHint(endpoints),
      error,
      true,
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

function isDeadlineError(error: unknown): boolean {
  return error instanceof IgniteError && error.cause instanceof GRPCDeadlineExceededError;
}

function unreachableReason(error: unknown, raw: string, timeoutMs: number | undefined): string {
  if (error instanceof GRPCDeadlineExceededError || /deadline exceeded/i.test(raw)) {
    return timeoutMs === undefined ? 'no answer in time' : `no answer within ${formatSeconds(timeoutMs)}`;
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

function unreachableHint(endpoints: readonly string[]): string {
  const ports = [...new Set(endpoints.map((e) => new URL(e).port || String(PORTS.etcdClient)))];
  const hosts = [...new Set(endpoints.map((e) => new URL(e).hostname))].join(', ');
  return (
    `Check that etcd runs on ${hosts} (\`ignite-net init\` there starts it) and that port ` +
    `${ports.map((p) => `${p}/tcp`).join(', ')} is reachable from this host (firewall, security group).`
  );
}

/** gRPC messages look like "14 UNAVAILABLE: No connection established. Last error: …"; keep one short line. */
function trimReason(raw: string): string {
  const line = (raw.split('\n')[0] ?? raw).replace(/^\d+ [A-Z_]+: /, '').replace(/^etcdserver: /, '');
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** Short reasons of the "not answering" errors built here: waitUntilReady retries those and quotes the last. */
const transientReasons = new WeakMap<IgniteError, string>();

function etcdError(message: string, reason: string, hint: string, cause: unknown, transient = false): IgniteError {
  const error = new IgniteError('etcd', `${message} (${reason})`, { hint, cause });
  if (transient) transientReasons.set(error, reason);
  return error;
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
