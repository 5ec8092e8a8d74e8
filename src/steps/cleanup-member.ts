/**
 * cleanup on a control-plane host (docs/ha.md): before anything changes, whether this host's etcd
 * member may go (ha/quorum.ts removalRefusal, from each member's status and the other hosts' leases);
 * after flannel and the lease, the member is removed through another member's client URL, so that the
 * container, its volume, pki/ and etcd-root.json can go (a removed member's data cannot start again).
 * The last member is cleaned up as the init host always was. `--force` overrides a refusal: a removal
 * that cannot be committed leaves the member listed, its volume kept.
 */
import type { EtcdMembers, MemberWithStatus } from '../adapters/etcd/members.js';
import { IgniteError, isIgniteError } from '../core/errors.js';
import type { Step, StepIO } from '../core/step.js';
import { removalRefusal, type Refusal } from '../ha/quorum.js';
import { hostFromUrl } from '../net/host-arg.js';
import type { Lease } from '../net/lease.js';
import { revokedKey } from '../pki/etcd-roles.js';
import { parseRevokedRecord } from '../pki/records.js';
import { startContainerLookup } from './cleanup.js';
import { required, type CommandContext, type MemberPlan } from './context.js';

export type { MemberPlan } from './context.js';
import { etcdAccess } from './etcd-access.js';

/** Each call: a cluster without quorum must not hold cleanup up. */
const MEMBER_TIMEOUT_MS = 5_000;
const STATUS_TIMEOUT_MS = 2_000;
/**
 * etcd refuses a member change for 5 s after a member (re)connects ("unhealthy cluster"), although the
 * check found quorum: a member that came back just before cleanup is waited for that long, and a little more.
 */
export const SETTLE_WAIT_MS = 8_000;

export interface MemberFacts {
  /** This host's advertise address: its member is the one with a peer URL on it. */
  address: string;
  members: MemberWithStatus[];
  /** Leases of other hosts that can still be renewed (not reserved, not revoked). */
  otherLeases: number;
}

/** The decision, pure: a plan, or the refusal `--force` overrides. */
export function planMemberRemoval(facts: MemberFacts): { plan: MemberPlan; refusal?: Refusal } {
  const self = facts.members.find(({ member }) => member.peerUrls.some((url) => hostFromUrl(url) === facts.address));
  if (!self) return { plan: { kind: 'none', why: `no etcd member has a peer URL on ${facts.address}` } };
  const voting = facts.members.filter(({ member }) => !member.isLearner);
  const healthy = voting.filter(({ status }) => status?.healthy === true).length;
  const refusal = removalRefusal({
    members: voting.length,
    healthy,
    removingHealthy: self.status?.healthy === true,
    removingLearner: self.member.isLearner,
    otherLeases: facts.otherLeases,
  });
  if (!self.member.isLearner && voting.length <= 1) return { plan: { kind: 'last' }, ...(refusal ? { refusal } : {}) };
  // Through the others that answer, voting ones first (a learner serves no member API).
  const others = facts.members
    .filter((m) => m !== self && m.member.clientUrls.length > 0)
    .sort((a, b) => Number(a.member.isLearner) - Number(b.member.isLearner) || Number(b.status?.healthy === true) - Number(a.status?.healthy === true));
  const plan: MemberPlan = { kind: 'remove', id: self.member.id, name: self.member.name, peerUrl: self.member.peerUrls[0] ?? '', via: others.flatMap((m) => m.member.clientUrls) };
  return { plan, ...(refusal ? { refusal } : {}) };
}

/** A host whose state file says it runs an etcd member: the init host, or one joined with --control-plane. */
const runsMember = (ctx: CommandContext): boolean => ctx.state !== undefined && (ctx.state.role === 'init' || ctx.state.controlPlane !== undefined);

/** Before the confirmation and before anything changes: refused here, the host stays as it is. */
export const memberCheckStep: Step<CommandContext> = {
  id: 'member-check',
  title: 'Check the etcd cluster',
  skip: (ctx) => (runsMember(ctx) ? undefined : 'this host runs no etcd member'),
  async run(ctx, io) {
    const state = required(ctx.state, 'state');
    // The flannel step's Docker reads go out first: dockerd answers them while this check's etcd set-up holds the thread.
    startContainerLookup(ctx);
    const access = await etcdAccess(ctx.services.files, ctx.options.stateDir);
    const endpoints = [...new Set([state.etcdEndpoint, ...(state.flannelEndpoints ?? [])])];
    const timeoutMs = Math.min(ctx.options.timeoutMs, MEMBER_TIMEOUT_MS);
    let members: MemberWithStatus[] | IgniteError;
    // On an init host (no other member was ever added: it is the last voter) the other hosts' leases are
    // read beside the member list, and dropped (their client closed) if the list says otherwise.
    let leasesWanted = true;
    const early = state.controlPlane === undefined ? countOtherLeases(ctx, endpoints, access, timeoutMs, state.advertiseAddress, () => leasesWanted) : undefined;
    early?.catch(() => undefined); // awaited below when wanted; else it closes its own client
    // Listing and Status need no credential (a learner refuses one).
    const client = ctx.services.etcdMembers(endpoints, { timeoutMs, ...(access.tls ? { tls: access.tls } : {}) });
    try {
      members = await client.statusOfMembers(STATUS_TIMEOUT_MS);
    } catch (error) {
      if (!isIgniteError(error)) throw error;
      members = error;
    } finally {
      client.close();
    }
    if (members instanceof IgniteError) {
      leasesWanted = false;
      const refusal: Refusal = {
        reason: `etcd's member list could not be read (${members.message}), so this host's member cannot be removed from it`,
        hint: "Start etcd again (`ignite-net status` says what is wrong), or pass --force to remove it anyway: the member then stays in etcd's list until it is removed on a host that has quorum.",
      };
      // The init host of a one-member overlay was always cleaned up without its etcd answering.
      if (state.controlPlane === undefined) return record(ctx, { kind: 'none', why: "etcd's member list could not be read" }, io, members.message);
      if (!ctx.options.force) throw new IgniteError('conflict', refusal.reason, { hint: refusal.hint });
      return record(ctx, { kind: 'none', why: "etcd's member list could not be read", forced: refusal }, io);
    }
    // The leases matter only for the last voting member; without quorum their read would wait out the timeout.
    const lastVoter = members.filter(({ member }) => !member.isLearner).length <= 1;
    leasesWanted = lastVoter;
    const otherLeases = lastVoter ? await (early ?? countOtherLeases(ctx, endpoints, access, timeoutMs, state.advertiseAddress, () => true)) : 0;
    const { plan, refusal } = planMemberRemoval({ address: state.advertiseAddress, members, otherLeases });
    if (refusal && !ctx.options.force) throw new IgniteError('conflict', `cleanup refused: ${refusal.reason}`, { hint: refusal.hint });
    return record(ctx, refusal ? { ...plan, forced: refusal } : plan, io);
  },
};

function record(ctx: CommandContext, plan: MemberPlan, io: StepIO, unread?: string): { detail: string } {
  ctx.cleanup.member = plan;
  // Its member is gone already (an earlier cleanup removed it): so must its data and the CA key be.
  if (plan.kind === 'none' && unread === undefined && ctx.state?.controlPlane !== undefined) ctx.cleanup.memberRemoved = true;
  if (plan.forced) io.warn(`${plan.forced.reason}: going on (--force)`);
  if (unread !== undefined) io.warn(`etcd's member list could not be read (${unread}): if other members exist, this one stays in their list`);
  switch (plan.kind) {
    case 'remove':
      return { detail: `member ${plan.name || plan.id} (${plan.peerUrl}) will leave through ${plan.via[0] ?? 'no other member'}` };
    case 'last':
      return { detail: "this host's member is the only one" };
    case 'none':
      return { detail: plan.why };
  }
}

/**
 * Other hosts' renewable leases; unknown (etcd not read) counts as none: the member checks stand alone
 * then. `wanted`, asked once the reads are done: false when the check no longer needs them (read
 * ahead of the member list), and the client is closed instead of kept.
 */
async function countOtherLeases(ctx: CommandContext, endpoints: string[], access: Awaited<ReturnType<typeof etcdAccess>>, timeoutMs: number, address: string, wanted: () => boolean): Promise<number> {
  const store = ctx.services.etcd(endpoints, { timeoutMs, ...access });
  try {
    const [leases, revoked] = await Promise.all([store.listLeases(), store.getPrefix(revokedKey('')).catch(() => new Map<string, string>())]);
    if (!wanted()) {
      store.close();
      return 0;
    }
    const gone = new Set([...revoked.values()].map(parseRevokedRecord).flatMap((r) => (r ? [`${r.address} ${r.subnet}`] : [])));
    // It answered: kept for the lease step (steps/cleanup-lease.ts), which closes it; else the command's end does.
    ctx.cleanup.etcdClient = { endpoints, timeoutMs, store };
    return leases.filter((l: Lease) => !l.reserved && l.publicIP !== '' && l.publicIP !== address && !gone.has(`${l.publicIP} ${l.subnet}`)).length;
  } catch (error) {
    store.close();
    if (!isIgniteError(error)) throw error;
    return 0;
  }
}

/** After the lease (this host's etcd still served it), before the container: member remove, as root. */
export const leaveClusterStep: Step<CommandContext> = {
  id: 'member',
  title: 'Leave the etcd cluster',
  skip: (ctx) => (ctx.cleanup.member?.kind === 'remove' ? undefined : 'no member to remove'),
  async run(ctx, io) {
    const plan = ctx.cleanup.member;
    if (plan?.kind !== 'remove') return { detail: 'no member to remove' };
    const access = await etcdAccess(ctx.services.files, ctx.options.stateDir);
    const who = `etcd member ${plan.name || plan.id} (${plan.peerUrl})`;
    const leaveListed = (why: string): { detail: string } => {
      io.warn(`${who} stays in etcd's member list: ${why}`, `Remove it on a control-plane host that has quorum: etcdctl member remove ${plan.id}`);
      ctx.left.push(`${who} in etcd's member list (${why}): on a control-plane host with quorum, etcdctl member remove ${plan.id}`);
      return { detail: `left listed: ${why}` };
    };
    if (plan.via.length === 0) {
      if (plan.forced) return leaveListed('no other member to remove it through');
      throw new IgniteError('etcd', `no other etcd member to remove ${who} through`, { hint: 'Run cleanup on another control-plane host first, or pass --force.' });
    }
    let admin: EtcdMembers | undefined;
    try {
      io.progress(`removing ${who} through ${plan.via[0] ?? ''}`);
      admin = ctx.services.etcdMembers(plan.via, { timeoutMs: Math.min(ctx.options.timeoutMs, MEMBER_TIMEOUT_MS), ...access });
      // Forced (no quorum to commit it), waiting would only delay the same refusal.
      const removed = await admin.remove(plan.id, { waitMs: plan.forced ? 0 : SETTLE_WAIT_MS, signal: io.signal });
      ctx.cleanup.memberRemoved = true;
      if (removed) ctx.removed.push(`${who} from etcd's member list`);
      return { detail: removed ? `removed ${plan.id} through ${plan.via[0] ?? ''}` : 'already removed' };
    } catch (error) {
      if (!isIgniteError(error) || !plan.forced) throw error;
      return leaveListed(error.message);
    } finally {
      admin?.close();
    }
  },
};
