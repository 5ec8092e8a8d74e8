/**
 * Raft quorum arithmetic for the control plane (docs/ha.md): how many members a write needs, how
 * many may fail, when cleanup must refuse to remove a member, and status's warnings. Pure. Learners
 * do not vote, so every count here is of voting members.
 */

export interface Quorum {
  members: number;
  /** Votes a write (and a member change) needs: a majority. */
  needed: number;
  /** Members that may be down while the cluster still takes writes. */
  tolerates: number;
}

export function quorumOf(members: number): Quorum {
  if (!Number.isInteger(members) || members < 0) throw new Error(`quorumOf: ${members} is not a member count`);
  const needed = members === 0 ? 0 : Math.floor(members / 2) + 1;
  return { members, needed, tolerates: members - needed };
}

/** True when `healthy` voting members are enough for writes. */
export const hasQuorum = (members: number, healthy: number): boolean => members > 0 && healthy >= quorumOf(members).needed;

/** Status's quorum line: "3 members, 2 needed, 3 healthy" ("1 member, 1 needed, 0 healthy"). */
export function quorumLine(members: number, healthy: number): string {
  return `${members} member${members === 1 ? '' : 's'}, ${quorumOf(members).needed} needed, ${healthy} healthy`;
}

export interface RemovalInput {
  /** Voting members now, the one to remove included. */
  members: number;
  /** Of those, how many answer and see a leader. */
  healthy: number;
  /** Whether the member to remove is one of the healthy ones. */
  removingHealthy: boolean;
  /** The member to remove is a learner (it does not vote: removing it never costs quorum). */
  removingLearner?: boolean;
  /** Flannel leases held by hosts other than this one. */
  otherLeases: number;
}

export interface Refusal {
  reason: string;
  hint: string;
}

/**
 * Why cleanup must not remove this host's member (undefined: it may). Checked before etcd's own
 * strict reconfiguration check ("unhealthy cluster"), which says less. `--force` overrides.
 */
export function removalRefusal(input: RemovalInput): Refusal | undefined {
  const { members, healthy, otherLeases } = input;
  if (input.removingLearner === true) return undefined;
  const force = 'Pass --force to remove it anyway.';
  if (members <= 1) {
    if (otherLeases === 0) return undefined;
    return {
      reason: `this is the overlay's last etcd member and ${otherLeases} other host${otherLeases === 1 ? ' holds a lease' : 's hold leases'} in it`,
      hint: `Clean up the other hosts first (or \`join --control-plane\` another host to take over). ${force}`,
    };
  }
  if (!hasQuorum(members, healthy)) {
    return {
      reason: `the cluster has no quorum now (${quorumLine(members, healthy)}), so removing a member cannot be committed`,
      hint: `Bring the stopped members back first. ${force} (the member then stays in etcd's list until it is removed on a host that has quorum)`,
    };
  }
  const after = members - 1;
  const healthyAfter = healthy - (input.removingHealthy ? 1 : 0);
  if (!hasQuorum(after, healthyAfter)) {
    return {
      reason: `removing this member would leave the cluster without quorum (${quorumLine(after, healthyAfter)})`,
      hint: `Bring the stopped members back, or remove them first. ${force}`,
    };
  }
  return undefined;
}

export interface WarningInput {
  /** Voting members. */
  members: number;
  /** Hosts joined to the overlay (the control-plane hosts included). */
  hosts: number;
}

/** status's warnings about the shape of the control plane; none for a healthy odd cluster. */
export function controlPlaneWarnings(input: WarningInput): string[] {
  const warnings: string[] = [];
  const { members, hosts } = input;
  if (members === 1 && hosts > 1) {
    warnings.push(
      `etcd runs on one host only and ${hosts} hosts depend on it: while it is down no host can join and no lease can be renewed; ` +
        '`ignite-net join --control-plane` on two more hosts survives the loss of any one',
    );
  } else if (members > 1 && members % 2 === 0) {
    const q = quorumOf(members);
    warnings.push(
      `${members} etcd members tolerate ${q.tolerates} failure${q.tolerates === 1 ? '' : 's'}, no more than ${members - 1} would: ` +
        'add or remove one control-plane host to make the count odd',
    );
  }
  return warnings;
}
