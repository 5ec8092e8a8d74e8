import test from 'ava';
import { controlPlaneWarnings, hasQuorum, quorumLine, quorumOf, removalRefusal } from '../../src/ha/quorum.js';

test('quorum: a majority is needed, the rest may fail (1, 2, 3, 4, 5 members)', (t) => {
  t.deepEqual([1, 2, 3, 4, 5].map((n) => [quorumOf(n).needed, quorumOf(n).tolerates]), [
    [1, 0],
    [2, 0],
    [2, 1],
    [3, 1],
    [3, 2],
  ]);
  t.deepEqual(quorumOf(0), { members: 0, needed: 0, tolerates: 0 });
  t.throws(() => quorumOf(-1));
  t.throws(() => quorumOf(1.5));
  t.true(hasQuorum(3, 2));
  t.false(hasQuorum(3, 1));
  t.false(hasQuorum(0, 0));
});

test('quorum line as status prints it', (t) => {
  t.is(quorumLine(3, 3), '3 members, 2 needed, 3 healthy');
  t.is(quorumLine(3, 2), '3 members, 2 needed, 2 healthy');
  t.is(quorumLine(1, 0), '1 member, 1 needed, 0 healthy');
});

test('removal: allowed when the rest keeps quorum', (t) => {
  t.is(removalRefusal({ members: 3, healthy: 3, removingHealthy: true, otherLeases: 4 }), undefined);
  // Removing the dead one of three: two healthy of two.
  t.is(removalRefusal({ members: 3, healthy: 2, removingHealthy: false, otherLeases: 4 }), undefined);
  t.is(removalRefusal({ members: 2, healthy: 2, removingHealthy: true, otherLeases: 1 }), undefined);
  // The last member of an overlay nobody else uses.
  t.is(removalRefusal({ members: 1, healthy: 1, removingHealthy: true, otherLeases: 0 }), undefined);
  // A learner does not vote.
  t.is(removalRefusal({ members: 3, healthy: 2, removingHealthy: false, removingLearner: true, otherLeases: 3 }), undefined);
});

test('removal: refused when the rest would lose quorum, with the counts after it', (t) => {
  // Three members, one down: removing a healthy one leaves 1 healthy of 2.
  const refusal = removalRefusal({ members: 3, healthy: 2, removingHealthy: true, otherLeases: 2 });
  t.is(refusal?.reason, 'removing this member would leave the cluster without quorum (2 members, 2 needed, 1 healthy)');
  t.regex(refusal?.hint ?? '', /--force/);
  // Five members, two down: removing a healthy one leaves 2 healthy of 4.
  t.regex(removalRefusal({ members: 5, healthy: 3, removingHealthy: true, otherLeases: 0 })?.reason ?? '', /\(4 members, 3 needed, 2 healthy\)$/);
  // Two members, the other one down: there is no quorum to begin with.
  t.regex(removalRefusal({ members: 2, healthy: 1, removingHealthy: true, otherLeases: 0 })?.reason ?? '', /no quorum now \(2 members, 2 needed, 1 healthy\)/);
});

test('removal: refused when there is no quorum to commit it', (t) => {
  const refusal = removalRefusal({ members: 3, healthy: 1, removingHealthy: true, otherLeases: 0 });
  t.is(refusal?.reason, 'the cluster has no quorum now (3 members, 2 needed, 1 healthy), so removing a member cannot be committed');
  t.regex(refusal?.hint ?? '', /--force/);
});

test('removal: the last member is refused while other hosts hold leases', (t) => {
  t.is(removalRefusal({ members: 1, healthy: 1, removingHealthy: true, otherLeases: 1 })?.reason, "this is the overlay's last etcd member and 1 other host holds a lease in it");
  t.regex(removalRefusal({ members: 1, healthy: 1, removingHealthy: true, otherLeases: 3 })?.reason ?? '', /3 other hosts hold leases/);
});

test('warnings: an even member count, a single member with more than one host; none for 1 host or an odd cluster', (t) => {
  t.deepEqual(controlPlaneWarnings({ members: 1, hosts: 1 }), []);
  t.deepEqual(controlPlaneWarnings({ members: 3, hosts: 5 }), []);
  t.deepEqual(controlPlaneWarnings({ members: 5, hosts: 5 }), []);
  const single = controlPlaneWarnings({ members: 1, hosts: 4 });
  t.is(single.length, 1);
  t.regex(single[0] ?? '', /^etcd runs on one host only and 4 hosts depend on it/);
  t.deepEqual(controlPlaneWarnings({ members: 2, hosts: 3 }), [
    '2 etcd members tolerate 0 failures, no more than 1 would: add or remove one control-plane host to make the count odd',
  ]);
  t.regex(controlPlaneWarnings({ members: 4, hosts: 4 })[0] ?? '', /^4 etcd members tolerate 1 failure, no more than 3 would/);
});
