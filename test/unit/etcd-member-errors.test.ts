import test from 'ava';
import { GRPCFailedPreconditionError, GRPCGenericError } from 'etcd3';
import { toIgniteError } from '../../src/adapters/etcd/errors.js';
import { IgniteError } from '../../src/core/errors.js';

const ENDPOINTS = ['https://10.0.0.11:2379'];

/** etcd's words as etcd 3.4.23 sends them (checked against a real member, docs/ha.md). */
function mapped(message: string, cls: new (message: string) => Error = GRPCFailedPreconditionError): IgniteError {
  const error = toIgniteError(new cls(message), ENDPOINTS);
  if (!(error instanceof IgniteError)) throw new Error(`not mapped: ${String(error)}`);
  return error;
}

test("the member API's refusals each get their own line and hint", (t) => {
  const tooMany = mapped('9 FAILED_PRECONDITION: etcdserver: too many learner members in cluster');
  t.is(tooMany.kind, 'conflict');
  t.is(tooMany.message, 'etcd at https://10.0.0.11:2379 already has a learner member catching up (too many learner members in cluster)');
  t.regex(tooMany.hint ?? '', /Another host is joining the control plane/);

  const notReady = mapped('9 FAILED_PRECONDITION: etcdserver: can only promote a learner member which is in sync with leader');
  t.is(notReady.kind, 'etcd');
  t.is(notReady.message, 'etcd at https://10.0.0.11:2379 cannot promote the new member yet (learner not in sync with the leader)');
  t.regex(notReady.hint ?? '', /2380\/tcp/);

  const quorum = mapped('14 UNAVAILABLE: etcdserver: unhealthy cluster', GRPCGenericError);
  t.is(quorum.kind, 'conflict');
  t.regex(quorum.message, /not every member is connected and healthy \(unhealthy cluster\)$/);

  const learner = mapped('9 FAILED_PRECONDITION: etcdserver: rpc not supported for learner', GRPCGenericError);
  t.regex(learner.message, /is a learner member that is not promoted yet \(rpc not supported for learner\)$/);

  const exists = mapped('9 FAILED_PRECONDITION: etcdserver: Peer URLs already exists');
  t.is(exists.kind, 'conflict');

  const removed = mapped('9 FAILED_PRECONDITION: etcdserver: the member has been permanently removed from the cluster');
  t.regex(removed.message, /was removed from the cluster \(member permanently removed\)$/);
});

test('a voting member promoted again is not taken for a learner that is not ready', (t) => {
  const error = mapped('9 FAILED_PRECONDITION: etcdserver: can only promote a learner member');
  t.notRegex(error.message, /cannot promote the new member yet/);
});
