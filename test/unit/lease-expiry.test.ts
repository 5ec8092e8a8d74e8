import test from 'ava';
import { nextLeaseExpiryCache, parseLeaseExpiryCache, rememberedTtl, type LeaseExpiryCache } from '../../src/status/lease-expiry.js';

const NOW = Date.parse('2026-11-23T10:00:00Z');
const cache = (expiresAt: Record<string, number>, clusterId = 'c1'): LeaseExpiryCache => ({ version: 1, clusterId, expiresAt });

test('parse: a valid cache round-trips; anything else is no cache', (t) => {
  const good = cache({ a1: NOW + 5_000 });
  t.deepEqual(parseLeaseExpiryCache(JSON.stringify(good)), good);
  t.is(parseLeaseExpiryCache(undefined), undefined);
  t.is(parseLeaseExpiryCache('{"version":1,"clusterId":"c1","expiresAt":{"a1":1'), undefined, 'torn write');
  t.is(parseLeaseExpiryCache('null'), undefined);
  t.is(parseLeaseExpiryCache(JSON.stringify({ ...good, version: 2 })), undefined, 'another version');
  t.is(parseLeaseExpiryCache(JSON.stringify({ version: 1, expiresAt: {} })), undefined, 'no cluster ID');
  t.deepEqual(parseLeaseExpiryCache(JSON.stringify({ version: 1, clusterId: 'c1', expiresAt: { a1: 'soon', a2: null, a3: NOW } })), cache({ a3: NOW }), 'entries that are not times are dropped');
});

test('remembered: whole seconds left, only for the same cluster and only above the recheck line', (t) => {
  const c = cache({ a1: NOW + 86_399_500, a2: NOW + 3_000_000, a3: NOW - 1 });
  t.is(rememberedTtl(c, 'c1', 'a1', NOW, 3_300), 86_399, 'rounded down: never more than is left');
  t.is(rememberedTtl(c, 'c1', 'a2', NOW, 3_300), undefined, '50 min left is under the 55 min line: ask etcd');
  t.is(rememberedTtl(c, 'c1', 'a2', NOW, 3_000), 3_000, 'exactly on the line is remembered');
  t.is(rememberedTtl(c, 'c1', 'a3', NOW, 0), undefined, 'expired');
  t.is(rememberedTtl(c, 'c2', 'a1', NOW, 3_300), undefined, 'another cluster: IDs mean other leases');
  t.is(rememberedTtl(c, 'c1', 'b9', NOW, 3_300), undefined, 'unknown lease');
  t.is(rememberedTtl(undefined, 'c1', 'a1', NOW, 3_300), undefined, 'no cache');
});

test('next cache: the leases just read, each at the later of remembered and answered expiry', (t) => {
  const previous = cache({ a1: NOW + 86_399_700, a2: NOW + 10_000, gone: NOW + 50_000 });
  const next = nextLeaseExpiryCache(
    previous,
    'c1',
    [
      { leaseId: 'a1', ttlSeconds: 86_399 }, // remembered: the answer rounds down, the memory does not creep
      { leaseId: 'a2', ttlSeconds: 86_400 }, // kept alive since: the fresh answer is later
      { leaseId: 'a3', ttlSeconds: 60 }, // new
      { ttlSeconds: 5 }, // no lease ID: not cacheable
      { leaseId: 'a4' }, // no TTL (a reservation has neither)
    ],
    NOW,
  );
  t.deepEqual(next, cache({ a1: NOW + 86_399_700, a2: NOW + 86_400_000, a3: NOW + 60_000 }), 'a lease no longer listed is forgotten');
  t.deepEqual(nextLeaseExpiryCache(previous, 'c2', [{ leaseId: 'a1', ttlSeconds: 10 }], NOW), cache({ a1: NOW + 10_000 }, 'c2'), 'another cluster ignores the old memory');
});

test('a remembered lease read again and again keeps its expiry to the millisecond', (t) => {
  let c: LeaseExpiryCache = cache({ a1: NOW + 86_400_999 });
  for (let run = 0; run < 1_000; run++) {
    const now = NOW + run * 1_337;
    const ttl = rememberedTtl(c, 'c1', 'a1', now, 3_300);
    if (ttl === undefined) return t.fail(`forgotten at run ${run}`);
    c = nextLeaseExpiryCache(c, 'c1', [{ leaseId: 'a1', ttlSeconds: ttl }], now);
  }
  t.is(c.expiresAt['a1'], NOW + 86_400_999);
});
