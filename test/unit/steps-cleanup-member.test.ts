/** cleanup on a control-plane host (steps/cleanup-member.ts) against fakes: the plan, the refusals, --force, the removal. */
import test from 'ava';
import type { EtcdMembers, MemberWithStatus } from '../../src/adapters/etcd/members.js';
import type { HostState } from '../../src/adapters/state.js';
import { IgniteError } from '../../src/core/errors.js';
import { ETCD_VOLUME } from '../../src/defaults.js';
import { leaveClusterStep, memberCheckStep, planMemberRemoval, SETTLE_WAIT_MS } from '../../src/steps/cleanup-member.js';
import { volumeStep } from '../../src/steps/cleanup.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

/** Member 10.0.0.<n>: healthy unless down; unstarted members have no client URL. */
function member(n: number, extra: { down?: boolean; learner?: boolean } = {}): MemberWithStatus {
  const clientUrl = `https://10.0.0.${n}:2379`;
  const m = { id: `a${n}`, name: n === 1 ? 's1' : `m-10-0-0-${n}`, peerUrls: [`https://10.0.0.${n}:2380`], clientUrls: [clientUrl], isLearner: extra.learner === true };
  if (extra.down) return { member: m, status: { endpoint: clientUrl, reachable: false, healthy: false, problem: 'not answering' } };
  return { member: m, status: { endpoint: clientUrl, reachable: true, healthy: true, memberId: m.id, leaderId: 'a1', isLeader: n === 1, isLearner: m.isLearner, raftIndex: 9, raftTerm: 2, dbSizeBytes: 20_000, version: '3.4.23', alarms: [] } };
}

test('the plan: a member of three leaves through the others; the last member with other leases, or a removal costing quorum, is refused', (t) => {
  const three = [member(1), member(2), member(3)];
  const { plan, refusal } = planMemberRemoval({ address: '10.0.0.3', members: three, otherLeases: 3 });
  t.is(refusal, undefined);
  t.like(plan, { kind: 'remove', id: 'a3', name: 'm-10-0-0-3', peerUrl: 'https://10.0.0.3:2380' });
  t.deepEqual(plan.kind === 'remove' ? plan.via : [], ['https://10.0.0.1:2379', 'https://10.0.0.2:2379']);

  const oneDown = planMemberRemoval({ address: '10.0.0.3', members: [member(1), member(2, { down: true }), member(3)], otherLeases: 3 });
  t.regex(oneDown.refusal?.reason ?? '', /^removing this member would leave the cluster without quorum \(2 members, 2 needed, 1 healthy\)$/);
  t.regex(oneDown.refusal?.hint ?? '', /--force/);
  t.is(oneDown.plan.kind === 'remove' ? oneDown.plan.via[0] : '', 'https://10.0.0.1:2379', 'a healthy member first');
  t.is(planMemberRemoval({ address: '10.0.0.2', members: [member(1), member(2, { down: true }), member(3)], otherLeases: 3 }).refusal, undefined, 'the dead one may go');
  t.regex(planMemberRemoval({ address: '10.0.0.3', members: [member(1, { down: true }), member(2, { down: true }), member(3)], otherLeases: 3 }).refusal?.reason ?? '', /no quorum now/);

  const last = planMemberRemoval({ address: '10.0.0.1', members: [member(1)], otherLeases: 2 });
  t.is(last.plan.kind, 'last');
  t.regex(last.refusal?.reason ?? '', /^this is the overlay's last etcd member and 2 other hosts hold leases in it$/);
  t.deepEqual(planMemberRemoval({ address: '10.0.0.1', members: [member(1)], otherLeases: 0 }), { plan: { kind: 'last' } });
  t.is(planMemberRemoval({ address: '10.0.0.2', members: [member(1), member(2, { learner: true })], otherLeases: 1 }).plan.kind, 'remove', 'a learner always may go');
  t.is(planMemberRemoval({ address: '10.0.0.9', members: three, otherLeases: 0 }).plan.kind, 'none');
});

function state(over: Partial<HostState> = {}): HostState {
  return {
    version: 1,
    role: 'joined',
    etcdEndpoint: 'https://10.0.0.3:2379',
    advertiseAddress: '10.0.0.3',
    peer: '10.0.0.1',
    subnet: '10.50.33.0/24',
    images: { flannel: 'flannel:test', etcd: 'etcd:test' },
    network: { Network: '10.50.0.0/16', SubnetLen: 24, SubnetMin: '10.50.1.0', SubnetMax: '10.50.254.0', Backend: { Type: 'udp', Port: 8285 } },
    paths: { cniConfDir: '/etc/cni/net.d', cniBinDir: '/opt/cni/bin', runDir: '/run/flannel' },
    movedAside: {},
    controlPlane: { memberName: 'm-10-0-0-3', initialCluster: 's1=https://10.0.0.1:2380' },
    toolVersion: 'test',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  } as HostState;
}

/** A fake member API: `members` as listed, `removeFails` makes remove throw; records the calls. */
function fakeMembers(members: MemberWithStatus[] | IgniteError, removeFails?: IgniteError) {
  const calls: string[] = [];
  /** Each remove's waitMs: how long it would wait out etcd's "unhealthy cluster". */
  const waits: number[] = [];
  const open = (endpoints: string | readonly string[], options: { auth?: unknown }): EtcdMembers => {
    calls.push(`open ${[endpoints].flat().join(',')}${options.auth ? ' as root' : ''}`);
    return {
      endpoints: [endpoints].flat(),
      list: async () => [],
      addLearner: async () => {
        throw new Error('not used');
      },
      promote: async () => 'unchanged',
      updatePeerUrls: async () => undefined,
      remove: async (id, options) => {
        calls.push(`remove ${id}`);
        waits.push(options?.waitMs ?? 0);
        if (removeFails) throw removeFails;
        return true;
      },
      endpointStatus: async () => [],
      statusOfMembers: async () => {
        if (members instanceof IgniteError) throw members;
        return members;
      },
      close: () => undefined,
    };
  };
  return { calls, waits, open };
}

function harness(argv: string[], members: MemberWithStatus[] | IgniteError, removeFails?: IgniteError) {
  const host = fakeServices();
  const fake = fakeMembers(members, removeFails);
  host.services.etcdMembers = fake.open;
  const h = stepHarness(['cleanup', '--yes', ...argv], { services: host.services });
  h.ctx.state = state();
  return { host, fake, ...h };
}

test('a control-plane host leaves: the member is removed through another member as root, then its volume goes even without --purge', async (t) => {
  const { host, fake, ctx, io } = harness([], [member(1), member(2), member(3)]);
  host.etcd.putLease('10.50.31.0/24', '10.0.0.1');
  await memberCheckStep.run(ctx, io);
  t.like(ctx.cleanup.member, { kind: 'remove', id: 'a3' });
  t.deepEqual(fake.calls, ['open https://10.0.0.3:2379'], 'the check asks without a credential');
  await host.files.writeFileAtomic('/var/lib/ignite-net/etcd-root.json', JSON.stringify({ username: 'root', password: 'x' }), 0o600);
  await host.files.writeFileAtomic('/var/lib/ignite-net/flannel-tls/ca.pem', 'CA', 0o600);
  const result = await leaveClusterStep.run(ctx, io);
  t.regex(result?.detail ?? '', /^removed a3 through https:\/\/10\.0\.0\.1:2379$/);
  t.deepEqual(fake.calls.slice(1), ['open https://10.0.0.1:2379,https://10.0.0.2:2379 as root', 'remove a3']);
  t.deepEqual(fake.waits, [SETTLE_WAIT_MS], 'a member that came back just before is waited for');
  t.true(ctx.removed.includes("etcd member m-10-0-0-3 (https://10.0.0.3:2380) from etcd's member list"));
  host.docker.volumes.set(ETCD_VOLUME, {});
  ctx.docker = await host.services.docker();
  await volumeStep.run(ctx, io);
  t.false(await ctx.docker.volumeExists(ETCD_VOLUME), "the removed member's data goes without --purge");
  t.false(ctx.cleanup.volumeKept === true);
});

test('refused before anything changes: removing this member would cost quorum; the last member while others hold leases', async (t) => {
  const costly = harness([], [member(1), member(2, { down: true }), member(3)]);
  const error = await t.throwsAsync(memberCheckStep.run(costly.ctx, costly.io), { instanceOf: IgniteError });
  t.is((error as IgniteError).kind, 'conflict');
  t.is(error?.message, 'cleanup refused: removing this member would leave the cluster without quorum (2 members, 2 needed, 1 healthy)');
  t.regex((error as IgniteError).hint ?? '', /Pass --force to remove it anyway/);
  t.deepEqual(costly.fake.calls, ['open https://10.0.0.3:2379'], 'nothing removed');

  const last = harness([], [member(1)]);
  last.ctx.state = state({ role: 'init', etcdEndpoint: 'https://10.0.0.1:2379', advertiseAddress: '10.0.0.1' });
  delete last.ctx.state.controlPlane;
  last.host.etcd.putLease('10.50.31.0/24', '10.0.0.1');
  last.host.etcd.putLease('10.50.32.0/24', '10.0.0.2');
  last.host.etcd.putLease('10.50.40.0/24', '10.0.0.4', { reserved: true });
  const lastError = await t.throwsAsync(memberCheckStep.run(last.ctx, last.io), { instanceOf: IgniteError });
  t.is(lastError?.message, "cleanup refused: this is the overlay's last etcd member and 1 other host holds a lease in it");

  const alone = harness([], [member(1)]);
  alone.ctx.state = last.ctx.state;
  await memberCheckStep.run(alone.ctx, alone.io);
  t.deepEqual(alone.ctx.cleanup.member, { kind: 'last' }, 'the init host alone is cleaned up as always');
  t.is(alone.ctx.cleanup.memberRemoved, undefined);
});

test('--force: a removal etcd cannot commit leaves the member listed and says how to remove it; an unreadable list too', async (t) => {
  const { fake, ctx, io, warnings } = harness(['--force'], [member(1), member(2, { down: true }), member(3)], new IgniteError('etcd', 'etcd at https://10.0.0.1:2379 did not answer within 5s'));
  await memberCheckStep.run(ctx, io);
  t.regex(warnings[0]?.message ?? '', /^removing this member would leave the cluster without quorum .*: going on \(--force\)$/);
  const result = await leaveClusterStep.run(ctx, io);
  t.regex(result?.detail ?? '', /^left listed: etcd at https:\/\/10\.0\.0\.1:2379 did not answer within 5s$/);
  t.true(fake.calls.includes('remove a3'));
  t.deepEqual(fake.waits, [0], 'forced: no waiting for a commit that cannot come');
  t.not(ctx.cleanup.memberRemoved, true, 'its volume is kept: it may be the only copy of the data');
  t.regex(ctx.left.join('\n'), /etcdctl member remove a3/);

  const unread = new IgniteError('etcd', 'etcd at https://10.0.0.3:2379 is not answering');
  const refused = harness([], unread);
  await t.throwsAsync(memberCheckStep.run(refused.ctx, refused.io), { message: /^etcd's member list could not be read \(etcd at https:\/\/10\.0\.0\.3:2379 is not answering\), so this host's member cannot be removed from it$/ });
  const forced = harness(['--force'], unread);
  await memberCheckStep.run(forced.ctx, forced.io);
  t.like(forced.ctx.cleanup.member, { kind: 'none' });
  t.is((await leaveClusterStep.skip?.(forced.ctx)) ?? '', 'no member to remove');
});

test('a member removed by an earlier run: nothing to remove, its data goes too', async (t) => {
  const { ctx, io } = harness([], [member(1), member(2)]);
  const result = await memberCheckStep.run(ctx, io);
  t.is(result?.detail, 'no etcd member has a peer URL on 10.0.0.3');
  t.true(ctx.cleanup.memberRemoved);
});
