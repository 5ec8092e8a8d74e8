/**
 * The only module that talks to etcd (v3 API, through the etcd3 client). It knows flannel's keys and
 * the shape of lease values, but never parses the network config: callers pass the comparison in.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdLeaseInvalidError, type Etcd3, type IKeyValue, type IRangeResponse } from 'etcd3';
import { formatDuration } from '../../core/duration.js';
import { IgniteError, interruptedError, usageError } from '../../core/errors.js';
import { ETCD_KEYS } from '../../defaults.js';
import { parseCidr, subnetToLeaseKey } from '../../net/cidr.js';
import { hasLease, leaseIdHex, toLease, type KnownTtl, type Lease, type LeaseRead } from '../../net/lease.js';
import { connectClient, normalizeEndpoints, type ConnectOptions } from './connect.js';
import { EtcdUnreachableError, toIgniteError, unreachableHint } from './errors.js';
import { toMember, type EtcdMember } from './members.js';

export interface EtcdStoreOptions extends ConnectOptions {
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
  /** etcd's revision of the network config's last write (undefined: none seeded); compare with a Lease's modRevision. */
  configRevision(): Promise<number | undefined>;
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
  /** Every key under `prefix` with its value, in one range read. */
  getPrefix(prefix: string): Promise<Map<string, string>>;
  /** With ttlSeconds, the key is attached to a new etcd lease of that TTL (not kept alive). */
  put(key: string, value: string, options?: { ttlSeconds?: number }): Promise<void>;
  /** Put attached to a new etcd lease of `ttlSeconds` (not kept alive): etcd deletes the key when it expires. */
  putUnderLease(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Every key on one new etcd lease of this TTL, so etcd deletes them together. */
  putAllUnderLease(entries: Record<string, string>, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Puts `value` with no etcd lease only when the key does not exist (one transaction); whether it did. */
  createIfAbsent(key: string, value: string): Promise<boolean>;
  /**
   * Deletes the key and returns the value it had and its etcd lease, in one call (DeleteRange with
   * prev_kv): of any number of concurrent callers exactly one gets it, the others undefined. Needs
   * read and write on the key.
   */
  takeKey(key: string): Promise<TakenKey | undefined>;
  /**
   * Undoes takeKey: the value again, on the same etcd lease (so it still expires when it would have).
   * 'expired' when that lease has run out meanwhile (etcd would have deleted the key by now anyway).
   */
  putBack(key: string, taken: TakenKey): Promise<'restored' | 'expired'>;
  /**
   * Every member, learners included (as EtcdMembers.list), over this store's own connection: a caller
   * that has one open needs no second TLS connection for it. Optional: a stand-in store may lack it.
   */
  listMembers?(): Promise<EtcdMember[]>;
  /** Idempotent; the store is unusable afterwards. */
  close(): void;
}

/** A key takeKey removed: its value, and its etcd lease ID (decimal; '0' when it had none). */
export interface TakenKey {
  value: string;
  leaseId: string;
}

const SEED_ATTEMPTS = 5;
// etcd answers within a second of its start; a 25 ms poll sees it at most that much later, and each
// miss costs one refused connection (the client makes a new channel per attempt: connect.ts).
const READY_POLL_MS = 25;
// Doubling from 20 ms, capped at 320 ms: about 2 s in all, which outlasts a burst of user and role
// changes (each join makes some) that kept a 200 ms budget racing in a loaded CI run.
const AUTH_REVISION_ATTEMPTS = 10;

export function openEtcd(endpoint: string | readonly string[], options: EtcdStoreOptions): EtcdStore {
  return new Store(normalizeEndpoints(endpoint, options), options);
}

/** Exported for admin.ts only, which extends it with auth management over the same client. */
export class Store implements EtcdStore {
  readonly keys: { readonly config: string; readonly subnets: string };
  /** Replaced once by the admin when it turns auth on (a client without credentials is refused then). */
  protected client: Etcd3;
  private closed = false;

  constructor(
    readonly endpoints: readonly string[],
    protected readonly options: EtcdStoreOptions,
  ) {
    const prefix = (options.prefix ?? ETCD_KEYS.prefix).replace(/\/+$/, '');
    this.keys = { config: `${prefix}/config`, subnets: `${prefix}/subnets/` };
    this.client = connectClient(endpoints, options);
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
        if (!(error instanceof EtcdUnreachableError)) throw error; // e.g. permission denied: waiting will not help
        // A last attempt cut short by the overall deadline says less than the failure before it.
        const cutShort = deadline - Date.now() <= 0 && error.deadlineExceeded;
        if (!cutShort || last === 'no answer yet') last = error.reason;
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
      `etcd at ${this.endpoints.join(', ')} was not ready within ${formatDuration(timeoutMs)} (${last})`,
      { hint: unreachableHint(this.endpoints) },
    );
  }

  async getConfig(): Promise<string | undefined> {
    return this.get(this.keys.config);
  }

  async configRevision(): Promise<number | undefined> {
    return this.call(async () => {
      const kv = (await this.client.get(this.keys.config).exec()).kvs[0];
      return kv === undefined ? undefined : Number(kv.mod_revision);
    });
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
    return kvs
      .map((kv) => toLease({ key: kv.key.toString('utf8'), value: kv.value.toString('utf8'), lease: kv.lease, modRevision: Number(kv.mod_revision) }, this.keys.subnets, ttls))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
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

  async getPrefix(prefix: string): Promise<Map<string, string>> {
    return this.call(async () => new Map(Object.entries(await this.client.getAll().prefix(prefix).strings())));
  }

  async put(key: string, value: string, options: { ttlSeconds?: number } = {}): Promise<void> {
    if (options.ttlSeconds !== undefined) return this.putUnderLease(key, value, options.ttlSeconds);
    await this.call(async () => {
      await this.client.put(key).value(value);
    });
  }

  async putUnderLease(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.putAllUnderLease({ [key]: value }, ttlSeconds);
  }

  async putAllUnderLease(entries: Record<string, string>, ttlSeconds: number): Promise<void> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new Error(`putUnderLease: TTL ${ttlSeconds} is not a whole number of seconds >= 1`);
    await this.call(async () => {
      const granted = await this.client.leaseClient.leaseGrant({ TTL: ttlSeconds });
      for (const [key, value] of Object.entries(entries)) await this.client.put(key).value(value).lease(granted.ID);
    });
  }

  async delete(key: string): Promise<boolean> {
    return this.call(async () => Number((await this.client.delete().key(key)).deleted) > 0);
  }

  async createIfAbsent(key: string, value: string): Promise<boolean> {
    return this.call(async () => (await this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(value)).commit()).succeeded);
  }

  async takeKey(key: string): Promise<TakenKey | undefined> {
    return this.call(async () => {
      const previous = (await this.client.delete().key(key).getPrevious())[0];
      return previous ? { value: previous.value.toString('utf8'), leaseId: previous.lease } : undefined;
    });
  }

  async putBack(key: string, taken: TakenKey): Promise<'restored' | 'expired'> {
    return this.call(async () => {
      try {
        await (taken.leaseId === '0' ? this.client.put(key).value(taken.value) : this.client.put(key).value(taken.value).lease(taken.leaseId));
        return 'restored';
      } catch (error) {
        if (error instanceof EtcdLeaseInvalidError) return 'expired';
        throw error;
      }
    });
  }

  async listMembers(): Promise<EtcdMember[]> {
    return this.call(async () => (await this.client.cluster.memberList({})).members.map(toMember));
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

  protected async call<T>(work: () => Promise<T>, timeoutMs = this.options.timeoutMs): Promise<T> {
    if (this.closed) throw new Error('etcd store used after close()');
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await work();
        } catch (error) {
          // A write raced a change of users or roles (committed between etcd's permission check and
          // its apply). etcd3 does not retry this as Go's client does; with etcd's default simple
          // tokens the next attempt is checked against the new revision.
          if (attempt >= AUTH_REVISION_ATTEMPTS || !(error instanceof Error) || !/revision of auth store is old/.test(error.message)) throw error;
          await sleep(Math.min(20 * 2 ** (attempt - 1), 320));
        }
      }
    } catch (error) {
      throw toIgniteError(error, this.endpoints, timeoutMs);
    }
  }
}
