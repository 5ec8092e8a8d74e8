import test from 'ava';
import type { HostState } from '../../src/adapters/state.js';
import { doctorCommand } from '../../src/commands/doctor.js';
import { IgniteError } from '../../src/core/errors.js';
import { DEFAULT_NETWORK } from '../../src/defaults.js';
import { peerCheckStep } from '../../src/doctor/peer.js';
import { doctorReport } from '../../src/doctor/report.js';
import { evaluateIdentity, evaluateServerCert, evaluateTls, evaluateUnauthenticated, securityCheckStep } from '../../src/doctor/security.js';
import { buildNetworkConfig } from '../../src/net/network-config.js';
import { INSECURE_OVERLAY } from '../../src/pki/facts.js';
import { pkiLayout } from '../../src/pki/layout.js';
import { fakeServices, type FakeHost } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

const PIN = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;
const DAY = 86_400_000;
const PEER = '10.0.0.1';

test('EtcdTls: the presented CA against the recorded pin; a mismatch and a plain etcd fail with a hint', (t) => {
  t.like(evaluateTls('10.0.0.1:2379', PIN, { pin: PIN }, { role: 'joined', peer: PEER }), { status: 'pass', message: `etcd at 10.0.0.1:2379 serves TLS with the CA ${PIN}, the one this host recorded` });
  const moved = evaluateTls('10.0.0.1:2379', PIN, { pin: OTHER }, { role: 'joined', peer: PEER });
  t.is(moved.status, 'fail');
  t.is(moved.message, `the CA at 10.0.0.1:2379 is not the one this host recorded: ${PIN} expected, ${OTHER} found — is someone in between, or was init run again?`);
  t.regex(moved.hint ?? '', /token create` there, then `sudo ignite-net cleanup` here/);
  t.regex(evaluateTls('h:2379', PIN, { pin: OTHER }, { role: 'init' }).hint ?? '', /pki\/ca\.pem\) changed/);
  t.like(evaluateTls('h:2379', PIN, new Error('h:2379 does not speak TLS'), { role: 'init' }), { status: 'fail', message: 'etcd at h:2379 does not answer over TLS: h:2379 does not speak TLS' });
});

test('EtcdCert: a pass with the date, a warning under 30 days, a failure once expired', (t) => {
  const now = Date.UTC(2026, 0, 1);
  t.like(evaluateServerCert(new Date(now + 200 * DAY), now), { status: 'pass', message: "etcd's certificate is valid until 2026-07-20 (200 days)" });
  t.like(evaluateServerCert(new Date(now + 10.5 * DAY), now), { status: 'warn', message: "etcd's certificate expires in 10 days (2026-01-11)" });
  const gone = evaluateServerCert(new Date(now - DAY), now);
  t.like(gone, { status: 'fail', message: "etcd's certificate expired on 2025-12-31" });
  t.regex(gone.hint ?? '', /init` again on the init host/);
});

test('EtcdAuth: etcd refusing a call without credentials passes; answering it fails', (t) => {
  const refused = new IgniteError('permission', 'etcd at https://h:2379 requires a user name and password (user name is empty)');
  t.like(evaluateUnauthenticated('h:2379', refused), { status: 'pass', message: 'authentication is on: a call without credentials is refused (user name is empty)' });
  t.like(evaluateUnauthenticated('h:2379', 'answered'), { status: 'fail', message: 'etcd at h:2379 answers a call without credentials: authentication is off' });
  t.is(evaluateUnauthenticated('h:2379', new IgniteError('etcd', 'etcd at h is not answering')).status, 'fail');
});

test("EtcdIdentity: this host's identity is let in; revoked or missing fails with what to do", (t) => {
  t.like(evaluateIdentity('ignite-host-abc123', 'answered', undefined), { status: 'pass', message: "this host is ignite-host-abc123 (flannel's identity, reads the network config)" });
  t.regex(evaluateIdentity('ignite-host-abc123', 'answered', 'answered').message, /; ignite-net's own commands use root \(etcd-root\.json\)$/);
  const revoked = evaluateIdentity('ignite-host-abc123', new IgniteError('permission', 'etcd at h does not know this identity (authentication failed)'), undefined);
  t.like(revoked, { status: 'fail', message: "etcd refuses this host's identity ignite-host-abc123 (authentication failed): it was revoked (`ignite-net hosts revoke`) or init made a new etcd" });
  t.regex(revoked.hint ?? '', /token create` on the init host/);
  t.is(evaluateIdentity(undefined, undefined, undefined).status, 'fail');
});

function joinedState(security: HostState['security']): HostState {
  return {
    version: 1,
    role: 'joined',
    etcdEndpoint: `${security ? 'https' : 'http'}://${PEER}:2379`,
    advertiseAddress: '192.0.2.10',
    peer: PEER,
    images: { flannel: 'flannel:test' },
    network: buildNetworkConfig({}),
    paths: { cniConfDir: '/etc/cni/net.d', cniBinDir: '/opt/cni/bin', runDir: '/run/flannel' },
    ...(security ? { security } : {}),
    movedAside: {},
    toolVersion: 'test',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

function secureHost(): FakeHost {
  const host = fakeServices();
  host.probes.presented = { caPem: 'CA PEM', pin: PIN, serverCertExpiresAt: new Date(host.clock.now() + 300 * DAY) };
  host.probes.tcp.set(`${PEER}:2379`, { ok: true, rttMs: 1 });
  host.etcd.authRequired = true;
  host.etcd.keys.set('/coreos.com/network/config', { value: JSON.stringify(buildNetworkConfig({})) });
  return host;
}

test('security step on a secure joined host: TLS with its pin, the certificate, auth refusing, its identity', async (t) => {
  const host = secureHost();
  const layout = pkiLayout('/var/lib/ignite-net');
  host.files.put(layout.flannelTls.username, 'ignite-host-abc123\n');
  host.files.put(layout.flannelTls.password, 'secret-password-0123456789');
  const { ctx, io, checks } = stepHarness(['doctor'], { forbidChanges: true, services: host.services });
  ctx.state = joinedState({ caPin: PIN, etcdUser: 'ignite-host-abc123' });
  await securityCheckStep.run(ctx, io);
  t.deepEqual(checks.map((c) => `${c.name}:${c.status}`), ['EtcdTls:pass', 'EtcdCert:pass', 'EtcdAuth:pass', 'EtcdIdentity:pass'], JSON.stringify(checks));
  t.regex(checks[3]?.message ?? '', /this host is ignite-host-abc123/);
  t.false(JSON.stringify(checks).includes('secret-password'), 'no password in any check');

  // The CA changed: EtcdTls fails, and nothing is checked against a CA that is not the pinned one.
  host.probes.presented = { caPem: 'OTHER', pin: OTHER, serverCertExpiresAt: new Date(host.clock.now() + 300 * DAY) };
  const again = stepHarness(['doctor'], { forbidChanges: true, services: host.services });
  again.ctx.state = ctx.state;
  await securityCheckStep.run(again.ctx, again.io);
  t.deepEqual(again.checks.map((c) => `${c.name}:${c.status}`), ['EtcdTls:fail']);
  t.deepEqual(doctorReport(again.ctx).notRun.map((n) => n.name), ['EtcdCert', 'EtcdAuth', 'EtcdIdentity']);
  t.is(doctorCommand.summary(again.ctx).exitCode, 3);
});

test('security step on an insecure host: one warning, the one every command gives; skipped on a host not set up', async (t) => {
  const { ctx, io, checks } = stepHarness(['doctor'], { forbidChanges: true, services: fakeServices().services });
  t.is(await securityCheckStep.skip?.(ctx), 'this host is not set up');
  ctx.state = joinedState(undefined);
  t.is(await securityCheckStep.skip?.(ctx), undefined);
  await securityCheckStep.run(ctx, io);
  t.deepEqual(checks, [{ name: 'EtcdTls', status: 'warn', ...INSECURE_OVERLAY }]);
  t.is(doctorCommand.summary(ctx).exitCode, undefined, 'a warning, not a failure');
});

test('doctor --peer on a fresh host against a secure overlay: ports, the TLS pin, auth on; no token needed, no failure', async (t) => {
  const host = secureHost();
  const { ctx, io, checks } = stepHarness(['doctor', '--peer', PEER], { forbidChanges: true, services: host.services });
  await peerCheckStep.run(ctx, io);
  t.deepEqual(checks.map((c) => `${c.name}:${c.status}`), ['PeerAddress:pass', 'HostRole:pass', 'PeerEtcd:pass', 'PeerAuth:pass', 'PeerBackendPort:pass'], JSON.stringify(checks));
  t.is(checks[2]?.message, `etcd v3 answers at https://${PEER}:2379 (1ms), TLS with the CA ${PIN}: compare it with the --ca-cert-hash of the join command`);
  t.is(checks[3]?.message, `authentication is on (etcd refuses a call without credentials): joining needs a token; \`sudo ignite-net token create\` on ${PEER} prints the join command`);
  t.regex(checks[4]?.message ?? '', new RegExp(`^${DEFAULT_NETWORK.backendPort}/udp not rejected.*--backend-port or its default\\)$`));
  t.deepEqual(doctorReport(ctx).notRun, [{ name: 'PeerNetworkConfig', reason: 'readable with a token only: authentication is on' }]);
  const summary = doctorCommand.summary(ctx);
  t.is(summary.exitCode, undefined);
  t.deepEqual(summary.next, [`Ready to join ${PEER}: run \`sudo ignite-net token create\` there and the join command it prints here.`]);

  // With the pin of the join command: compared; a wrong one is the failure join would stop with.
  const pinned = stepHarness(['doctor', '--peer', PEER, '--ca-cert-hash', PIN], { forbidChanges: true, services: host.services });
  await peerCheckStep.run(pinned.ctx, pinned.io);
  t.regex(pinned.checks[2]?.message ?? '', /TLS with the CA sha256:a{64}, the one given with --ca-cert-hash$/);
  const wrong = stepHarness(['doctor', '--peer', PEER, '--ca-cert-hash', OTHER], { forbidChanges: true, services: host.services });
  await peerCheckStep.run(wrong.ctx, wrong.io);
  t.like(wrong.checks[2], { name: 'PeerEtcd', status: 'fail', message: `the CA at ${PEER}:2379 is not the one given with --ca-cert-hash: ${OTHER} expected, ${PIN} found — is someone in between, or was init run again?` });
});

test('doctor --peer against an insecure overlay: the insecure warning, everything else as before', async (t) => {
  const host = fakeServices();
  host.probes.tcp.set(`${PEER}:2379`, { ok: true, rttMs: 1 });
  host.etcd.keys.set('/coreos.com/network/config', { value: JSON.stringify(buildNetworkConfig({})) });
  const { ctx, io, checks } = stepHarness(['doctor', '--peer', PEER], { forbidChanges: true, services: host.services });
  await peerCheckStep.run(ctx, io);
  t.deepEqual(checks.map((c) => `${c.name}:${c.status}`), ['PeerAddress:pass', 'HostRole:pass', 'PeerEtcd:pass', 'PeerAuth:warn', 'PeerNetworkConfig:pass', 'PeerBackendPort:pass']);
  t.like(checks[3], INSECURE_OVERLAY);
  t.deepEqual(doctorCommand.summary(ctx).next, [`Ready for \`sudo ignite-net join ${PEER}\`.`]);
});
