import { execFile } from 'node:child_process';
import { inspect, promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import { Etcd3, Range } from 'etcd3';
import { noop } from 'cockatiel';
import { openEtcdAdmin, type EtcdAdmin } from '../../src/adapters/etcd/admin.js';
import { EtcdUnreachableError } from '../../src/adapters/etcd/errors.js';
import { openEtcd, type EtcdStore, type EtcdStoreOptions } from '../../src/adapters/etcd/store.js';
import { IgniteError } from '../../src/core/errors.js';
import { ETCD_KEYS } from '../../src/defaults.js';
import { createCa } from '../../src/pki/certs.js';
import { openBundle } from '../../src/pki/certificate-key.js';
import {
  bootstrapKey,
  controlPlaneKey,
  FLANNEL_ROLE,
  flannelPermissions,
  hostRecordKey,
  FIXED_PREFIX,
  fixedAddressKey,
  fixedHostKey,
  hostRole,
  hostUser,
  tokenPermissions,
  tokenRole,
  tokenUser,
} from '../../src/pki/etcd-roles.js';
import { newPassword, open } from '../../src/pki/token.js';
import { convertHostRoles, removeHostIdentity } from '../../src/steps/host-record.js';
import { createJoinToken } from '../../src/steps/token.js';
import { startEtcd, TEST_SERVER_NAME, type EtcdProcess } from '../_helpers/etcd-process.js';

// One etcd as `ignite-net init` runs it (TLS from our CA, auth on), one plain for enableAuth itself.
let secured: EtcdProcess | undefined;
let plain: EtcdProcess | undefined;
test.before(async () => {
  [secured, plain] = await Promise.all([startEtcd({ tls: true, auth: true }), startEtcd()]);
});
test.after.always(async () => {
  await Promise.all([secured?.stop(), plain?.stop()]);
});

function etcd(): EtcdProcess & { ca: NonNullable<EtcdProcess['ca']>; rootPassword: string } {
  if (!secured?.ca || secured.rootPassword === undefined) throw new Error('etcd did not start');
  return secured as EtcdProcess & { ca: NonNullable<EtcdProcess['ca']>; rootPassword: string };
}

// Generous: etcd checks every password with bcrypt, and the tests here run at once on two cores.
const TIMEOUT = { timeoutMs: 10_000 };
const tlsOf = () => ({ caPem: etcd().ca.certPem });

function store(t: ExecutionContext, options: Partial<EtcdStoreOptions> = {}, endpoint = etcd().endpoint): EtcdStore {
  const opened = openEtcd(endpoint, { ...TIMEOUT, tls: tlsOf(), ...options });
  t.teardown(() => opened.close());
  return opened;
}

function rootAdmin(t: ExecutionContext): EtcdAdmin {
  const admin = openEtcdAdmin(etcd().endpoint, { ...TIMEOUT, tls: tlsOf(), auth: { username: 'root', password: etcd().rootPassword } });
  t.teardown(() => admin.close());
  return admin;
}

/** Rejects with an IgniteError of this kind whose message matches; returns it. */
async function refused(t: ExecutionContext, call: Promise<unknown>, kind: IgniteError['kind'], message: RegExp): Promise<IgniteError> {
  const error = await t.throwsAsync(call, { instanceOf: IgniteError });
  if (!(error instanceof IgniteError)) throw new Error('unreachable');
  t.is(error.kind, kind, error.message);
  t.regex(error.message, message);
  t.is(error.message.split('\n').length, 1);
  return error;
}

/** Nothing the error carries (message, hint, cause chain) quotes the secret. */
function noSecret(t: ExecutionContext, error: IgniteError, secret: string): void {
  t.false(`${error.message} ${error.hint ?? ''} ${inspect(error, { depth: 8 })}`.includes(secret));
}

let ids = 0;
/** A fresh 6-character id per test, as a join token's. */
const newId = (): string => `t${String(++ids).padStart(5, '0')}`;

async function flannelIdentity(t: ExecutionContext): Promise<{ name: string; password: string; store: EtcdStore }> {
  const admin = rootAdmin(t);
  await admin.ensureRole(FLANNEL_ROLE, flannelPermissions());
  const name = hostUser(newId());
  const password = newPassword();
  await admin.ensureUser(name, password, [FLANNEL_ROLE]);
  return { name, password, store: store(t, { auth: { username: name, password } }) };
}

test('a plain-HTTP client is refused by the TLS port', async (t) => {
  const httpEndpoint = etcd().endpoint.replace('https://', 'http://');
  const error = await refused(t, openEtcd(httpEndpoint, TIMEOUT).getConfig(), 'etcd', /no plain HTTP\/2 answer; if it serves TLS, connect with https:\/\//);
  t.true(error instanceof EtcdUnreachableError);
});

test('TLS without a user name is refused as "user name is empty", exit code 9', async (t) => {
  const error = await refused(t, store(t).getConfig(), 'permission', /requires a user name and password \(user name is empty\)$/);
  t.is(error.exitCode, 9);
  t.regex(error.hint ?? '', /authentication on/);
});

test('a client trusting another CA refuses the server at once (no waiting it out)', async (t) => {
  const other = await createCa('another overlay');
  const client = store(t, { tls: { caPem: other.certPem }, auth: { username: 'root', password: etcd().rootPassword } });
  await refused(t, client.getConfig(), 'etcd', /presented a certificate the overlay's CA did not sign \(self-signed certificate in certificate chain\)$/);
  const started = Date.now();
  const error = await refused(t, client.waitUntilReady(10_000), 'etcd', /did not sign/);
  t.false(error instanceof EtcdUnreachableError);
  t.true(Date.now() - started < 5_000, `waited ${Date.now() - started} ms`);
});

test('serverName verifies the certificate for that name instead of the address', async (t) => {
  const root = { username: 'root', password: etcd().rootPassword };
  await t.notThrowsAsync(store(t, { tls: { ...tlsOf(), serverName: TEST_SERVER_NAME }, auth: root }).getConfig());
  await refused(t, store(t, { tls: { ...tlsOf(), serverName: 'other.ignite-net.test' }, auth: root }).getConfig(), 'etcd', /presented a certificate for another address/);
});

test('with serverName an IP endpoint over TLS prints no Node warning; without, DEP0123 is printed', async (t) => {
  // A warning is printed once per process, so each variant runs in a process of its own.
  const script = [
    "import { openEtcd } from './src/adapters/etcd/store.ts';",
    'const env = process.env;',
    "const tls = { caPem: env.T_CA, ...(env.T_NAME ? { serverName: env.T_NAME } : {}) };",
    "const s = openEtcd(env.T_ENDPOINT, { timeoutMs: 10000, tls, auth: { username: 'root', password: env.T_PW } });",
    'await s.ping(); s.close();',
  ].join('\n');
  const run = async (name: string) => {
    const env = { ...process.env, T_CA: etcd().ca.certPem, T_ENDPOINT: etcd().endpoint, T_PW: etcd().rootPassword, T_NAME: name };
    const { stderr } = await promisify(execFile)(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { env, timeout: 30_000 });
    return stderr;
  };
  const [named, bare] = await Promise.all([run(TEST_SERVER_NAME), run('')]);
  t.is(named, '');
  t.regex(bare, /DEP0123/);
});

test('a TLS client against a plain etcd says it does not speak TLS', async (t) => {
  if (!plain) throw new Error('etcd did not start');
  const endpoint = plain.endpoint.replace('http://', 'https://');
  // etcd closes the connection on a ClientHello; about one time in 30 with a reset, which a flaky
  // network also causes, so that one stays "not answering" (worth waiting for) and says both.
  await refused(t, store(t, {}, endpoint).getConfig(), 'etcd', /does not speak TLS \(connection closed during the TLS handshake\)$|\(connection reset; an etcd without TLS does this too\)$/);
});

test('a wrong password is "identity not known", and no error carries the password', async (t) => {
  const wrong = `wrong-${newPassword()}`;
  const error = await refused(t, store(t, { auth: { username: 'root', password: wrong } }).getConfig(), 'permission', /does not know this identity \(authentication failed\)$/);
  t.is(error.exitCode, 9);
  noSecret(t, error, wrong);
  noSecret(t, error, etcd().rootPassword);
});

test('the ignite-flannel identity reads the config and reads/writes leases, and nothing else', async (t) => {
  const admin = rootAdmin(t);
  await admin.put(ETCD_KEYS.config, '{"Network":"10.50.0.0/16"}');
  await admin.put('/ignite-net/anything', 'root only');
  const { store: flannel, password } = await flannelIdentity(t);

  t.is(await flannel.getConfig(), '{"Network":"10.50.0.0/16"}');
  const lease = `${ETCD_KEYS.subnets}10.50.7.0-24`;
  await flannel.putUnderLease(lease, '{"PublicIP":"192.0.2.7"}', 60);
  t.deepEqual((await flannel.listLeases()).map((l) => l.key), [lease]);
  t.true(await flannel.deleteLease('10.50.7.0/24'));
  const denied = /refused the request \(permission denied\)$/;
  const error = await refused(t, flannel.put(ETCD_KEYS.config, '{}'), 'permission', denied);
  t.regex(error.hint ?? '', /role does not allow it/);
  await refused(t, flannel.get('/ignite-net/anything'), 'permission', denied);
  await refused(t, flannel.get('/another/prefix/key'), 'permission', denied);
  await refused(t, flannel.get(`${ETCD_KEYS.prefix}/subnett`), 'permission', denied);
  const asAdmin = openEtcdAdmin(etcd().endpoint, { ...TIMEOUT, tls: tlsOf(), auth: { username: hostUser('nosuch'), password } });
  t.teardown(() => asAdmin.close());
  await refused(t, asAdmin.listUsers(), 'permission', /does not know this identity/);
  t.is(await admin.get(ETCD_KEYS.config), '{"Network":"10.50.0.0/16"}');
});

// Serial: its raw client (flanneld's view, no retry) fails with "revision of auth store is old" when
// another test changes users or roles during its call.
test.serial('flannel\'s own range [/subnets, /subnett) is granted exactly, without a trailing slash', async (t) => {
  const admin = rootAdmin(t);
  await admin.ensureRole(FLANNEL_ROLE, flannelPermissions());
  const name = hostUser(newId());
  const password = newPassword();
  await admin.ensureUser(name, password, [FLANNEL_ROLE]);
  const raw = new Etcd3({
    hosts: etcd().endpoint,
    credentials: { rootCertificate: Buffer.from(etcd().ca.certPem) },
    auth: { username: name, password },
    faultHandling: { host: () => noop, global: noop },
  });
  t.teardown(() => raw.close());
  await t.notThrowsAsync(raw.getAll().inRange(new Range(`${ETCD_KEYS.prefix}/subnets`, `${ETCD_KEYS.prefix}/subnett`)).keys());
  // One byte past the grant is refused: the grant is exact, not wider.
  await t.throwsAsync(raw.getAll().inRange(new Range(`${ETCD_KEYS.prefix}/subnets`, `${ETCD_KEYS.prefix}/subnetu`)).keys(), { message: /permission denied/ });
});

test('the flannel identity may not add a user', async (t) => {
  const { name, password } = await flannelIdentity(t);
  const asFlannel = openEtcdAdmin(etcd().endpoint, { ...TIMEOUT, tls: tlsOf(), auth: { username: name, password } });
  t.teardown(() => asFlannel.close());
  await refused(t, asFlannel.ensureUser(hostUser('evil01'), newPassword(), [FLANNEL_ROLE]), 'permission', /refused the request \(permission denied\)$/);
  t.false((await rootAdmin(t).listUsers()).includes(hostUser('evil01')));
});

test('ensureRole and ensureUser change nothing when run again and replace what differs', async (t) => {
  const admin = rootAdmin(t);
  const role = `ignite-test-${newId()}`;
  const name = `ignite-test-${newId()}`;
  const password = newPassword();
  t.is(await admin.ensureRole(role, [{ permission: 'read', key: '/t/a' }]), 'created');
  t.is(await admin.ensureRole(role, [{ permission: 'read', key: '/t/a' }]), 'unchanged');
  t.is(await admin.ensureUser(name, password, [role]), 'created');
  t.is(await admin.ensureUser(name, password, [role]), 'unchanged');
  t.deepEqual(await admin.userRoles(name), [role]);
  t.true((await admin.listUsers()).includes(name));
  t.is(await admin.userRoles('ignite-test-nosuch'), undefined);

  await admin.put('/t/a', 'a');
  const user = store(t, { auth: { username: name, password } });
  t.is(await user.get('/t/a'), 'a');
  t.is(await admin.ensureRole(role, [{ permission: 'readwrite', key: '/t/b' }]), 'updated');
  await refused(t, user.get('/t/a'), 'permission', /permission denied/);
  await user.put('/t/b', 'b');
  t.is(await user.get('/t/b'), 'b');

  const second = `ignite-test-${newId()}`;
  await admin.ensureRole(second, [{ permission: 'read', key: '/t/c' }]);
  const newer = newPassword();
  t.is(await admin.ensureUser(name, newer, [second]), 'updated');
  t.deepEqual(await admin.userRoles(name), [second]);
  await refused(t, store(t, { auth: { username: name, password } }).get('/t/c'), 'permission', /does not know this identity/);
  t.is(await store(t, { auth: { username: name, password: newer } }).get('/t/c'), undefined);
  t.true(await admin.deleteRole(second));
  t.false(await admin.deleteRole(second));
});

test('a deleted identity is refused on its next call, also on a client that was already authenticated', async (t) => {
  const admin = rootAdmin(t);
  const { name, password, store: connected } = await flannelIdentity(t);
  await connected.getConfig(); // authenticated: holds a token
  t.true(await admin.deleteUser(name));
  t.false(await admin.deleteUser(name));
  t.false((await admin.listUsers()).includes(name));
  const error = await refused(t, connected.getConfig(), 'permission', /does not know this identity \(authentication failed\)$/);
  t.regex(error.hint ?? '', /revoked/);
  noSecret(t, error, password);
  await refused(t, store(t, { auth: { username: name, password } }).getConfig(), 'permission', /does not know this identity/);
});

test('takeKey gives the value to exactly one of two concurrent token users', async (t) => {
  const admin = rootAdmin(t);
  const id = newId();
  const secret = newPassword();
  await admin.ensureRole(tokenRole(id), tokenPermissions(id));
  await admin.ensureUser(tokenUser(id), secret, [tokenRole(id)]);
  await admin.putUnderLease(bootstrapKey(id), 'sealed identity', 60);
  const a = store(t, { auth: { username: tokenUser(id), password: secret } });
  const b = store(t, { auth: { username: tokenUser(id), password: secret } });
  await Promise.all([a.getConfig().catch(() => undefined), b.getConfig().catch(() => undefined)]);
  const taken = await Promise.all([a.takeKey(bootstrapKey(id)), b.takeKey(bootstrapKey(id))]);
  t.deepEqual(taken.filter((v) => v !== undefined).map((v) => v.value), ['sealed identity']);
  t.is(taken.filter((v) => v === undefined).length, 1);
  t.is(await admin.get(bootstrapKey(id)), undefined);
  // An interrupted join puts it back on its own lease: the other one can take it then, once.
  const mine = taken.find((v) => v !== undefined);
  if (!mine) throw new Error('nothing taken');
  t.not(mine.leaseId, '0');
  t.is(await a.putBack(bootstrapKey(id), mine), 'restored');
  t.deepEqual(await b.takeKey(bootstrapKey(id)), mine);
  // A token's user reaches its own keys only.
  const other = newId();
  await admin.put(bootstrapKey(other), 'someone else');
  await refused(t, a.takeKey(bootstrapKey(other)), 'permission', /permission denied/);
  t.is(await admin.get(bootstrapKey(other)), 'someone else');
});

test('a control-plane token: only its user reads and takes the bundle, which opens with the certificate key; it expires with the token', async (t) => {
  const admin = rootAdmin(t);
  await admin.ensureRole(FLANNEL_ROLE, flannelPermissions());
  const bundle = { caCertPem: etcd().ca.certPem, caKeyPem: 'the CA key', rootPassword: etcd().rootPassword };
  const made = new Date();
  const { token, certificateKey } = await createJoinToken(admin, 60, made, undefined, bundle);
  if (certificateKey === undefined) throw new Error('no certificate key');
  const plainToken = (await createJoinToken(admin, 60, new Date())).token;
  t.is((await createJoinToken(admin, 60, new Date())).certificateKey, undefined);
  const host = await flannelIdentity(t);
  const key = controlPlaneKey(token.id);
  // Another (plain) token's user and a host identity are refused; so is the plain token's own bundle key.
  const other = store(t, { auth: { username: tokenUser(plainToken.id), password: plainToken.secret } });
  await refused(t, other.get(key), 'permission', /permission denied/);
  await refused(t, other.get(controlPlaneKey(plainToken.id)), 'permission', /permission denied/);
  await refused(t, host.store.get(key), 'permission', /permission denied/);
  const mine = store(t, { auth: { username: tokenUser(token.id), password: token.secret } });
  const sealed = await mine.get(key);
  t.deepEqual(openBundle(certificateKey, token.id, sealed ?? ''), { ...bundle, expiresAt: new Date(made.getTime() + 60_000).toISOString() }, 'with the token\'s expiry sealed in');
  t.is(openBundle(certificateKey.replace(/^./, (c) => (c === '0' ? '1' : '0')), token.id, sealed ?? ''), undefined, 'a wrong key opens nothing');
  const taken = await mine.takeKey(key);
  t.is(taken?.value, sealed);
  t.is(await admin.get(key), undefined);

  // The bundle and the bootstrap box share one lease: etcd deletes both when the TTL passes.
  const short = await createJoinToken(admin, 2, new Date(), undefined, bundle);
  const [boxTaken, bundleTaken] = [await admin.takeKey(bootstrapKey(short.token.id)), await admin.takeKey(controlPlaneKey(short.token.id))];
  t.true(boxTaken !== undefined && boxTaken.leaseId !== '0' && boxTaken.leaseId === bundleTaken?.leaseId, 'one lease');
  if (boxTaken && bundleTaken) {
    t.is(await admin.putBack(bootstrapKey(short.token.id), boxTaken), 'restored');
    t.is(await admin.putBack(controlPlaneKey(short.token.id), bundleTaken), 'restored');
  }
  const deadline = Date.now() + 8_000;
  let left: (string | undefined)[] = ['x'];
  while (left.some((v) => v !== undefined) && Date.now() < deadline) {
    await sleep(250);
    left = await Promise.all([admin.get(controlPlaneKey(short.token.id)), admin.get(bootstrapKey(short.token.id))]);
  }
  t.deepEqual(left, [undefined, undefined]);
});

test('putBack after the lease ran out: expired, nothing written', async (t) => {
  const admin = rootAdmin(t);
  const key = `/ignite-net/bootstrap/${newId()}`;
  await admin.putUnderLease(key, 'short-lived', 1);
  const taken = await admin.takeKey(key);
  if (!taken) throw new Error('nothing taken');
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  t.is(await admin.putBack(key, taken), 'expired');
  t.is(await admin.get(key), undefined);
});

test('putUnderLease: etcd deletes the key when the TTL passes', async (t) => {
  const admin = rootAdmin(t);
  const key = `/ignite-net/bootstrap/${newId()}`;
  await admin.putUnderLease(key, 'short-lived', 2);
  t.is(await admin.get(key), 'short-lived');
  // etcd's leader revokes expired leases from a 500 ms loop through raft: on a loaded CI machine that
  // can take several seconds past the TTL.
  const deadline = Date.now() + 20_000;
  let value: string | undefined = 'short-lived';
  while (value !== undefined && Date.now() < deadline) {
    await sleep(250);
    value = await admin.get(key);
  }
  t.is(value, undefined);
});

// Serial tests run before the others: pausing the shared etcd disturbs no other test.
test.serial('an authenticated client fails at the deadline while etcd hangs and sees it come back', async (t) => {
  const client = store(t, { timeoutMs: 1_000, auth: { username: 'root', password: etcd().rootPassword } });
  await etcd().pause();
  try {
    const error = await t.throwsAsync(client.getConfig());
    t.true(error instanceof EtcdUnreachableError && error.deadlineExceeded, String(error));
  } finally {
    etcd().resume();
  }
  const status = await client.waitUntilReady(5_000);
  t.true(status.hasLeader);
  await t.notThrowsAsync(client.getConfig());
});

test.serial('enableAuth turns auth on once; clients without credentials are refused from then on', async (t) => {
  if (!plain) throw new Error('etcd did not start');
  const password = newPassword();
  const before = openEtcd(plain.endpoint, TIMEOUT);
  t.teardown(() => before.close());
  await before.put('/x', '1');
  const admin = openEtcdAdmin(plain.endpoint, TIMEOUT);
  t.teardown(() => admin.close());
  t.is(await admin.enableAuth(password), 'enabled');
  // The admin reconnected as root; the client that was connected without credentials is refused.
  t.deepEqual(await admin.listUsers(), ['root']);
  t.deepEqual(await admin.userRoles('root'), ['root']);
  t.is(await admin.get('/x'), '1');
  await refused(t, before.get('/x'), 'permission', /user name is empty/);

  const again = openEtcdAdmin(plain.endpoint, TIMEOUT);
  t.teardown(() => again.close());
  t.is(await again.enableAuth(password), 'unchanged');
  t.is(await again.get('/x'), '1');
  const wrong = openEtcdAdmin(plain.endpoint, TIMEOUT);
  t.teardown(() => wrong.close());
  const error = await refused(t, wrong.enableAuth('not-the-root-password'), 'permission', /does not know this identity/);
  noSecret(t, error, 'not-the-root-password');
  noSecret(t, error, password);
});

test.serial('per-host roles: a host identity writes its own record and no other; older identities are converted; removal takes role and record', async (t) => {
  const admin = rootAdmin(t);
  const { token } = await createJoinToken(admin, 60, new Date());
  const user = hostUser(token.id);
  t.deepEqual(await admin.userRoles(user), [hostRole(user)]);
  const box = await admin.get(bootstrapKey(token.id));
  t.truthy(box);
  // The identity createJoinToken sealed, opened as the join does.
  const identity = JSON.parse(open(token, box ?? '') ?? '{}') as { username: string; password: string };
  const host = store(t, { auth: identity });
  await host.put(hostRecordKey(user), '{"endpoints":[]}');
  t.is(await admin.get(hostRecordKey(user)), '{"endpoints":[]}');
  await host.getConfig();
  const older = await flannelIdentity(t);
  await refused(t, host.put(hostRecordKey(older.name), 'x'), 'permission', /permission denied/);
  await refused(t, older.store.put(hostRecordKey(older.name), 'x'), 'permission', /permission denied/);

  t.true((await convertHostRoles(admin)) >= 1);
  t.deepEqual(await admin.userRoles(older.name), [hostRole(older.name)]);
  t.is(await convertHostRoles(admin), 0, 'idempotent');
  await older.store.put(hostRecordKey(older.name), '{"endpoints":[]}');
  await older.store.listLeases();

  await removeHostIdentity(admin, user);
  t.is(await admin.userRoles(user), undefined);
  t.is(await admin.get(hostRecordKey(user)), undefined);
});

test.serial('fixed subnets: a host writes its own fixed record, reads every one, and cannot write another host\'s or root\'s', async (t) => {
  const admin = rootAdmin(t);
  const hosts = await Promise.all([0, 1].map(async () => {
    const { token } = await createJoinToken(admin, 60, new Date());
    const identity = JSON.parse(open(token, (await admin.get(bootstrapKey(token.id))) ?? '') ?? '{}') as { username: string; password: string };
    return { user: identity.username, store: store(t, { auth: identity }) };
  }));
  const [a, b] = hosts;
  if (!a || !b) return t.fail();
  t.teardown(async () => {
    for (const h of hosts) await removeHostIdentity(admin, h.user).catch(() => undefined);
    await admin.delete(fixedAddressKey('192.0.2.50'));
  });
  await a.store.put(fixedHostKey(a.user), '{"Subnet":"10.50.40.0/24","PublicIP":"192.0.2.41"}');
  await admin.put(fixedAddressKey('192.0.2.50'), '{"Subnet":"10.50.50.0/24","PublicIP":"192.0.2.50"}');
  t.deepEqual([...(await b.store.getPrefix(FIXED_PREFIX)).keys()].sort(), [fixedHostKey(a.user), fixedAddressKey('192.0.2.50')].sort(), 'every host reads them all');
  await refused(t, b.store.put(fixedHostKey(a.user), '{"Subnet":"10.50.41.0/24","PublicIP":"192.0.2.42"}'), 'permission', /permission denied/);
  await refused(t, b.store.delete(fixedHostKey(a.user)), 'permission', /permission denied/);
  await refused(t, b.store.put(fixedAddressKey('192.0.2.42'), '{}'), 'permission', /permission denied/);
  await refused(t, b.store.delete(fixedAddressKey('192.0.2.50')), 'permission', /permission denied/);
  t.is(await admin.get(fixedHostKey(a.user)), '{"Subnet":"10.50.40.0/24","PublicIP":"192.0.2.41"}', "a's record is unchanged");
  t.true(await a.store.delete(fixedHostKey(a.user)), 'a removes its own');
});
