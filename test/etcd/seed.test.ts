import test from 'ava';
import { openEtcd, type EtcdStore } from '../../src/adapters/etcd/store.js';
import { IgniteError } from '../../src/core/errors.js';
import { startEtcd, type EtcdProcess } from '../_helpers/etcd-process.js';

let etcd: EtcdProcess | undefined;
test.before(async () => {
  etcd = await startEtcd();
});
test.after.always(async () => {
  await etcd?.stop();
});

let prefixes = 0;
/** Each test gets its own `--etcd-prefix`, so tests sharing one etcd never see each other's config. */
function open(t: { teardown(fn: () => void): void }, prefix = `/ignite-net-test/seed-${++prefixes}`): EtcdStore {
  if (!etcd) throw new Error('etcd did not start');
  const store = openEtcd(etcd.endpoint, { timeoutMs: 3_000, prefix });
  t.teardown(() => store.close());
  return store;
}

const config = (network: string): string =>
  JSON.stringify({
    Network: network,
    SubnetLen: 24,
    SubnetMin: '10.50.10.0',
    SubnetMax: '10.50.99.0',
    Backend: { Type: 'udp', Port: 8285 },
  });
const A = config('10.50.0.0/16');
const B = config('10.60.0.0/16');
const sameText = (value: string) => (existing: string) => existing === value;

test('the config key follows the prefix, and the default prefix is flannel\'s', (t) => {
  t.is(open(t, '/custom/net/').keys.config, '/custom/net/config');
  if (!etcd) throw new Error('etcd did not start');
  const store = openEtcd(etcd.endpoint, { timeoutMs: 1_000 });
  t.teardown(() => store.close());
  t.is(store.keys.config, '/coreos.com/network/config');
  t.is(store.keys.subnets, '/coreos.com/network/subnets/');
});

test('seed: created, then unchanged, then conflict without force, then replaced with force', async (t) => {
  const store = open(t);
  t.is(await store.getConfig(), undefined);

  t.is(await store.seedConfig(A, { force: false, equal: sameText(A) }), 'created');
  t.is(await store.getConfig(), A);

  t.is(await store.seedConfig(A, { force: false, equal: sameText(A) }), 'unchanged');
  t.is(await store.seedConfig(A, { force: true, equal: sameText(A) }), 'unchanged', 'force does not rewrite an equal value');

  const error = await t.throwsAsync(store.seedConfig(B, { force: false, equal: sameText(B) }), { instanceOf: IgniteError });
  t.is(error?.kind, 'conflict');
  t.regex(error?.message ?? '', /already in etcd at \/ignite-net-test\/seed-\d+\/config/);
  t.deepEqual(error?.details, [A], 'details hold the existing value for the caller\'s diff');
  t.regex(error?.hint ?? '', /--force/);
  t.is(await store.getConfig(), A, 'a conflict changes nothing');

  t.is(await store.seedConfig(B, { force: true, equal: sameText(B) }), 'replaced');
  t.is(await store.getConfig(), B);
});

test('seed: the injected comparison decides what counts as the same config', async (t) => {
  const store = open(t);
  const pretty = JSON.stringify(JSON.parse(A), null, 2);
  await store.put(store.keys.config, pretty);
  const calls: string[] = [];
  const sameNetwork = (existing: string): boolean => {
    calls.push(existing);
    return JSON.stringify(JSON.parse(existing)) === A;
  };
  t.is(await store.seedConfig(A, { force: false, equal: sameNetwork }), 'unchanged');
  t.deepEqual(calls, [pretty]);
  t.is(await store.getConfig(), pretty, 'an equal config is left as written');
});

test('seed: concurrent seeders of one value from two clients create it exactly once', async (t) => {
  for (let round = 0; round < 10; round++) {
    const prefix = `/ignite-net-test/seed-race-same-${round}`;
    const [one, two] = [open(t, prefix), open(t, prefix)];
    const outcomes = await Promise.all([
      one.seedConfig(A, { force: false, equal: sameText(A) }),
      two.seedConfig(A, { force: false, equal: sameText(A) }),
    ]);
    t.deepEqual([...outcomes].sort(), ['created', 'unchanged'], `round ${round}`);
  }
});

test('seed: concurrent seeders of different values: one creates, the other gets a conflict', async (t) => {
  for (let round = 0; round < 10; round++) {
    const prefix = `/ignite-net-test/seed-race-diff-${round}`;
    const [one, two] = [open(t, prefix), open(t, prefix)];
    const results = await Promise.allSettled([
      one.seedConfig(A, { force: false, equal: sameText(A) }),
      two.seedConfig(B, { force: false, equal: sameText(B) }),
    ]);
    const created = results.filter((r) => r.status === 'fulfilled' && r.value === 'created');
    const conflicts = results.filter(
      (r) => r.status === 'rejected' && r.reason instanceof IgniteError && r.reason.kind === 'conflict',
    );
    t.is(created.length, 1, `round ${round}`);
    t.is(conflicts.length, 1, `round ${round}`);
    const stored = await one.getConfig();
    const winner = results[0]?.status === 'fulfilled' ? A : B;
    t.is(stored, winner);
  }
});

test('seed: concurrent forced seeders each end with a definite outcome and one value stays', async (t) => {
  const prefix = '/ignite-net-test/seed-race-force';
  const [one, two] = [open(t, prefix), open(t, prefix)];
  await one.seedConfig(config('10.70.0.0/16'), { force: false, equal: () => false });
  const outcomes = await Promise.all([
    one.seedConfig(A, { force: true, equal: sameText(A) }),
    two.seedConfig(B, { force: true, equal: sameText(B) }),
  ]);
  for (const outcome of outcomes) t.true(outcome === 'replaced' || outcome === 'unchanged');
  t.true([A, B].includes((await one.getConfig()) ?? ''));
});

test('seed against an unreachable etcd fails with kind etcd, not a conflict', async (t) => {
  const store = openEtcd('http://127.0.0.1:1', { timeoutMs: 1_000 });
  t.teardown(() => store.close());
  const error = await t.throwsAsync(store.seedConfig(A, { force: false, equal: sameText(A) }), { instanceOf: IgniteError });
  t.is(error?.kind, 'etcd');
});
