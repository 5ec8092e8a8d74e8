import test from 'ava';
import { planLeaseRelease, type LeaseFacts } from '../../src/net/lease-release.js';

const none: LeaseFacts = { hadEtcdContainer: false, dockerReachable: true };
const joined = { role: 'joined' as const, etcdEndpoint: 'http://192.0.2.1:2379', subnet: '10.50.7.0/24', advertiseAddress: '192.0.2.2' };

test('the state file decides: its etcd, its subnet, its advertise address as PublicIP', (t) => {
  t.deepEqual(planLeaseRelease({ ...none, recorded: joined, envSubnet: '10.50.9.0/24' }), {
    kind: 'ask',
    endpoint: 'http://192.0.2.1:2379',
    host: { subnet: '10.50.7.0/24', publicIP: '192.0.2.2' },
    isInitHost: false,
  });
});

test("without a state file: flannel's container and subnet.env say where and which", (t) => {
  t.deepEqual(planLeaseRelease({ ...none, flannelEtcdEndpoint: 'http://192.0.2.1:2379', flannelPublicIP: '192.0.2.3', envSubnet: '10.50.9.0/24' }), {
    kind: 'ask',
    endpoint: 'http://192.0.2.1:2379',
    host: { subnet: '10.50.9.0/24', publicIP: '192.0.2.3' },
    isInitHost: false,
  });
});

test("flannel's --public-ip wins over the recorded advertise address; an IPv6 advertise address is no PublicIP", (t) => {
  const plan = planLeaseRelease({ ...none, recorded: { ...joined, advertiseAddress: 'fd00::2' }, flannelPublicIP: '192.0.2.9' });
  t.like(plan, { kind: 'ask', host: { publicIP: '192.0.2.9' } });
  const v6 = planLeaseRelease({ ...none, recorded: { ...joined, advertiseAddress: 'fd00::2' } });
  t.deepEqual(v6.kind === 'ask' ? v6.host : undefined, { subnet: '10.50.7.0/24' });
});

test('nothing to ask: no etcd known, or nothing recorded about this host', (t) => {
  t.deepEqual(planLeaseRelease({ ...none, envSubnet: '10.50.9.0/24' }), { kind: 'skip', detail: 'no etcd known (no state file, no flannel container): nothing to release' });
  t.deepEqual(planLeaseRelease({ ...none, flannelEtcdEndpoint: 'http://192.0.2.1:2379' }), { kind: 'skip', detail: 'no lease recorded for this host' });
});

test("the init host: asked while its etcd container is there; skipped once an earlier cleanup removed it", (t) => {
  const init = { ...joined, role: 'init' as const };
  t.like(planLeaseRelease({ ...none, recorded: init, hadEtcdContainer: true }), { kind: 'ask', isInitHost: true });
  t.like(planLeaseRelease({ ...none, recorded: init, hadEtcdContainer: false }), { kind: 'skip', detail: "etcd's container is gone; anything left in its data goes with --purge" });
  // Docker down: whether etcd is there is not known, so etcd is asked (and may not answer).
  t.like(planLeaseRelease({ ...none, recorded: init, hadEtcdContainer: false, dockerReachable: false }), { kind: 'ask', isInitHost: true });
  // No state file: the etcd container makes it the init host.
  t.like(planLeaseRelease({ ...none, hadEtcdContainer: true, flannelEtcdEndpoint: 'http://192.0.2.1:2379', envSubnet: '10.50.9.0/24' }), { kind: 'ask', isInitHost: true });
});
