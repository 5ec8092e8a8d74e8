/**
 * etcd's member API for the control plane (docs/ha.md), as ignite-net's root identity: list, add a
 * learner, promote it once its log has caught up, remove; and each member's own status. etcd3's
 * generated Cluster client has every call etcd 3.4 serves (MemberPromote included), so nothing here
 * needs a raw gRPC call.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Etcd3, IMember } from 'etcd3';
import { formatDuration } from '../../core/duration.js';
import { IgniteError, interruptedError } from '../../core/errors.js';
import type { EtcdMember } from '../../ha/members.js';
import { connectClient, normalizeEndpoints, type ConnectOptions } from './connect.js';
import { MEMBER_ERRORS, toIgniteError } from './errors.js';

export type { EtcdMember } from '../../ha/members.js';

export interface WaitOptions {
  /** How long to keep retrying while etcd says "not yet"; 0 tries once. */
  waitMs?: number;
  signal?: AbortSignal;
}

/** One member's own view, from a Status call to its client URL. */
export type EndpointStatus =
  | {
      endpoint: string;
      reachable: true;
      /** Answers, knows a leader and raises no alarm. */
      healthy: boolean;
      /** Why it is not healthy. */
      problem?: string;
      memberId: string;
      /** Undefined while the member knows no leader. */
      leaderId?: string;
      isLeader: boolean;
      isLearner: boolean;
      raftIndex: number;
      raftTerm: number;
      dbSizeBytes: number;
      version: string;
      /** etcd's alarms, e.g. "NOSPACE". */
      alarms: string[];
    }
  | { endpoint: string; reachable: false; healthy: false; problem: string };

export interface MemberWithStatus {
  member: EtcdMember;
  /** Undefined for a member that has not started yet (no client URL). */
  status?: EndpointStatus;
}

export interface EtcdMembers {
  readonly endpoints: readonly string[];
  /** Every member, learners included, in etcd's order. */
  list(): Promise<EtcdMember[]>;
  /**
   * Adds a learner with this peer URL and returns it with the member list after the add. A member with
   * that peer URL already (a join run again) is returned as it is, `added: false`. While another
   * learner catches up etcd refuses a second one (3.4 allows one), and for 5 s after a member change
   * any add ("unhealthy cluster"): both retried until `waitMs`, then kind 'conflict' (naming the learner).
   */
  addLearner(peerUrl: string, options?: WaitOptions): Promise<{ member: EtcdMember; members: EtcdMember[]; added: boolean }>;
  /**
   * Makes the learner a voting member. etcd refuses until the learner's log has caught up with the
   * leader's: retried until `waitMs` (default 60 s), then kind 'timeout'. 'unchanged' when it votes already.
   */
  promote(id: string, options?: WaitOptions): Promise<'promoted' | 'unchanged'>;
  /** Replaces a member's peer URLs (an upgraded init member's http:// one becomes https://). */
  updatePeerUrls(id: string, peerUrls: readonly string[]): Promise<void>;
  /**
   * False when there was no such member. etcd refuses (kind 'conflict') a removal that would cost quorum,
   * and any removal for 5 s after a member (re)connected ("unhealthy cluster"): that one retried until `waitMs`.
   */
  remove(id: string, options?: WaitOptions): Promise<boolean>;
  /**
   * A Status call to each endpoint, each within `timeoutMs` (default 2 s), in parallel; never throws
   * for an endpoint that does not answer. Made without credentials: Status needs none, and a learner
   * refuses authentication ("rpc not supported for learner").
   */
  endpointStatus(endpoints: readonly string[], timeoutMs?: number): Promise<EndpointStatus[]>;
  /** list() with each started member's status (from its first client URL). */
  statusOfMembers(timeoutMs?: number): Promise<MemberWithStatus[]>;
  close(): void;
}

const POLL_MS = 500;
const DEFAULT_PROMOTE_WAIT_MS = 60_000;
const DEFAULT_STATUS_TIMEOUT_MS = 2_000;

/** `options.auth` is root's credential on a secure overlay (the member API is root's). */
export function openEtcdMembers(endpoint: string | readonly string[], options: ConnectOptions): EtcdMembers {
  return new Members(normalizeEndpoints(endpoint, options), options);
}

/** etcd3 gives uint64 IDs as decimal strings; etcdctl and ignite-net show them in hex. */
const toHex = (id: string): string => BigInt(id).toString(16);
const toDecimal = (hex: string): string => {
  if (!/^[0-9a-f]{1,16}$/i.test(hex)) throw new IgniteError('usage', `"${hex}" is not an etcd member ID (up to 16 hex digits)`, { hint: '`ignite-net status` lists the members with their IDs.' });
  return BigInt(`0x${hex}`).toString();
};

/** etcd's member as ignite-net's (store.ts reads the list over its own client with it too). */
export function toMember(m: IMember): EtcdMember {
  return { id: toHex(m.ID), name: m.name ?? '', peerUrls: [...(m.peerURLs ?? [])], clientUrls: [...(m.clientURLs ?? [])], isLearner: m.isLearner === true };
}

class Members implements EtcdMembers {
  private readonly client: Etcd3;
  private closed = false;

  constructor(
    readonly endpoints: readonly string[],
    private readonly options: ConnectOptions,
  ) {
    this.client = connectClient(endpoints, options);
  }

  async list(): Promise<EtcdMember[]> {
    return this.call(async () => (await this.client.cluster.memberList({})).members.map(toMember));
  }

  async addLearner(peerUrl: string, options: WaitOptions = {}): Promise<{ member: EtcdMember; members: EtcdMember[]; added: boolean }> {
    const before = await this.list();
    const existing = before.find((m) => m.peerUrls.includes(peerUrl));
    if (existing) return { member: existing, members: before, added: false };
    // Both refusals pass: the other learner is promoted; a member change settles (etcd wants 5 s of full connection).
    const transient = new RegExp(`${MEMBER_ERRORS.tooManyLearners.source}|${MEMBER_ERRORS.unhealthy.source}`);
    const added = await this.retrying(transient, options.waitMs ?? 0, options.signal, async () => {
      const response = await this.client.cluster.memberAdd({ peerURLs: [peerUrl], isLearner: true });
      return { member: toMember(response.member), members: response.members.map(toMember), added: true };
    }).catch(async (error: unknown) => {
      if (!(error instanceof IgniteError) || error.kind !== 'conflict' || !/learner member/.test(error.message)) throw error;
      // Name the learner in the way, so the operator can tell a slow join from a dead one.
      const learner = (await this.list().catch(() => [])).find((m) => m.isLearner);
      if (!learner) throw error;
      const waited = options.waitMs ? ` (waited ${formatDuration(options.waitMs)})` : '';
      throw new IgniteError('conflict', `etcd has a learner member catching up (${learner.peerUrls.join(', ')}, id ${learner.id}) and takes one at a time${waited}`, {
        hint: `Let the join on that host finish, then run this again; if that host is gone, remove the learner on a control-plane host (\`etcdctl member remove ${learner.id}\`).`,
        cause: error,
      });
    });
    return added;
  }

  async promote(id: string, options: WaitOptions = {}): Promise<'promoted' | 'unchanged'> {
    const ID = toDecimal(id);
    const waitMs = options.waitMs ?? DEFAULT_PROMOTE_WAIT_MS;
    try {
      return await this.retrying(MEMBER_ERRORS.learnerNotReady, waitMs, options.signal, async () => {
        try {
          await this.client.cluster.memberPromote({ ID });
          return 'promoted' as const;
        } catch (error) {
          if (error instanceof Error && MEMBER_ERRORS.notLearner.test(error.message)) return 'unchanged' as const;
          if (error instanceof Error && MEMBER_ERRORS.memberNotFound.test(error.message)) {
            throw new IgniteError('etcd', `etcd has no member ${id} to promote (member not found)`, {
              hint: 'It was removed while joining: run the join again.',
              cause: error,
            });
          }
          throw error;
        }
      });
    } catch (error) {
      if (waitMs > 0 && error instanceof IgniteError && /cannot promote the new member yet/.test(error.message)) {
        throw new IgniteError('timeout', `the new etcd member ${id} did not catch up with the leader within ${formatDuration(waitMs)}`, {
          ...(error.hint === undefined ? {} : { hint: error.hint }),
          cause: error,
        });
      }
      throw error;
    }
  }

  async updatePeerUrls(id: string, peerUrls: readonly string[]): Promise<void> {
    const ID = toDecimal(id);
    await this.call(async () => void (await this.client.cluster.memberUpdate({ ID, peerURLs: [...peerUrls] })));
  }

  async remove(id: string, options: WaitOptions = {}): Promise<boolean> {
    const ID = toDecimal(id);
    return this.retrying(MEMBER_ERRORS.unhealthy, options.waitMs ?? 0, options.signal, async () => {
      try {
        await this.client.cluster.memberRemove({ ID });
        return true;
      } catch (error) {
        if (error instanceof Error && MEMBER_ERRORS.memberNotFound.test(error.message)) return false;
        throw error;
      }
    });
  }

  async endpointStatus(endpoints: readonly string[], timeoutMs = DEFAULT_STATUS_TIMEOUT_MS): Promise<EndpointStatus[]> {
    return Promise.all(endpoints.map((endpoint) => this.statusOf(endpoint, timeoutMs)));
  }

  async statusOfMembers(timeoutMs = DEFAULT_STATUS_TIMEOUT_MS): Promise<MemberWithStatus[]> {
    // A client of one endpoint talks to that member alone (this client carries no credential either):
    // its Status goes over this channel, beside the list, instead of a channel and TLS handshake of
    // its own after it. Used for the member whose client URL is that endpoint; the others get their own.
    const [only] = this.endpoints.length === 1 ? this.endpoints : [];
    const own = only === undefined ? undefined : this.statusOver(this.client, only, only, timeoutMs);
    const members = await this.list();
    const statuses = await Promise.all(
      members.map((m) => {
        const url = m.clientUrls[0];
        if (url === undefined) return undefined;
        if (own !== undefined && this.normalized(url) === only) return own.then((status) => ({ ...status, endpoint: url }));
        return this.statusOf(url, timeoutMs);
      }),
    );
    return members.map((member, i) => {
      const status = statuses[i];
      return status === undefined ? { member } : { member, status };
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }

  private normalized(endpoint: string): string | undefined {
    try {
      return normalizeEndpoints(endpoint, this.options)[0];
    } catch {
      return undefined;
    }
  }

  private async statusOf(endpoint: string, timeoutMs: number): Promise<EndpointStatus> {
    const tls = this.options.tls;
    let normalized: string;
    try {
      normalized = normalizeEndpoints(endpoint, this.options)[0] ?? endpoint;
    } catch (error) {
      return { endpoint, reachable: false, healthy: false, problem: error instanceof Error ? error.message : String(error) };
    }
    const client = connectClient([normalized], { timeoutMs, ...(tls ? { tls } : {}) });
    try {
      return await this.statusOver(client, endpoint, normalized, timeoutMs);
    } finally {
      client.close();
    }
  }

  /** One Status call over `client`, a client of `normalized` alone; never throws. */
  private async statusOver(client: Etcd3, endpoint: string, normalized: string, timeoutMs: number): Promise<EndpointStatus> {
    try {
      const s = await client.maintenance.status({ deadline: Date.now() + timeoutMs });
      const memberId = toHex(s.header.member_id);
      const leaderId = s.leader === '0' || s.leader === '' ? undefined : toHex(s.leader);
      const alarms = [...(s.errors ?? [])];
      const problem = leaderId === undefined ? 'no leader' : alarms.length > 0 ? alarms.join(', ') : undefined;
      return {
        endpoint,
        reachable: true,
        healthy: problem === undefined,
        ...(problem === undefined ? {} : { problem }),
        memberId,
        ...(leaderId === undefined ? {} : { leaderId }),
        isLeader: leaderId === memberId,
        isLearner: s.isLearner === true,
        raftIndex: Number(s.raftIndex),
        raftTerm: Number(s.raftTerm),
        dbSizeBytes: Number(s.dbSize),
        version: s.version,
        alarms,
      };
    } catch (error) {
      const mapped = toIgniteError(error, [normalized], timeoutMs);
      return { endpoint, reachable: false, healthy: false, problem: mapped instanceof Error ? mapped.message : String(mapped) };
    }
  }

  /** `work` until it stops failing with `retryOn` or `waitMs` has passed; every failure mapped. */
  private async retrying<T>(retryOn: RegExp, waitMs: number, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (signal?.aborted) throw interruptedError();
      try {
        return await this.call(work);
      } catch (error) {
        const raw = error instanceof IgniteError && error.cause instanceof Error ? error.cause.message : '';
        const left = deadline - Date.now();
        if (!retryOn.test(raw) || left <= 0) throw error;
        try {
          await sleep(Math.min(POLL_MS, left), undefined, signal ? { signal } : {});
        } catch {
          throw interruptedError();
        }
      }
    }
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('etcd members used after close()');
    try {
      return await work();
    } catch (error) {
      throw toIgniteError(error, this.endpoints, this.options.timeoutMs);
    }
  }
}
