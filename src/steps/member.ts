import type { EtcdMembers } from '../adapters/etcd/members.js';
import type { Step } from '../core/step.js';
import { flannelEndpoints, initialCluster, memberNameFor, peerUrlOf } from '../ha/members.js';
import { required, type CommandContext } from './context.js';
import { peerMembers } from './control-plane.js';

/**
 * join --control-plane's member (docs/ha.md, "A control-plane join"): added as a learner before its etcd
 * starts, promoted once it has caught up. Both through the peer, as root.
 */

/** etcd 3.4 takes one learner at a time and promotes one only once its log has caught up: both waited for this long. */
const MEMBER_WAIT_MS = 120_000;

export const memberStep: Step<CommandContext> = {
  id: 'member',
  title: 'Add this host to etcd as a learner',
  async run(ctx, io) {
    const cp = required(ctx.controlPlane, 'the control-plane bundle');
    const address = required(ctx.advertise, 'advertise address').address;
    const recorded = ctx.state?.controlPlane;
    const self = { name: recorded?.memberName ?? memberNameFor(address), peerUrl: peerUrlOf(address) };
    const members = peerMembers(ctx);
    // A member made by 0.1 or --insecure and upgraded in place serves TLS on 2380 but is still listed
    // as http://: the new member would dial it in plain HTTP. A correction, so not undone.
    for (const member of await members.list()) {
      const https = member.peerUrls.map((url) => url.replace(/^http:\/\//, 'https://'));
      if (https.every((url, i) => url === member.peerUrls[i])) continue;
      io.progress(`updating ${member.name || member.id}'s peer URL to ${https.join(', ')}`);
      await members.updatePeerUrls(member.id, https);
    }
    io.progress(`adding ${self.peerUrl} as a learner`);
    const { member, members: list, added } = await members.addLearner(self.peerUrl, { waitMs: MEMBER_WAIT_MS, signal: io.signal });
    if (added) await io.changed({ title: `remove the etcd learner ${member.id} (${self.peerUrl})`, run: async () => void (await members.remove(member.id)) });
    // etcd reads --initial-cluster only while its data dir is empty: a re-run keeps the recorded one, so a
    // grown member list does not re-create the member.
    cp.member = { id: member.id, name: self.name, initialCluster: recorded?.initialCluster ?? initialCluster(list, self), added };
    return { detail: added ? `learner ${member.id} at ${self.peerUrl}` : `already ${member.isLearner ? 'a learner' : 'a member'}: ${member.id} at ${self.peerUrl}` };
  },
};

/**
 * Makes the learner a voting member (retried until its log has caught up). The point of no return: a
 * later failure leaves the member and what it needs in place (`keep`), and running the join again
 * finds it and goes on. Flannel then gets every voting member's client URL.
 */
/**
 * The member API on the leader: etcd 3.4 drops the credential when a follower forwards a promote to
 * the leader, which then refuses it ("auth: user name is empty", etcd-io/etcd#20757, not fixed in 3.4).
 * The peer itself when no member names a leader.
 */
async function leaderMembers(ctx: CommandContext): Promise<EtcdMembers> {
  const members = peerMembers(ctx);
  const statuses = await members.statusOfMembers();
  const leaderId = statuses.map((s) => s.status).find((s) => s?.reachable === true && s.leaderId !== undefined);
  const leader = statuses.find((s) => leaderId?.reachable === true && s.member.id === leaderId.leaderId)?.member.clientUrls[0];
  return leader === undefined ? members : peerMembers(ctx, leader);
}

export const promoteStep: Step<CommandContext> = {
  id: 'promote',
  title: 'Promote the etcd member',
  async run(ctx, io) {
    const member = required(ctx.controlPlane?.member, 'the etcd member');
    const members = await leaderMembers(ctx);
    io.progress(`waiting for ${member.name} to catch up with the leader`);
    const outcome = await members.promote(member.id, { waitMs: MEMBER_WAIT_MS, signal: io.signal });
    const list = await members.list();
    ctx.members = list;
    ctx.flannelEndpoints = flannelEndpoints(list);
    const voting = list.filter((m) => !m.isLearner).length;
    return { detail: `${outcome === 'promoted' ? 'promoted' : 'voting already'}; ${voting} voting member${voting === 1 ? '' : 's'}`, keep: true };
  },
};
