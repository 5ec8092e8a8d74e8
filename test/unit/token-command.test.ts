// `token create|list|delete` through the command's own action step on a fake etcd admin: a
// control-plane token's bundle sits on the bootstrap box's lease, its role may read it, the printed
// command carries the certificate key (and nothing else does), list marks it, delete removes it.
import test from 'ava';
import type { EtcdAdmin } from '../../src/adapters/etcd/admin.js';
import type { HostState } from '../../src/adapters/state.js';
import { tokenCommand } from '../../src/commands/token.js';
import { openBundle } from '../../src/pki/certificate-key.js';
import { bootstrapKey, controlPlaneKey, joinKey, tokenKey, tokenRole, type EtcdPermission } from '../../src/pki/etcd-roles.js';
import { sweepable, TOKEN_SWEEP_GRACE_MS } from '../../src/steps/token.js';
import { pkiLayout } from '../../src/pki/layout.js';
import { FakeEtcd, fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

const PIN = `sha256:${'ab'.repeat(32)}`;
const CA_KEY = '-----BEGIN PRIVATE KEY-----\nca key\n-----END PRIVATE KEY-----\n';

function setUp(argv: string[], etcd = new FakeEtcd(), withCaKey = true, users = new Set<string>(), now = Date.UTC(2026, 0, 1)) {
  const host = fakeServices();
  host.clock.current = now;
  const { ctx, io, undos } = stepHarness(['token', ...argv], { services: host.services });
  const layout = pkiLayout(ctx.options.stateDir);
  host.files.put(layout.caCert, 'ca cert');
  if (withCaKey) host.files.put(layout.caKey, CA_KEY);
  host.files.put(layout.rootCredential, JSON.stringify({ username: 'root', password: 'root-password' }));
  const roles = new Map<string, readonly EtcdPermission[]>();
  // Only what the token step calls; the real admin is tested against etcd (test/etcd/auth.test.ts).
  const admin = {
    ...etcd.store('https://127.0.0.1:2379', { timeoutMs: 1000 }),
    ensureRole: async (name: string, permissions: readonly EtcdPermission[]) => (roles.set(name, permissions), 'created'),
    ensureUser: async (name: string) => (users.add(name), 'created'),
    deleteUser: async (name: string) => users.delete(name),
    deleteRole: async (name: string) => roles.delete(name),
    listUsers: async () => [...users],
  } as unknown as EtcdAdmin;
  ctx.admin = admin;
  ctx.state = { advertiseAddress: '192.0.2.10', security: { caPin: PIN, etcdUser: 'ignite-host-aaaaaa' } } as HostState;
  const action = tokenCommand.steps(ctx.options).at(-1);
  if (!action) throw new Error('no action step');
  return { ctx, run: () => action.run(ctx, io), etcd, roles, undos, users };
}

test.serial('token create --control-plane: the command with a certificate key, the bundle on the token\'s lease and in its role only', async (t) => {
  const { ctx, run, etcd, roles, undos } = setUp(['create', '--control-plane']);
  const result = await run();
  const summary = tokenCommand.summary(ctx);
  t.is(summary.title, 'ignite-net: a control-plane join token for one host');
  const command = summary.next.at(-1) ?? '';
  const match = /^sudo ignite-net join 192\.0\.2\.10 --token ([a-z0-9]{6})\.[a-z0-9]{16} --ca-cert-hash (sha256:[0-9a-f]{64}) --control-plane --certificate-key ([0-9a-f]{64})$/.exec(command);
  t.truthy(match, command);
  const [, id = '', pin, key = ''] = match ?? [];
  t.is(pin, PIN);
  t.regex(result?.detail ?? '', new RegExp(`^control-plane token ${id}, valid until `));
  t.false(JSON.stringify({ result, undos: undos.map((u) => u.title), lines: summary.lines }).includes(key), 'the key is only in the command');
  const box = etcd.keys.get(controlPlaneKey(id));
  t.truthy(box);
  t.is(box?.leaseId, etcd.keys.get(bootstrapKey(id))?.leaseId, 'one lease: both expire together');
  t.false([...etcd.keys.values()].some((v) => v.value.includes(key) || v.value.includes(CA_KEY)), 'etcd holds neither the key nor the CA key in clear');
  t.deepEqual(openBundle(key, id, box?.value ?? ''), { caCertPem: 'ca cert', caKeyPem: CA_KEY, rootPassword: 'root-password', expiresAt: '2026-01-01T01:00:00.000Z' }, 'sealed with its expiry (1h, the default)');
  t.true(roles.get(tokenRole(id))?.some((p) => p.key === controlPlaneKey(id) && p.permission === 'readwrite' && p.prefix !== true));

  const list = setUp(['list'], etcd);
  for (const name of roles.keys()) await list.ctx.admin?.ensureUser(name, 'x', []);
  await list.run();
  t.regex(list.ctx.summaryLines?.find((l) => l.label === id)?.value ?? '', /^control-plane, created .*; unused, expires /);

  const del = setUp(['delete', id], etcd);
  await del.ctx.admin?.ensureUser(`ignite-token-${id}`, 'x', []);
  await del.run();
  t.false(etcd.keys.has(controlPlaneKey(id)), 'token delete removes the bundle');
  t.false(etcd.keys.has(bootstrapKey(id)));
});

test.serial('a plain token has no bundle and no grant for one; list does not mark it', async (t) => {
  const { ctx, run, etcd, roles } = setUp(['create']);
  await run();
  const command = tokenCommand.summary(ctx).next.at(-1) ?? '';
  t.notRegex(command, /control-plane|certificate-key/);
  const id = /--token ([a-z0-9]{6})\./.exec(command)?.[1] ?? '';
  t.false(etcd.keys.has(controlPlaneKey(id)));
  t.true(etcd.keys.has(bootstrapKey(id)));
  t.false(roles.get(tokenRole(id))?.some((p) => p.key === controlPlaneKey(id)) ?? true);
  t.is(tokenCommand.summary(ctx).title, 'ignite-net: a join token for one host');
});

test.serial('token create --control-plane without the CA key: one clear line, nothing made', async (t) => {
  const { run, etcd, roles } = setUp(['create', '--control-plane'], new FakeEtcd(), false);
  const error = await t.throwsAsync(run());
  t.regex(error?.message ?? '', /^token create --control-plane runs on a control-plane host: the overlay CA's key \(.*ca-key\.pem\) is not on this host$/);
  t.is(etcd.keys.size, 0);
  t.is(roles.size, 0);
});

test.serial('tokens past their expiry (and a grace) are swept by the next create or list: an unused one with its host identity, a used one keeping the host its identity and join record', async (t) => {
  const start = Date.UTC(2026, 0, 1);
  const users = new Set<string>();
  const etcd = new FakeEtcd();
  const first = setUp(['create', '--ttl', '1h'], etcd, true, users, start);
  await first.run();
  const second = setUp(['create', '--ttl', '1h'], etcd, true, users, start);
  await second.run();
  const idOf = (ctx: typeof first.ctx): string => /--token ([a-z0-9]{6})\./.exec(ctx.joinCommand ?? '')?.[1] ?? '';
  const [unused, used] = [idOf(first.ctx), idOf(second.ctx)];
  await etcd.store('https://127.0.0.1:2379', { timeoutMs: 1000 }).put(joinKey(used), JSON.stringify({ address: '192.0.2.11', hostname: 'h2', user: `ignite-host-${used}`, at: new Date(start).toISOString() }));

  const early = setUp(['list'], etcd, true, users, start + 3600_000 + TOKEN_SWEEP_GRACE_MS - 1000);
  const kept = await early.run();
  t.is(kept?.detail, '2 tokens', 'within the grace after expiry nothing is swept');

  const later = setUp(['list'], etcd, true, users, start + 3600_000 + TOKEN_SWEEP_GRACE_MS + 1000);
  const swept = await later.run();
  t.is(swept?.detail, `0 tokens; 2 expired tokens removed (${[unused, used].sort().join(', ')})`);
  t.false(users.has(`ignite-token-${unused}`) || users.has(`ignite-token-${used}`), 'no token user can log in any more');
  t.false(users.has(`ignite-host-${unused}`), 'the unused token\'s host identity is gone');
  t.true(users.has(`ignite-host-${used}`), 'the host that joined keeps its identity');
  t.true(etcd.keys.has(joinKey(used)), 'and hosts list still knows it');
  t.false([tokenKey(unused), tokenKey(used), bootstrapKey(unused)].some((k) => etcd.keys.has(k)));
});

test('sweepable: past expiry plus the grace only; an unreadable record is kept', (t) => {
  const record = { id: 'abcdef', user: 'ignite-host-abcdef', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T01:00:00.000Z' };
  t.false(sweepable(record, new Date(Date.parse(record.expiresAt) + TOKEN_SWEEP_GRACE_MS)));
  t.true(sweepable(record, new Date(Date.parse(record.expiresAt) + TOKEN_SWEEP_GRACE_MS + 1)));
  t.false(sweepable(undefined, new Date(Date.UTC(2030, 0, 1))));
  t.false(sweepable({ ...record, expiresAt: 'soon' }, new Date(Date.UTC(2030, 0, 1))));
});
