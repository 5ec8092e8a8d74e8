/**
 * The control-plane rule (docs/ha.md, "status and doctor"): etcd's members as rows, the quorum of the
 * voting ones, the cluster's shape warnings, and the problems of a member down or of no quorum. Pure:
 * collect.ts asks each member for its status.
 */
import type { MemberWithStatus } from '../adapters/etcd/members.js';
import { controlPlaneWarnings, hasQuorum, quorumLine, quorumOf } from '../ha/quorum.js';
import { hostFromUrl } from '../net/host-arg.js';
import type { ControlPlaneView, MemberRow, Problem, StatusInputs } from './types.js';

export interface ControlPlaneFacts {
  /** Hosts joined to the overlay (leases with an address), for the single-member warning. */
  hosts: number;
  /** Whether an address is one of this host's. */
  isThisHostAddress: (address: string) => boolean;
}

export function controlPlaneView(input: StatusInputs['controlPlane'], facts: ControlPlaneFacts): { view?: ControlPlaneView; problems: Problem[] } {
  if (input === undefined) return { problems: [] };
  // Not read: etcd's own problem (etcd-unreachable) says why; no second one for the same cause.
  if (!input.ok) return { view: { ok: false, message: input.message, members: [], warnings: [] }, problems: [] };
  const leaderId = input.members.map((m) => m.status).find((s) => s?.reachable === true && s.leaderId !== undefined);
  const rows = input.members.map((m) => memberRow(m, leaderId?.reachable ? leaderId.leaderId : undefined, facts)).sort((a, b) => (a.peerUrl < b.peerUrl ? -1 : a.peerUrl > b.peerUrl ? 1 : 0));
  const voting = rows.filter((r) => !r.learner);
  const healthy = voting.filter((r) => r.healthy).length;
  const line = quorumLine(voting.length, healthy);
  const ok = hasQuorum(voting.length, healthy);
  const view: ControlPlaneView = {
    ok: true,
    members: rows,
    quorum: { members: voting.length, needed: quorumOf(voting.length).needed, healthy, ok, line },
    warnings: controlPlaneWarnings({ members: voting.length, hosts: facts.hosts }),
  };
  const problems: Problem[] = [];
  if (!ok) {
    problems.push({
      severity: 'error',
      code: 'etcd-no-quorum',
      message: `etcd has no quorum (${line}): no host can join and no lease can be renewed`,
      hint: "Start the stopped members again (the etcd container on each control-plane host). Meanwhile routes and leases stay: without a leader etcd expires no lease, and once quorum is back each lease has its full 24 h again.",
    });
  } else {
    for (const row of rows.filter((r) => !r.healthy)) {
      const who = row.name ? `etcd member ${row.name} (${row.peerUrl})` : `the etcd member at ${row.peerUrl}`;
      const host = hostFromUrl(row.peerUrl);
      const remove = `if that host is gone for good, remove the member on a control-plane host (\`etcdctl member remove ${row.id}\`)`;
      problems.push({
        severity: 'warning',
        code: 'etcd-member-unhealthy',
        subject: row.id,
        message: `${who} is not healthy: ${row.problem ?? 'no answer'}${row.learner ? ' (a learner: it does not vote)' : `; ${line}`}`,
        hint: row.problem === 'not started' ? `A \`join --control-plane\` on ${host} has not started its etcd yet: let it finish or run it again; ${remove}.` : `Start it again on ${host} (\`ignite-net status\` there); ${remove}.`,
      });
    }
  }
  return { view, problems };
}

function memberRow({ member, status }: MemberWithStatus, leaderId: string | undefined, facts: ControlPlaneFacts): MemberRow {
  const peerUrl = member.peerUrls[0] ?? '';
  const clientUrl = member.clientUrls[0];
  const reachable = status?.reachable === true ? status : undefined;
  const problem = status === undefined ? 'not started' : status.healthy ? undefined : status.problem;
  return {
    id: member.id,
    name: member.name,
    peerUrl,
    ...(clientUrl === undefined ? {} : { clientUrl }),
    learner: member.isLearner,
    leader: leaderId !== undefined && member.id === leaderId,
    reachable: reachable !== undefined,
    healthy: status?.healthy === true,
    ...(problem === undefined ? {} : { problem }),
    ...(reachable ? { raftIndex: reachable.raftIndex, dbSizeBytes: reachable.dbSizeBytes, version: reachable.version } : {}),
    thisHost: peerUrl !== '' && facts.isThisHostAddress(hostFromUrl(peerUrl)),
  };
}
