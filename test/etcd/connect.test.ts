import test from 'ava';
// Not in etcd3's index: the pool whose host order the multi-endpoint tests fix.
import { ConnectionPool } from 'etcd3/lib/connection-pool.js';
import { connectClient, normalizeEndpoint } from '../../src/adapters/etcd/connect.js';
import { openEtcd, type EtcdStore, type EtcdStoreOptions } from '../../src/adapters/etcd/store.js';
import { IgniteError } from '../../src/core/errors.js';
import { freeLoopbackPort, startEtcd, startEtcdFor, type EtcdProcess } from '../_helpers/etcd-process.js';

let etcd: EtcdProcess | undefined;
test.before(async () => {
  etcd = await startEtcd();
});
test.after.always(async () => {
  await etcd?.stop();
});

function shared(): EtcdProcess {
  if (!etcd) throw new Error('etcd did not start');
  return etcd;
}

function open(
  t: { teardown(fn: () => void): void },
  endpoint: string | string[],
  options: EtcdStoreOptions = { timeoutMs: 2_000 },
): EtcdStore {
  const store = openEtcd(endpoint, options);
  t.teardown(() => store.close());
  return store;
}

test('ping answers over the v3 API', async (t) => {
  const status = await open(t, shared().endpoint).ping();
  t.regex(status.version, /^3\.\d+\.\d+/);
  t.true(status.hasLeader);
  t.true(status.dbSizeBytes > 0);
});

test("a host's services share one channel (one connection); after a reset the next ones make a fresh one", async (t) => {
  const client = connectClient([shared().endpoint], { timeoutMs: 2_000 });
  t.teardown(() => client.close());
  await client.put('shared-channel').value('1');
  await client.maintenance.status();
  const lease = client.lease(5, { autoKeepAlive: false });
  await lease.grant();
  await lease.revoke();
  // etcd3 1.1.2's private pool: what connect.ts shareChannelPerHost changes.
  type Services = Record<string, { getChannel(): unknown } | undefined>;
  const host = (client as unknown as { pool: { hosts: { cachedServices: Services; resetAllServices(): void }[] } }).pool.hosts[0];
  if (!host) return t.fail('no host in the pool');
  const channels = new Set(Object.values(host.cachedServices).map((service) => service?.getChannel()));
  t.deepEqual(Object.keys(host.cachedServices).sort(), ['KV', 'Lease', 'Maintenance']);
  t.is(channels.size, 1);
  const before = [...channels][0];
  host.resetAllServices();
  t.is(await client.get('shared-channel').string(), '1', 'works again after a reset');
  t.not(host.cachedServices['KV']?.getChannel(), before, 'a fresh channel after the reset');
});

test('ping against a closed loopback port fails fast with the endpoint, reason and a port hint', async (t) => {
  const port = await freeLoopbackPort();
  const store = open(t, `http://127.0.0.1:${port}`);
  const started = Date.now();
  const error = await t.throwsAsync(store.ping(), { instanceOf: IgniteError });
  t.true(Date.now() - started < 10_000, 'bounded by the call timeout, not by client retries');
  t.is(error?.kind, 'etcd');
  t.is(
    error?.message,
    `etcd at http://127.0.0.1:${port} is not answering over the v3 API (connection refused)`,
  );
  t.regex(error?.hint ?? '', new RegExp(`port ${port}/tcp`));
  t.regex(error?.hint ?? '', /firewall/);
  t.regex(error?.hint ?? '', /ignite-net init/);
});

test('a hung etcd (paused) fails at the call deadline, then waitUntilReady sees it come back', async (t) => {
  const own = await startEtcdFor(t);
  const store = open(t, own.endpoint, { timeoutMs: 1_000 });
  await store.ping();
  await own.pause();
  const started = Date.now();
  const error = await t.throwsAsync(store.ping(), { instanceOf: IgniteError });
  const elapsed = Date.now() - started;
  t.true(elapsed >= 900 && elapsed < 5_000, `took ${elapsed} ms`);
  t.is(error?.kind, 'etcd');
  t.regex(error?.message ?? '', /not answering over the v3 API \(no answer within 1s\)/);

  setTimeout(() => own.resume(), 500).unref();
  const status = await store.waitUntilReady(10_000);
  t.true(status.hasLeader);
});

test('waitUntilReady times out with kind timeout, the timeout and the last reason', async (t) => {
  const port = await freeLoopbackPort();
  const store = open(t, `127.0.0.1:${port}`, { timeoutMs: 500 });
  const started = Date.now();
  const error = await t.throwsAsync(store.waitUntilReady(1_500), { instanceOf: IgniteError });
  const elapsed = Date.now() - started;
  t.true(elapsed >= 1_400 && elapsed < 5_000, `took ${elapsed} ms`);
  t.is(error?.kind, 'timeout');
  t.is(error?.message, `etcd at http://127.0.0.1:${port} was not ready within 1.5s (connection refused)`);
  t.regex(error?.hint ?? '', new RegExp(`${port}/tcp`));
});

test('waitUntilReady returns at once when etcd is up', async (t) => {
  const status = await open(t, shared().endpoint).waitUntilReady(5_000);
  t.true(status.hasLeader);
});

test('waitUntilReady stops when the signal aborts', async (t) => {
  const port = await freeLoopbackPort();
  const store = open(t, `http://127.0.0.1:${port}`, { timeoutMs: 500 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300).unref();
  const started = Date.now();
  const error = await t.throwsAsync(store.waitUntilReady(30_000, controller.signal), { instanceOf: IgniteError });
  t.is(error?.kind, 'interrupted');
  t.true(Date.now() - started < 3_000);
});

// The client picks a host at random for each call; its test switch makes it take the list from the
// last entry back, so each case below says which endpoint a call tries first.
ConnectionPool.deterministicOrder = true;

for (const first of ['the dead one', 'the live one'] as const) {
  test(`a store takes several endpoints and uses one that answers: ${first} tried first`, async (t) => {
    const dead = `http://127.0.0.1:${await freeLoopbackPort()}`;
    const endpoints = first === 'the dead one' ? [shared().endpoint, dead] : [dead, shared().endpoint];
    const store = open(t, endpoints);
    // Twice: a call after one that got past the dead endpoint gets past it again.
    t.true((await store.ping()).hasLeader);
    t.true((await store.ping()).hasLeader);
  });
}

test('generic get/put/delete and a key under a TTL lease', async (t) => {
  const store = open(t, shared().endpoint);
  const key = `/ignite-net-test/${t.title.length}-${Date.now()}/marker`;
  t.is(await store.get(key), undefined);
  await store.put(key, 'one');
  t.is(await store.get(key), 'one');
  await store.put(key, 'two', { ttlSeconds: 60 });
  t.is(await store.get(key), 'two');
  t.true(await store.delete(key));
  t.false(await store.delete(key));
  t.is(await store.get(key), undefined);
});

test('a closed store refuses further calls, and close is idempotent', async (t) => {
  const store = openEtcd(shared().endpoint, { timeoutMs: 2_000 });
  await store.ping();
  store.close();
  store.close();
  await t.throwsAsync(store.ping(), { message: /after close/ });
});

test('normalizeEndpoint accepts host, host:port and URLs and rejects nonsense', (t) => {
  t.is(normalizeEndpoint('192.0.2.7'), 'http://192.0.2.7:2379');
  t.is(normalizeEndpoint('192.0.2.7:12379'), 'http://192.0.2.7:12379');
  t.is(normalizeEndpoint('http://127.0.0.1:2379'), 'http://127.0.0.1:2379');
  t.is(normalizeEndpoint('https://etcd.example:2379/'), 'https://etcd.example:2379');
  t.is(normalizeEndpoint('[2001:db8::1]:2379'), 'http://[2001:db8::1]:2379');
  const error = t.throws(() => normalizeEndpoint('ftp://x'), { instanceOf: IgniteError });
  t.is(error?.kind, 'usage');
  t.throws(() => normalizeEndpoint('http://'), { instanceOf: IgniteError });
});
