import test from 'ava';
import type { MemberWithStatus } from '../../src/adapters/etcd/members.js';
import { endpointListsView } from '../../src/status/endpoint-lists.js';
import type { StatusInputs } from '../../src/status/types.js';

const url = (n: number): string => `https://10.0.0.${n}:2379`;
const member = (n: number, isLearner = false): MemberWithStatus => ({ member: { id: `a${n}`, name: `m${n}`, peerUrls: [`https://10.0.0.${n}:2380`], clientUrls: [url(n)], isLearner } });
const cp = (...members: MemberWithStatus[]): StatusInputs['controlPlane'] => ({ ok: true, members });
const record = (n: number, endpoints: string[]) => ({ user: `ignite-host-h${n}`, record: { address: `10.0.0.${n}`, hostname: `h${n}`, endpoints, updated: '2026-12-02T10:00:00Z' } });

test('on a control-plane host: every host with a lease and a record is current or stale (missing, gone); a lease without a record is unknown; a record without a lease is a host that left', (t) => {
  const { view, problems } = endpointListsView(
    { controlPlane: cp(member(1), member(2), member(3), member(9, true)), hostRecords: [record(1, [url(3), url(2), url(1)]), record(4, [url(1), url(2)]), record(5, [url(1), url(2), url(3), url(7)]), record(8, [url(1)])] },
    ['10.0.0.1', '10.0.0.4', '10.0.0.5', '10.0.0.6'],
    '10.0.0.1',
  );
  t.deepEqual(view?.current, [url(1), url(2), url(3)], 'voting members only');
  t.deepEqual(view?.hosts.map((h) => [h.address, h.state, h.missing, h.gone]), [
    ['10.0.0.1', 'current', [], []],
    ['10.0.0.4', 'stale', [url(3)], []],
    ['10.0.0.5', 'stale', [], [url(7)]],
    ['10.0.0.6', 'unknown', [], []],
  ]);
  t.deepEqual(problems.map((p) => [p.code, p.severity, p.subject]), [
    ['host-endpoints-stale', 'warning', '10.0.0.4'],
    ['host-endpoints-stale', 'warning', '10.0.0.5'],
  ]);
  t.is(problems[0]?.message, `10.0.0.4 (h4)'s flannel has an old etcd member list (missing ${url(3)})`);
  t.regex(problems[0]?.hint ?? '', /ignite-net join <any member>` there again/);
});

test('on a plain host: this host only, from its state file; one URL against one member is never stale', (t) => {
  const stale = endpointListsView({ controlPlane: cp(member(1), member(2)), thisHostEndpoints: [url(1)] }, [], '10.0.0.4');
  t.is(stale.view?.scope, 'this host');
  t.deepEqual(stale.problems.map((p) => p.message), [`this host's flannel has an old etcd member list (missing ${url(2)})`]);
  t.regex(stale.problems[0]?.hint ?? '', /here again/);
  // Joined by another name of the same host: the URL differs, but there is no list to go stale.
  t.deepEqual(endpointListsView({ controlPlane: cp(member(1)), thisHostEndpoints: ['https://10.9.9.9:2379'] }, [], '10.0.0.4').problems, []);
  t.deepEqual(endpointListsView({ controlPlane: { ok: false, message: 'down' }, thisHostEndpoints: [url(1)] }, [], '10.0.0.4'), { problems: [] });
});
