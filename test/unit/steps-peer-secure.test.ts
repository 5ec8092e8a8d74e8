/** join's secure peer access against a fake etcd: the token's box opened, and refused past the expiry sealed inside it. */
import test from 'ava';
import { bootstrapKey } from '../../src/pki/etcd-roles.js';
import { SEALED_EXPIRY_LEEWAY_MS, seal } from '../../src/pki/token.js';
import { secureAccess } from '../../src/steps/peer-secure.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

const TOKEN = { id: 'abcdef', secret: '0123456789abcdef' };
const PIN = `sha256:${'0'.repeat(64)}`;
const EXPIRES = Date.UTC(2026, 0, 1, 1);

function harness(now: number, box: object) {
  const host = fakeServices();
  host.clock.current = now;
  const run = stepHarness(['join', '192.0.2.1', '--token', `${TOKEN.id}.${TOKEN.secret}`, '--ca-cert-hash', PIN], { services: host.services });
  run.ctx.peer = { host: '192.0.2.1', address: '192.0.2.1' };
  host.etcd.keys.set(bootstrapKey(TOKEN.id), { value: seal(TOKEN, JSON.stringify(box)), leaseId: '42' });
  return { ctx: run.ctx, access: () => secureAccess(run.ctx, { caPem: 'CA PEM', pin: PIN, serverCertExpiresAt: new Date(EXPIRES + 365 * 86_400_000) }, 1_000) };
}

const identity = { username: 'ignite-host-abcdef', password: 'host password' };

test('a box within its sealed expiry opens to the identity alone (the expiry is not written with it)', async (t) => {
  const { ctx, access } = harness(EXPIRES - 1000, { ...identity, expiresAt: new Date(EXPIRES).toISOString() });
  const opened = await access();
  t.deepEqual(opened?.auth, identity);
  t.deepEqual(ctx.joining?.identity, identity);
});

test('a box etcd still holds past its sealed expiry (and the leeway) is refused, exit 9, naming both times and no secret', async (t) => {
  const { ctx, access } = harness(EXPIRES + SEALED_EXPIRY_LEEWAY_MS + 1000, { ...identity, expiresAt: new Date(EXPIRES).toISOString() });
  const error = await t.throwsAsync(access());
  t.is(error?.message, "the token abcdef.… has expired: it was valid until 2026-01-01T01:00:00.000Z, and this host's clock says 2026-01-01T01:05:01.000Z");
  t.is((error as { exitCode?: number } | undefined)?.exitCode, 9);
  t.false(JSON.stringify({ m: error?.message, h: (error as { hint?: string } | undefined)?.hint }).includes(TOKEN.secret));
  t.is(ctx.joining, undefined, 'nothing opened');
});

test('a box sealed before expiries were sealed (no expiresAt) still opens: etcd\'s lease is its TTL', async (t) => {
  const { access } = harness(EXPIRES + 100 * SEALED_EXPIRY_LEEWAY_MS, identity);
  t.deepEqual((await access())?.auth, identity);
});
