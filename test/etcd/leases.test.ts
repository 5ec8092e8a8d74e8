import test from 'ava';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { openEtcd, type EtcdStore } from '../../src/adapters/etcd/store.js';
import { pickLease } from '../../src/net/lease.js';
import { IgniteError } from '../../src/core/errors.js';
import { startEtcd, type EtcdProcess } from '../_helpers/etcd-process.js';

let etcd: EtcdProcess | undefined;
test.before(async () => {
  etcd = await startEtcd();
});
test.after.always(async () => {
  await etcd?.stop();
});

function endpoint(): string {
  if (!etcd) throw new Error('etcd did not start');
  return etcd.endpoint;
}

let prefixes = 0;
interface Fixture {
  store: EtcdStore;
  /** A plain etcd3 client, to write keys the way flannel does without going through the store. */
  raw: Etcd3;
  subnets: string;
  /** Like flanneld: grant a 24 h etcd lease, then put the subnet key under it. Returns the lease id. */
  flannelLease(subnet: string, value: string): Promise<string>;
}

function fixture(t: { teardown(fn: () => void): void }): Fixture {
  const prefix = `/ignite-net-test/leases-${++prefixes}`;
  const store = openEtcd(endpoint(), { timeoutMs: 3_000, prefix });
  const raw = new Etcd3({ hosts: endpoint(), faultHandling: { host: () => noop, global: noop } });
  t.teardown(() => {
    store.close();
    raw.close();
  });
  const subnets = `${prefix}/subnets/`;
  return {
    store,
    raw,
    subnets,
    async flannelLease(subnet, value) {
      const { ID } = await raw.leaseClient.leaseGrant({ TTL: 86_400 });
      await raw.put(subnets + subnet.replace('/', '-')).value(value).lease(ID);
      return ID;
    },
  };
}

const value = (ip: string, backend = 'udp'): string =>
  JSON.stringify({ PublicIP: ip, PublicIPv6: null, BackendType: backend, BackendData: null });

test('listLeases parses flannel leases, reservations and garbage', async (t) => {
  const f = fixture(t);
  t.deepEqual(await f.store.listLeases(), []);

  const leaseId = await f.flannelLease('10.50.31.0/24', value('192.0.2.3'));
  await f.raw.put(`${f.subnets}10.50.12.0-24`).value(value('192.0.2.4', 'vxlan')); // reservation: no lease
  await f.raw.put(`${f.subnets}10.50.40.0-24`).value('not json {');
  await f.raw.put(`${f.subnets}10.50.41.0-24`).value('{"BackendType":"udp"}');
  await f.raw.put(`${f.subnets}garbage`).value(value('192.0.2.9'));
  await f.raw.put(`${f.subnets}10.50.300.0-24`).value(value('192.0.2.10')); // not an address
  await f.raw.put(`${f.subnets}10.50.42.0-33`).value(value('192.0.2.11')); // not a prefix length
  await f.raw.put('/ignite-net-test/elsewhere/subnets/10.50.50.0-24').value(value('192.0.2.5'));

  const { leases } = await f.store.readLeases();
  t.deepEqual(
    leases.map((l) => l.key),
    ['10.50.12.0-24', '10.50.300.0-24', '10.50.31.0-24', '10.50.40.0-24', '10.50.41.0-24', '10.50.42.0-33', 'garbage'].map((k) => f.subnets + k),
    'sorted by key, only under this prefix',
  );
  const [reservation, badAddress, live, notJson, noIp, badLength, badKey] = leases;
  t.deepEqual(
    await f.store.listLeases(),
    leases.map(({ ttlSeconds: _ttl, ...lease }) => lease),
    'listLeases: the same, without asking etcd for TTLs',
  );

  t.like(live, {
    subnet: '10.50.31.0/24',
    publicIP: '192.0.2.3',
    backendType: 'udp',
    reserved: false,
    leaseId: BigInt(leaseId).toString(16),
    raw: value('192.0.2.3'),
  });
  t.is(live?.problem, undefined);
  t.is(live?.publicIPv6, undefined, 'PublicIPv6 null means none');
  t.true((live?.ttlSeconds ?? 0) > 86_300 && (live?.ttlSeconds ?? 0) <= 86_400, `ttl ${live?.ttlSeconds}`);

  t.like(reservation, { subnet: '10.50.12.0/24', publicIP: '192.0.2.4', backendType: 'vxlan', reserved: true });
  t.is(reservation?.leaseId, undefined);
  t.is(reservation?.ttlSeconds, undefined);
  t.is(reservation?.problem, undefined);

  t.like(notJson, { subnet: '10.50.40.0/24', publicIP: '', raw: 'not json {' });
  t.regex(notJson?.problem ?? '', /not a JSON object/);
  t.like(noIp, { subnet: '10.50.41.0/24', publicIP: '', backendType: 'udp' });
  t.regex(noIp?.problem ?? '', /no PublicIP/);
  for (const bad of [badKey, badAddress, badLength]) {
    t.like(bad, { subnet: '' }, bad?.key);
    t.regex(bad?.problem ?? '', /key is not/, bad?.key);
  }
  t.is(badKey?.publicIP, '192.0.2.9');
});

test('several keys under one etcd lease share its id and ttl', async (t) => {
  const f = fixture(t);
  const { ID } = await f.raw.leaseClient.leaseGrant({ TTL: 600 });
  await f.raw.put(`${f.subnets}10.50.20.0-24`).value(value('192.0.2.20')).lease(ID);
  await f.raw.put(`${f.subnets}10.50.21.0-24`).value(value('192.0.2.21')).lease(ID);
  const { leases } = await f.store.readLeases();
  t.is(leases.length, 2);
  for (const lease of leases) {
    t.is(lease.leaseId, BigInt(ID).toString(16));
    t.true((lease.ttlSeconds ?? 0) > 590 && (lease.ttlSeconds ?? 0) <= 600);
  }
  const read = await f.store.readLeases();
  t.deepEqual([read.asked, read.remembered], [1, 0], 'one etcd lease, asked about once');
  const known = await f.store.readLeases(() => 300);
  t.deepEqual([known.asked, known.remembered], [0, 1]);
  t.deepEqual(known.leases.map((l) => l.ttlSeconds), [300, 300]);
});

test('readLeases asks etcd only for the TTLs the caller does not know, and names the cluster', async (t) => {
  const f = fixture(t);
  const known = await f.flannelLease('10.50.1.0/24', value('192.0.2.1'));
  const unknown = await f.flannelLease('10.50.2.0/24', value('192.0.2.2'));
  await f.raw.put(`${f.subnets}10.50.3.0-24`).value(value('192.0.2.3')); // reservation: nothing to ask
  const { header } = await f.raw.maintenance.status();
  const asks: [string, string][] = [];
  const read = await f.store.readLeases((clusterId, leaseId) => {
    asks.push([clusterId, leaseId]);
    return leaseId === BigInt(known).toString(16) ? 12_345 : undefined;
  });
  t.is(read.clusterId, header.cluster_id);
  t.is(read.asked, 1, 'one LeaseTimeToLive call, for the lease the caller did not know');
  t.is(read.remembered, 1);
  t.deepEqual(asks.map(([, id]) => id).sort(), [known, unknown].map((id) => BigInt(id).toString(16)).sort(), 'asked once per lease, never for a reservation');
  t.true(asks.every(([clusterId]) => clusterId === header.cluster_id));
  const [first, second, reservation] = read.leases;
  t.is(first?.ttlSeconds, 12_345, 'what the caller knew, not what etcd would say');
  t.true((second?.ttlSeconds ?? 0) > 86_000, 'asked of etcd');
  t.like(reservation, { reserved: true, ttlSeconds: undefined });
});

test('pickLease finds by public IP, preferring a live lease over a reservation, never a malformed one', async (t) => {
  const f = fixture(t);
  await f.raw.put(`${f.subnets}10.50.11.0-24`).value(value('192.0.2.3'));
  await f.flannelLease('10.50.31.0/24', value('192.0.2.3'));
  await f.flannelLease('10.50.32.0/24', value('192.0.2.4'));
  await f.raw.put(`${f.subnets}10.50.33.0-24`).value('{"PublicIP":');

  t.is(pickLease(await f.store.listLeases(), '192.0.2.3')?.subnet, '10.50.31.0/24');
  t.is(pickLease(await f.store.listLeases(), '192.0.2.4')?.subnet, '10.50.32.0/24');
  t.is(pickLease(await f.store.listLeases(), '192.0.2.99'), undefined);

  await f.raw.put(`${f.subnets}10.50.14.0-24`).value(value('192.0.2.14'));
  t.like(pickLease(await f.store.listLeases(), '192.0.2.14'), { subnet: '10.50.14.0/24', reserved: true });
});

test('deleteLease removes the key and revokes its flannel lease; reservations and key forms work', async (t) => {
  const f = fixture(t);
  const leaseId = await f.flannelLease('10.50.31.0/24', value('192.0.2.3'));
  await f.raw.put(`${f.subnets}10.50.12.0-24`).value(value('192.0.2.4'));
  await f.flannelLease('10.50.33.0/24', value('192.0.2.5'));

  t.true(await f.store.deleteLease('10.50.31.0/24'));
  t.is(await f.store.get(`${f.subnets}10.50.31.0-24`), undefined);
  const ttl = await f.raw.leaseClient.leaseTimeToLive({ ID: leaseId });
  t.is(ttl.TTL, '-1', 'the etcd lease is revoked, not left for 24 h');
  t.false(await f.store.deleteLease('10.50.31.0/24'), 'already gone');

  t.true(await f.store.deleteLease('10.50.12.0-24'));
  t.true(await f.store.deleteLease(`${f.subnets}10.50.33.0-24`));
  t.deepEqual(await f.store.listLeases(), []);

  const error = await t.throwsAsync(f.store.deleteLease('nonsense'), { instanceOf: IgniteError });
  t.is(error?.kind, 'usage');
});

test('deleteLease keeps an etcd lease that still holds other keys', async (t) => {
  const f = fixture(t);
  const { ID } = await f.raw.leaseClient.leaseGrant({ TTL: 600 });
  await f.raw.put(`${f.subnets}10.50.20.0-24`).value(value('192.0.2.20')).lease(ID);
  await f.raw.put(`${f.subnets}10.50.21.0-24`).value(value('192.0.2.21')).lease(ID);
  t.true(await f.store.deleteLease('10.50.20.0/24'));
  t.true(Number((await f.raw.leaseClient.leaseTimeToLive({ ID })).TTL) > 0);
  t.is((await f.store.listLeases()).length, 1);
});
