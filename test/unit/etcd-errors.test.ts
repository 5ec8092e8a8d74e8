import test from 'ava';
import { EtcdPermissionDeniedError, GRPCDeadlineExceededError, GRPCUnavailableError } from 'etcd3';
import { EtcdUnreachableError, toIgniteError } from '../../src/adapters/etcd/errors.js';
import { formatDuration } from '../../src/core/duration.js';
import { IgniteError } from '../../src/core/errors.js';

const ENDPOINTS = ['http://10.0.0.11:2379'];

test('a call past its deadline is an unreachable error that quotes the deadline as the steps do', (t) => {
  const error = toIgniteError(new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded'), ENDPOINTS, 5_000);
  if (!(error instanceof EtcdUnreachableError)) return t.fail(String(error));
  t.is(error.kind, 'etcd');
  t.is(error.reason, 'no answer within 5s');
  t.true(error.deadlineExceeded);
  t.is(error.message, 'etcd at http://10.0.0.11:2379 is not answering over the v3 API (no answer within 5s)');
  // What the flannel step says when etcd stops answering while it waits (test/e2e/faults-peer.test.ts):
  // once "within 6s: … within 5 s", now one spelling throughout.
  const stepMessage = `flannel did not take a lease within ${formatDuration(6_000)}: ${error.message}`;
  t.deepEqual(stepMessage.match(/within [\d.]+ ?[a-z]+/g), ['within 6s', 'within 5s']);
  t.notRegex(stepMessage, /\d s\b/);
});

test('a refused connection is unreachable (worth waiting for), not past a deadline', (t) => {
  const error = toIgniteError(new GRPCUnavailableError('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 10.0.0.11:2379'), ENDPOINTS, 5_000);
  if (!(error instanceof EtcdUnreachableError)) return t.fail(String(error));
  t.is(error.reason, 'connection refused');
  t.false(error.deadlineExceeded);
  t.regex(error.hint ?? '', /port 2379\/tcp is reachable/);
});

test('a denied request is an etcd error that waiting will not fix; foreign errors pass through', (t) => {
  const denied = toIgniteError(new EtcdPermissionDeniedError('etcdserver: permission denied'), ENDPOINTS);
  t.true(denied instanceof IgniteError);
  t.false(denied instanceof EtcdUnreachableError);
  t.is((denied as IgniteError).message, 'etcd at http://10.0.0.11:2379 refused the request (permission denied)');
  const bug = new TypeError('x is undefined');
  t.is(toIgniteError(bug, ENDPOINTS), bug);
});
