import test from 'ava';
import { etcdSpec } from '../../src/adapters/container-specs.js';
import { flannelEndpoints, initialCluster, memberNameFor, peerUrlOf, staleHosts, type EtcdMember } from '../../src/ha/members.js';

const s1: EtcdMember = { id: 'bdae9bbc11dd390d', name: 's1', peerUrls: ['https://10.0.0.1:2380'], clientUrls: ['https://10.0.0.1:2379'], isLearner: false };
const m2: EtcdMember = { id: '6e2c70922611fb02', name: 'm-10-0-0-2', peerUrls: ['https://10.0.0.2:2380'], clientUrls: ['https://10.0.0.2:2379'], isLearner: false };
const learner: EtcdMember = { id: '70cd040f87295c86', name: '', peerUrls: ['https://10.0.0.3:2380'], clientUrls: [], isLearner: true };

test('member names come from the advertise address (host names repeat across clones and namespaces)', (t) => {
  t.is(memberNameFor('10.0.0.2'), 'm-10-0-0-2');
  t.is(memberNameFor('FD00::2'), 'm-fd00--2');
  t.is(peerUrlOf('10.0.0.2'), 'https://10.0.0.2:2380');
  t.is(peerUrlOf('fd00::2'), 'https://[fd00::2]:2380');
});

test('initial cluster: every member by peer URL, the joining learner under its own name, sorted whatever order etcd lists them in', (t) => {
  t.is(
    initialCluster([s1, m2, learner], { name: 'm-10-0-0-3', peerUrl: 'https://10.0.0.3:2380' }),
    'm-10-0-0-2=https://10.0.0.2:2380,m-10-0-0-3=https://10.0.0.3:2380,s1=https://10.0.0.1:2380',
  );
  t.is(
    initialCluster([learner, m2, s1], { name: 'm-10-0-0-3', peerUrl: 'https://10.0.0.3:2380' }),
    initialCluster([s1, m2, learner], { name: 'm-10-0-0-3', peerUrl: 'https://10.0.0.3:2380' }),
  );
});

test('initial cluster: another unstarted member gets a stand-in name (etcd compares peer URLs only)', (t) => {
  const other = { ...learner, id: 'abc', peerUrls: ['https://10.0.0.4:2380'] };
  t.is(
    initialCluster([s1, other, learner], { name: 'm-10-0-0-3', peerUrl: 'https://10.0.0.3:2380' }),
    'm-10-0-0-3=https://10.0.0.3:2380,s1=https://10.0.0.1:2380,unstarted-abc=https://10.0.0.4:2380',
  );
});

test('initial cluster: refused before the learner is added', (t) => {
  t.throws(() => initialCluster([s1, m2], { name: 'm-10-0-0-3', peerUrl: 'https://10.0.0.3:2380' }), { message: /not a member yet/ });
});

test("flannel's endpoints: every voting member's client URL, sorted, no learner", (t) => {
  t.deepEqual(flannelEndpoints([m2, s1, learner]), ['https://10.0.0.1:2379', 'https://10.0.0.2:2379']);
});

test('stale hosts: a host whose flannel lacks a member or has a removed one', (t) => {
  const members = [s1, m2];
  t.deepEqual(
    staleHosts(
      [
        { host: 'ignite-host-aaaaaa', endpoints: ['https://10.0.0.2:2379', 'https://10.0.0.1:2379'] },
        { host: 'ignite-host-bbbbbb', endpoints: ['https://10.0.0.1:2379'] },
        { host: 'ignite-host-cccccc', endpoints: ['https://10.0.0.1:2379', 'https://10.0.0.2:2379', 'https://10.0.0.9:2379'] },
      ],
      members,
    ),
    [
      { host: 'ignite-host-bbbbbb', missing: ['https://10.0.0.2:2379'], gone: [] },
      { host: 'ignite-host-cccccc', missing: [], gone: ['https://10.0.0.9:2379'] },
    ],
  );
});

const memberSpec = {
  image: 'gcr.io/etcd-development/etcd:v3.6.16',
  advertiseAddress: '10.0.0.3',
  volume: 'ignite-etcd-data',
  tls: { hostDir: '/var/lib/ignite-net/etcd-tls' },
  member: { name: 'm-10-0-0-3', initialCluster: 's1=https://10.0.0.1:2380,m-10-0-0-3=https://10.0.0.3:2380' },
};

test('etcd spec of a joining member: its name, the whole initial cluster, state existing, peer TLS', (t) => {
  t.deepEqual(etcdSpec(memberSpec).Cmd, [
    '/usr/local/bin/etcd',
    '--name', 'm-10-0-0-3',
    '--data-dir', '/var/lib/etcd',
    '--listen-client-urls', 'https://0.0.0.0:2379',
    '--advertise-client-urls', 'https://10.0.0.3:2379',
    '--listen-peer-urls', 'https://0.0.0.0:2380',
    '--initial-advertise-peer-urls', 'https://10.0.0.3:2380',
    '--initial-cluster', 's1=https://10.0.0.1:2380,m-10-0-0-3=https://10.0.0.3:2380',
    '--initial-cluster-state', 'existing',
    '--initial-cluster-token', 'ignite-net',
    '--cert-file', '/etc/ignite-net/etcd/member.pem',
    '--key-file', '/etc/ignite-net/etcd/member-key.pem',
    '--peer-cert-file', '/etc/ignite-net/etcd/member.pem',
    '--peer-key-file', '/etc/ignite-net/etcd/member-key.pem',
    '--peer-trusted-ca-file', '/etc/ignite-net/etcd/ca.pem',
    '--peer-client-cert-auth',
    '--bcrypt-cost', '4',
  ]);
  t.deepEqual(etcdSpec(memberSpec).HostConfig?.Binds, ['ignite-etcd-data:/var/lib/etcd', '/var/lib/ignite-net/etcd-tls:/etc/ignite-net/etcd:ro']);
});

test('etcd spec: a member of an existing cluster without TLS is a programming error', (t) => {
  const { tls: _tls, ...insecure } = memberSpec;
  t.throws(() => etcdSpec(insecure), { message: /needs tls/ });
});
