import test from 'ava';
import { testLease } from '../_helpers/fakes.js';
import type { Lease } from '../../src/net/lease.js';
import { ExitCode } from '../../src/core/errors.js';
import { INSECURE_OVERLAY } from '../../src/pki/facts.js';
import { renderStatusText } from '../../src/ui/status-text.js';
import { buildStatusModel, exitCodeFor, formatTtl, type ContainerInput, type StatusInputs } from '../../src/status/model.js';

const NOW = '2025-01-01T12:00:00.000Z';
const CONFIG = { Network: '10.50.0.0/16', SubnetLen: 24, SubnetMin: '10.50.10.0', SubnetMax: '10.50.99.0', Backend: { Type: 'udp' as const, Port: 8285 } };

const lease = (subnet: string, publicIP: string, extra: Partial<Lease> = {}): Lease => testLease(subnet, publicIP, { ttlSeconds: 86_000, leaseId: 'abc', ...extra });

const container = (role: 'etcd' | 'flannel', extra: Partial<ContainerInput> = {}): ContainerInput => ({
  name: `ignite-${role}`,
  role,
  image: `img/${role}:1`,
  state: 'running',
  running: true,
  exitCode: 0,
  startedAt: '2025-01-01T11:00:00.000Z',
  restartCount: 0,
  ...extra,
});

/** A healthy joined host 10.0.0.2 (lease 10.50.12.0/24) in an overlay run from 10.0.0.1. */
function inputs(over: Partial<StatusInputs> = {}): StatusInputs {
  const leases = [lease('10.50.11.0/24', '10.0.0.1'), lease('10.50.12.0/24', '10.0.0.2')];
  return {
    now: NOW,
    endpoint: { url: 'http://10.0.0.1:2379', source: 'state' },
    state: { path: '/var/lib/ignite-net/state.json', role: 'joined', advertiseAddress: '10.0.0.2', peer: '10.0.0.1', createdAt: NOW },
    etcd: { ok: true, version: '3.4.23', readMs: 3, config: JSON.stringify(CONFIG), configKey: '/coreos.com/network/config', leases },
    network: { config: CONFIG },
    docker: { ok: true, where: 'unix:///var/run/docker.sock', containers: [container('flannel')] },
    subnetEnv: { path: '/run/flannel/subnet.env', kind: 'ok', subnet: '10.50.12.0/24', network: '10.50.0.0/16', mtu: 1472 },
    cni: { confDir: '/etc/cni/net.d', binDir: '/opt/cni/bin', candidates: ['10-flannel.conflist'], ours: { validJson: true, written: true }, invalid: [], missingPlugins: [] },
    localAddresses: ['10.0.0.2'],
    probes: {
      [leases[0]!.key]: {
        backend: { kind: 'udp', port: 8285, result: 'silent' },
        overlay: { kind: 'tcp', target: '10.50.11.0', port: 2379, ok: true, rttMs: 1.4 },
      },
    },
    probeLimit: { limit: 64, candidates: 1 },
    ...over,
  };
}

test('leases become rows: subnet, PublicIP, backend, expiry, this host and etcd host', (t) => {
  const model = buildStatusModel(inputs());
  t.is(model.verdict, 'healthy', JSON.stringify(model.problems));
  t.is(model.exitCode, 0);
  t.deepEqual(
    model.hosts.map((h) => [h.subnet, h.publicIP, h.backend, h.thisHost, h.etcdHost]),
    [
      ['10.50.11.0/24', '10.0.0.1', 'udp', false, true],
      ['10.50.12.0/24', '10.0.0.2', 'udp', true, false],
    ],
  );
  const [peer, self] = model.hosts;
  t.is(peer?.expiresAt, new Date(Date.parse(NOW) + 86_000_000).toISOString());
  t.is(peer?.backendReach.text, 'not rejected');
  t.is(peer?.overlayReach.state, 'ok');
  t.is(peer?.overlayReach.rttMs, 1.4);
  t.is(self?.backendReach.text, 'this host');
  t.is(model.thisHost.subnet, '10.50.12.0/24');
});

test('rows are ordered by subnet numerically, not as text', (t) => {
  const leases = [lease('10.50.100.0/24', '10.0.0.5'), lease('10.50.9.0/24', '10.0.0.4'), lease('10.50.12.0/24', '10.0.0.2')];
  const base = inputs();
  const model = buildStatusModel({ ...base, etcd: { ...(base.etcd as Extract<StatusInputs['etcd'], { ok: true }>), leases } });
  t.deepEqual(model.hosts.map((h) => h.subnet), ['10.50.9.0/24', '10.50.12.0/24', '10.50.100.0/24']);
});

test('a reservation has no expiry and is not a problem; a lease not renewed is a warning', (t) => {
  const leases = [
    lease('10.50.11.0/24', '10.0.0.1', { reserved: true, ttlSeconds: undefined, leaseId: undefined }),
    lease('10.50.12.0/24', '10.0.0.2'),
    lease('10.50.13.0/24', '10.0.0.3', { ttlSeconds: 600 }),
  ];
  const base = inputs();
  const model = buildStatusModel({ ...base, etcd: { ...(base.etcd as Extract<StatusInputs['etcd'], { ok: true }>), leases } });
  const reserved = model.hosts.find((h) => h.publicIP === '10.0.0.1');
  t.true(reserved?.reserved);
  t.is(reserved?.expiresAt, undefined);
  t.deepEqual(model.problems.map((p) => p.code), ['lease-not-renewed']);
  t.is(model.verdict, 'degraded');
  t.is(model.exitCode, 0, 'warnings alone keep exit 0');
  t.regex(model.problems[0]?.message ?? '', /expires in 10m and was not renewed/);
});

test('a stopped flannel makes the host unhealthy with exit 10', (t) => {
  const model = buildStatusModel(inputs({ docker: { ok: true, where: 'x', containers: [container('flannel', { state: 'exited', running: false, exitCode: 137 })] } }));
  t.is(model.verdict, 'unhealthy');
  t.is(model.exitCode, ExitCode.unhealthy);
  t.is(model.exitCode, 10);
  const problem = model.problems.find((p) => p.code === 'flannel-not-running');
  t.regex(problem?.message ?? '', /flannel is not running: ignite-flannel is exited with code 137/);
  t.is(model.thisHost.containers[0]?.uptimeSeconds, undefined, 'no uptime for a stopped container');
});

test('an init host expects etcd too; a missing one is named', (t) => {
  const model = buildStatusModel(
    inputs({ state: { path: '/s', role: 'init', advertiseAddress: '10.0.0.2', createdAt: NOW }, docker: { ok: true, where: 'x', containers: [container('flannel')] } }),
  );
  t.deepEqual(model.problems.map((p) => p.code), ['etcd-missing']);
  t.is(model.thisHost.containers[0]?.uptimeSeconds, 3600);
});

test('a rejected backend port and a silent overlay are errors naming the host', (t) => {
  const base = inputs();
  const key = '/coreos.com/network/subnets/10.50.11.0-24';
  const model = buildStatusModel({
    ...base,
    probes: {
      [key]: {
        backend: { kind: 'udp', port: 8285, result: 'rejected', rttMs: 0.3 },
        overlay: { kind: 'tcp', target: '10.50.11.0', port: 2379, ok: false, reason: 'timeout', message: 'no answer' },
      },
    },
  });
  t.deepEqual(model.problems.map((p) => p.code), ['backend-unreachable', 'overlay-unreachable']);
  t.regex(model.problems[0]?.message ?? '', /10\.0\.0\.1:8285\/udp \(10\.50\.11\.0\/24\) rejected/);
  t.is(model.hosts[0]?.health, 'error');
  t.is(model.exitCode, 10);
});

test('hosts without etcd: the overlay is not checked and the reason says why', (t) => {
  const leases = [lease('10.50.11.0/24', '10.0.0.1'), lease('10.50.12.0/24', '10.0.0.2'), lease('10.50.13.0/24', '10.0.0.3')];
  const base = inputs();
  const model = buildStatusModel({
    ...base,
    etcd: { ...(base.etcd as Extract<StatusInputs['etcd'], { ok: true }>), leases },
    probes: { ...base.probes, [leases[2]!.key]: { backend: { kind: 'udp', port: 8285, result: 'silent' } } },
  });
  const other = model.hosts.find((h) => h.publicIP === '10.0.0.3');
  t.is(other?.backendReach.state, 'ok');
  t.is(other?.overlayReach.state, 'not-checked');
  t.regex(other?.overlayReach.note ?? '', /only the init host's etcd/);
  t.is(model.verdict, 'healthy');
});

test('hosts over the probe limit are not checked and a warning says how many were', (t) => {
  const model = buildStatusModel(inputs({ probes: {}, probeLimit: { limit: 0, candidates: 1 } }));
  t.is(model.hosts[0]?.backendReach.state, 'not-checked');
  t.regex(model.hosts[0]?.backendReach.note ?? '', /probe limit/);
  t.deepEqual(model.problems.map((p) => p.code), ['probes-limited']);
});

test('without a network config the backend port is not checked, and the reason is not the probe limit', (t) => {
  const model = buildStatusModel(inputs({ network: undefined, probes: {}, probeLimit: { limit: 64, candidates: 0 } }));
  t.like(model.hosts[0]?.backendReach, { state: 'not-checked', note: 'the backend port is unknown: no network config' });
  t.false(model.problems.some((p) => p.code === 'probes-limited'));
});

test('etcd unreachable: exit 5, no hosts; Docker unreachable: exit 4', (t) => {
  const noEtcd = buildStatusModel(inputs({ etcd: { ok: false, message: 'etcd at http://10.0.0.1:2379 is not answering' }, network: undefined }));
  t.is(noEtcd.exitCode, ExitCode.etcd);
  t.deepEqual(noEtcd.hosts, []);
  t.false(noEtcd.etcd.ok);
  const noDocker = buildStatusModel(inputs({ docker: { ok: false, message: 'Docker Engine is not reachable' } }));
  t.is(noDocker.exitCode, ExitCode.docker);
  t.is(exitCodeFor([{ severity: 'warning', code: 'x', message: 'x' }]), 0);
});

test('CNI: a missing conflist, another file picked first and missing plugins are errors', (t) => {
  const model = buildStatusModel(
    inputs({ cni: { confDir: '/etc/cni/net.d', binDir: '/opt/cni/bin', candidates: ['05-other.conf', '10-flannel.conflist'], ours: { validJson: true, written: false }, invalid: [], missingPlugins: ['flannel'] } }),
  );
  t.deepEqual(model.problems.map((p) => p.code), ['cni-conflist-foreign', 'cni-not-first', 'cni-plugins-missing']);
  t.is(model.thisHost.cni.firstPick, '05-other.conf');
  t.regex(model.problems[2]?.hint ?? '', /flannel-cni-plugin/);
});

test('subnet.env naming a subnet etcd does not hold, and no lease for this host', (t) => {
  const base = inputs();
  const model = buildStatusModel({
    ...base,
    etcd: { ...(base.etcd as Extract<StatusInputs['etcd'], { ok: true }>), leases: [lease('10.50.11.0/24', '10.0.0.1')] },
  });
  t.deepEqual(model.problems.map((p) => p.code), ['subnet-env-stale', 'no-lease']);
});

test('without a state file, this host is found by subnet.env; an outside observer expects nothing locally', (t) => {
  const { state: _state, ...noState } = inputs();
  const member = buildStatusModel({ ...noState, stateMissing: 'no state file', localAddresses: [] });
  t.true(member.hosts.find((h) => h.subnet === '10.50.12.0/24')?.thisHost);
  t.is(member.verdict, 'healthy');
  const observer = buildStatusModel({
    ...noState,
    docker: { ok: true, where: 'x', containers: [] },
    subnetEnv: { path: '/run/flannel/subnet.env', kind: 'missing' },
    cni: { confDir: '/etc/cni/net.d', binDir: '/opt/cni/bin', candidates: [], invalid: [], missingPlugins: ['flannel'] },
    localAddresses: ['192.0.2.9'],
    probes: { '/coreos.com/network/subnets/10.50.11.0-24': { backend: { kind: 'udp', port: 8285, result: 'silent' } } },
  });
  t.false(observer.thisHost.member);
  t.deepEqual(observer.problems, []);
  t.is(observer.hosts[0]?.overlayReach.note, 'this host is not in the overlay');
});

test('a duplicated PublicIP and a malformed lease are warnings', (t) => {
  const leases = [lease('10.50.11.0/24', '10.0.0.1'), lease('10.50.12.0/24', '10.0.0.2'), lease('10.50.14.0/24', '10.0.0.1'), lease('10.50.15.0/24', '', { problem: 'value has no PublicIP' })];
  const base = inputs();
  const model = buildStatusModel({ ...base, etcd: { ...(base.etcd as Extract<StatusInputs['etcd'], { ok: true }>), leases } });
  t.deepEqual(model.problems.map((p) => p.code).sort(), ['duplicate-public-ip', 'duplicate-public-ip', 'lease-malformed']);
});

test('formatTtl', (t) => {
  t.is(formatTtl(86_399), '23h 59m');
  t.is(formatTtl(600), '10m');
  t.is(formatTtl(42), '42s');
});

test('etcd\'s certificate: nothing while it has 30 days or more, a warning under 30, an error once expired', (t) => {
  const secure = (certExpiresAt: string): StatusInputs => inputs({ endpoint: { url: 'https://10.0.0.1:2379', source: 'state' }, security: { tls: true, caPin: `sha256:${'a'.repeat(64)}`, certExpiresAt, identity: 'ignite-host-abc123' } });
  const far = buildStatusModel(secure('2026-01-01T12:00:00.000Z'));
  t.deepEqual(far.problems.filter((p) => p.code === 'cert-expiring'), []);
  t.deepEqual(far.security, { tls: true, caPin: `sha256:${'a'.repeat(64)}`, certExpiresAt: '2026-01-01T12:00:00.000Z', identity: 'ignite-host-abc123' });
  const soon = buildStatusModel(secure('2025-01-11T12:00:00.000Z')).problems.find((p) => p.code === 'cert-expiring');
  t.is(soon?.severity, 'warning');
  t.is(soon?.message, "etcd's certificate expires in 10 days (2025-01-11)");
  const gone = buildStatusModel(secure('2024-12-31T12:00:00.000Z'));
  t.is(gone.problems.find((p) => p.code === 'cert-expiring')?.severity, 'error');
  t.is(gone.verdict, 'unhealthy');
  const plain = buildStatusModel(inputs());
  t.deepEqual(plain.security, { tls: false, warning: INSECURE_OVERLAY });
  t.is(plain.verdict, 'healthy', 'an insecure overlay is warned about, not counted against its health');
  t.deepEqual(plain.problems, []);
  const text = renderStatusText(plain).join('\n');
  t.regex(text, /^ {2}! etcd serves plain HTTP without authentication \(init --insecure\): anyone who reaches 2379\/tcp can read and rewrite the overlay$/m);
  t.regex(text, /^ {4}hint: Run `sudo ignite-net init` on the init host without --insecure\.$/m);
  t.regex(text, /^. ignite-net status: healthy$/m);
});

test('a revoked host: its lease is marked revoked until it runs out, a warning, not a healthy row', (t) => {
  const revokedAt = '2025-01-01T11:00:00.000Z';
  // Revoked an hour ago with 86,000 s left on its lease: that lease now has 82,400 s left.
  const record = { user: 'ignite-host-abc123', address: '10.0.0.2', hostname: 'node2', subnet: '10.50.12.0/24', at: revokedAt, leaseExpiresAt: new Date(Date.parse(revokedAt) + 86_000_000).toISOString() };
  const onInit = (ttlSeconds: number): StatusInputs =>
    inputs({
      state: { path: '/var/lib/ignite-net/state.json', role: 'init', advertiseAddress: '10.0.0.1', createdAt: NOW },
      subnetEnv: { path: '/run/flannel/subnet.env', kind: 'ok', subnet: '10.50.11.0/24', network: '10.50.0.0/16', mtu: 1472 },
      docker: { ok: true, where: 'unix:///var/run/docker.sock', containers: [container('etcd'), container('flannel')] },
      localAddresses: ['10.0.0.1'],
      etcd: { ok: true, version: '3.4.23', readMs: 3, config: JSON.stringify(CONFIG), configKey: '/coreos.com/network/config', leases: [lease('10.50.11.0/24', '10.0.0.1'), lease('10.50.12.0/24', '10.0.0.2', { ttlSeconds })] },
      probes: {},
      probeLimit: { limit: 64, candidates: 0 },
      revoked: [record],
    });
  const model = buildStatusModel(onInit(82_400));
  const row = model.hosts.find((h) => h.publicIP === '10.0.0.2');
  t.like(row, { health: 'warning', problem: 'revoked', revoked: { user: 'ignite-host-abc123', at: revokedAt } });
  t.deepEqual(model.problems.map((p) => p.code), ['host-revoked']);
  t.is(model.problems[0]?.message, '10.0.0.2 (ignite-host-abc123) is revoked: its lease 10.50.12.0/24 runs out at 2025-01-02 10:53 UTC, no renewal possible');
  t.is(model.verdict, 'degraded');
  t.regex(renderStatusText(model).join('\n'), /10\.50\.12\.0\/24 +10\.0\.0\.2 +udp +22h 53m +revoked /);
  // Under the hour flannel renews at, a revoked lease is not also "not renewed": it cannot be.
  t.deepEqual(buildStatusModel(onInit(1_200)).problems.map((p) => p.code), ['host-revoked']);
  // Renewed since (a new identity: the host joined again): no longer revoked.
  const renewed = buildStatusModel(onInit(86_300));
  t.is(renewed.hosts.find((h) => h.publicIP === '10.0.0.2')?.revoked, undefined);
  t.is(renewed.verdict, 'healthy', JSON.stringify(renewed.problems));
});

test('authentication: said on the security line when seen on, an error when a TLS etcd answers without credentials', (t) => {
  const secure = (auth: boolean | undefined): StatusInputs =>
    inputs({ endpoint: { url: 'https://10.0.0.1:2379', source: 'state' }, security: { tls: true, ...(auth === undefined ? {} : { auth }), identity: 'ignite-host-abc123' } });
  const on = buildStatusModel(secure(true));
  t.deepEqual(on.problems.filter((p) => p.code === 'auth-off'), []);
  t.regex(renderStatusText(on).join('\n'), /^ {2}security +TLS, auth on, this host is ignite-host-abc123$/m);
  const off = buildStatusModel(secure(false));
  t.is(off.problems.find((p) => p.code === 'auth-off')?.severity, 'error');
  t.is(off.verdict, 'unhealthy');
  t.regex(renderStatusText(off).join('\n'), /^ {2}security +TLS, AUTH OFF, this host is/m);
  const unknown = buildStatusModel(secure(undefined));
  t.deepEqual(unknown.problems.filter((p) => p.code === 'auth-off'), [], 'no verdict, no problem: etcd may just not have answered');
  t.regex(renderStatusText(unknown).join('\n'), /^ {2}security +TLS, this host is/m);
});

// -- the control plane (docs/ha.md, "status and doctor") --

type MemberInput = Extract<NonNullable<StatusInputs['controlPlane']>, { ok: true }>['members'][number];

/** A member 10.0.0.<n>, healthy unless `status` says otherwise; `leader` names the leader's id. */
function member(n: number, extra: { name?: string; learner?: boolean; down?: boolean; unstarted?: boolean; leader?: number } = {}): MemberInput {
  const id = `a${n}`;
  const clientUrl = `https://10.0.0.${n}:2379`;
  const m = { id, name: extra.unstarted ? '' : (extra.name ?? `m-10-0-0-${n}`), peerUrls: [`https://10.0.0.${n}:2380`], clientUrls: extra.unstarted ? [] : [clientUrl], isLearner: extra.learner === true };
  if (extra.unstarted) return { member: m };
  if (extra.down) return { member: m, status: { endpoint: clientUrl, reachable: false, healthy: false, problem: `etcd at ${clientUrl} is not answering over the v3 API within 2s` } };
  const leaderId = `a${extra.leader ?? 1}`;
  return {
    member: m,
    status: { endpoint: clientUrl, reachable: true, healthy: true, memberId: id, leaderId, isLeader: leaderId === id, isLearner: m.isLearner, raftIndex: 100 + n, raftTerm: 2, dbSizeBytes: 24_576, version: '3.4.23', alarms: [] },
  };
}

test('control plane: one member and two hosts: "1 member, 1 needed, 1 healthy" and the single-member warning, not counted in the verdict', (t) => {
  const model = buildStatusModel(inputs({ controlPlane: { ok: true, members: [member(1, { name: 's1' })] } }));
  t.is(model.verdict, 'healthy', JSON.stringify(model.problems));
  const cp = model.controlPlane;
  t.like(cp?.quorum, { members: 1, needed: 1, healthy: 1, ok: true, line: '1 member, 1 needed, 1 healthy' });
  t.like(cp?.members[0], { name: 's1', peerUrl: 'https://10.0.0.1:2380', leader: true, healthy: true, raftIndex: 101, dbSizeBytes: 24_576, thisHost: false });
  t.is(cp?.warnings.length, 1);
  t.regex(cp?.warnings[0] ?? '', /^etcd runs on one host only and 2 hosts depend on it/);
  const text = renderStatusText(model).join('\n');
  t.regex(text, /^control plane: 1 member, 1 needed, 1 healthy$/m);
  t.regex(text, /^ {2}NAME +PEER URL +ROLE +HEALTH +RAFT INDEX +DB SIZE$/m);
  t.regex(text, /^ {2}s1 +https:\/\/10\.0\.0\.1:2380 +leader +healthy +101 +25 kB$/m);
  t.regex(text, /^ {2}! etcd runs on one host only and 2 hosts depend on it/m);
});

test('control plane: three members, one down: quorum holds, a warning names the member, its row says not answering', (t) => {
  const members = [member(3, { down: true }), member(1), member(2)];
  const model = buildStatusModel(inputs({ localAddresses: ['10.0.0.2'], controlPlane: { ok: true, members } }));
  const cp = model.controlPlane;
  t.is(cp?.quorum?.line, '3 members, 2 needed, 2 healthy');
  t.true(cp?.quorum?.ok);
  t.deepEqual(cp?.warnings, []);
  t.deepEqual(cp?.members.map((m) => [m.name, m.leader, m.healthy, m.thisHost]), [
    ['m-10-0-0-1', true, true, false],
    ['m-10-0-0-2', false, true, true],
    ['m-10-0-0-3', false, false, false],
  ]);
  t.is(model.verdict, 'degraded');
  t.is(model.exitCode, 0);
  const problem = model.problems.find((p) => p.code === 'etcd-member-unhealthy');
  t.regex(problem?.message ?? '', /^etcd member m-10-0-0-3 \(https:\/\/10\.0\.0\.3:2380\) is not healthy: etcd at https:\/\/10\.0\.0\.3:2379 is not answering .*; 3 members, 2 needed, 2 healthy$/);
  t.regex(problem?.hint ?? '', /etcdctl member remove a3/);
  const text = renderStatusText(model).join('\n');
  t.regex(text, /^ {2}m-10-0-0-2 +https:\/\/10\.0\.0\.2:2380 +follower, this host +healthy +102 +25 kB$/m);
  t.regex(text, /^ {2}m-10-0-0-3 +https:\/\/10\.0\.0\.3:2380 +follower +not answering +- +-$/m);
});

test('control plane: two of three down is no quorum, an error; even counts warn; a learner and an unstarted member do not vote', (t) => {
  const lost = buildStatusModel(inputs({ controlPlane: { ok: true, members: [member(1), member(2, { down: true }), member(3, { down: true })] } }));
  t.is(lost.verdict, 'unhealthy');
  t.is(lost.exitCode, 10);
  t.false(lost.controlPlane?.quorum?.ok);
  const noQuorum = lost.problems.filter((p) => p.code.startsWith('etcd-'));
  t.deepEqual(noQuorum.map((p) => p.code), ['etcd-no-quorum'], 'one error, not one per member');
  t.regex(noQuorum[0]?.message ?? '', /^etcd has no quorum \(3 members, 2 needed, 1 healthy\): no host can join and no lease can be renewed$/);

  const four = buildStatusModel(inputs({ controlPlane: { ok: true, members: [1, 2, 3, 4].map((n) => member(n)) } }));
  t.is(four.controlPlane?.quorum?.line, '4 members, 3 needed, 4 healthy');
  t.regex(four.controlPlane?.warnings[0] ?? '', /^4 etcd members tolerate 1 failure, no more than 3 would/);
  t.is(four.verdict, 'healthy', 'a shape warning is said, not counted');

  const growing = buildStatusModel(inputs({ controlPlane: { ok: true, members: [member(1), member(2, { learner: true }), member(3, { unstarted: true, learner: true })] } }));
  t.is(growing.controlPlane?.quorum?.line, '1 member, 1 needed, 1 healthy');
  t.deepEqual(growing.controlPlane?.members.map((m) => [m.name, m.learner, m.healthy]), [
    ['m-10-0-0-1', false, true],
    ['m-10-0-0-2', true, true],
    ['', true, false],
  ]);
  t.regex(growing.problems.find((p) => p.code === 'etcd-member-unhealthy')?.message ?? '', /^the etcd member at https:\/\/10\.0\.0\.3:2380 is not healthy: not started \(a learner: it does not vote\)$/);
  const text = renderStatusText(growing).join('\n');
  t.regex(text, /^ {2}m-10-0-0-2 +https:\/\/10\.0\.0\.2:2380 +learner, this host +healthy/m);
  t.regex(text, /^ {2}\(not started\) +https:\/\/10\.0\.0\.3:2380 +learner +not started +- +-$/m);
});

test('control plane: a member list that could not be read says so once (etcd-unreachable says why); none asked, no section', (t) => {
  const model = buildStatusModel(inputs({ etcd: { ok: false, message: 'etcd at http://10.0.0.1:2379 is not answering' }, controlPlane: { ok: false, message: 'etcd at http://10.0.0.1:2379 is not answering' } }));
  t.like(model.controlPlane, { ok: false, members: [], warnings: [] });
  t.deepEqual(model.problems.map((p) => p.code), ['etcd-unreachable']);
  t.regex(renderStatusText(model).join('\n'), /^control plane: unknown: etcd's member list could not be read$/m);
  const none = buildStatusModel(inputs());
  t.is(none.controlPlane, undefined);
  t.notRegex(renderStatusText(none).join('\n'), /control plane/);
});

test('CNI plugins: the versions are shown compactly; one that does not answer VERSION or not speak the conflist version is an error', (t) => {
  const all = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0'];
  const plugin = (name: string, extra: object) => ({ name, path: `/opt/cni/bin/${name}`, present: true, ...extra });
  const cni = (plugins: ReturnType<typeof plugin>[]): StatusInputs['cni'] => ({ ...inputs().cni, cniVersion: '0.4.0', plugins });
  const good = buildStatusModel(inputs({ cni: cni(['flannel', 'portmap', 'firewall', 'bridge', 'host-local'].map((n) => plugin(n, { version: '1.0.0', supportedVersions: all }))) }));
  t.is(good.verdict, 'healthy', JSON.stringify(good.problems));
  t.regex(renderStatusText(good, { color: false }).join('\n'), /CNI plugins +flannel, portmap, firewall, bridge, host-local \(CNI 1\.0\.0\) in \/opt\/cni\/bin, all speak the conflist's CNI 0\.4\.0/);

  const bad = buildStatusModel(
    inputs({ cni: cni([plugin('flannel', { error: 'no answer within 2s' }), plugin('portmap', { version: '0.3.1', supportedVersions: ['0.3.0', '0.3.1'] }), plugin('bridge', { version: '1.0.0', supportedVersions: all })]) }),
  );
  t.is(bad.verdict, 'unhealthy');
  const problem = bad.problems.find((p) => p.code === 'cni-plugins-unusable');
  t.is(problem?.message, "CNI plugins in /opt/cni/bin that VMs cannot use with the conflist's CNI 0.4.0: flannel (does not answer VERSION: no answer within 2s), portmap (speaks CNI 0.3.0–0.3.1, not 0.4.0)");
  t.regex(renderStatusText(bad, { color: false }).join('\n'), /CNI plugins +flannel \(no VERSION answer\), portmap \(CNI 0\.3\.1\), bridge \(CNI 1\.0\.0\); unusable: flannel/);
});

test("Ignite's side: networkPlugin other than cni is an error, an ignited older than the conflist a warning; no Ignite, no problem", (t) => {
  const conflistPath = '/etc/cni/net.d/10-flannel.conflist';
  t.is(buildStatusModel(inputs({ ignite: { conflistPath } })).verdict, 'healthy');
  const model = buildStatusModel(inputs({ ignite: { conflistPath, configText: 'spec:\n  networkPlugin: flannel\n', ignitedStartedAt: Date.parse(NOW) - 60_000, conflistWrittenAt: Date.parse(NOW) } }));
  t.is(model.verdict, 'unhealthy');
  t.deepEqual(model.problems.map((p) => `${p.severity} ${p.code}`), ['error ignite-network-plugin', 'warning ignited-stale-cni-config']);
  t.is(model.problems[0]?.hint, 'Set `networkPlugin: cni` under spec: in /etc/ignite/config.yaml, then `systemctl restart ignited`.');
});

test('a host whose lease is of another backend than the config must join again (backend-mismatch); the PSK is shown as "(set)"', (t) => {
  const leases = [lease('10.50.11.0/24', '10.0.0.1'), lease('10.50.12.0/24', '10.0.0.2', { backendType: 'vxlan' })];
  const model = buildStatusModel(inputs({ etcd: { ok: true, version: '3.4.23', readMs: 3, config: JSON.stringify(CONFIG), configKey: '/coreos.com/network/config', leases } }));
  const problem = model.problems.find((p) => p.code === 'backend-mismatch');
  t.is(problem?.message, "10.0.0.2 (10.50.12.0/24) still runs flannel's vxlan backend; the network config says udp, and flannel ignores the other backend's hosts");
  t.regex(problem?.hint ?? '', /join <init host>` again on 10\.0\.0\.2/);
  t.is(problem?.severity, 'warning');
  t.false(model.problems.some((p) => p.code === 'backend-mismatch' && p.message.startsWith('10.0.0.1')));
  const psk = Buffer.alloc(32, 3).toString('base64');
  const wg = { ...CONFIG, Backend: { Type: 'wireguard' as const, ListenPort: 51820, PSK: psk } };
  const shown = buildStatusModel(inputs({ network: { config: wg } }));
  t.false(JSON.stringify(shown).includes(psk));
  t.like(shown.network?.Backend, { Type: 'wireguard', PSK: '(set)' });
});

test('host-gw: no TCP probe through the overlay (no address of its subnet answers before a VM runs there); the route to each host is what is checked', (t) => {
  const hg = { ...CONFIG, Backend: { Type: 'host-gw' as const } };
  const leases = [lease('10.50.11.0/24', '10.0.0.1', { backendType: 'host-gw' }), lease('10.50.12.0/24', '10.0.0.2', { backendType: 'host-gw' })];
  const model = buildStatusModel(
    inputs({
      network: { config: hg },
      etcd: { ok: true, version: '3.4.23', readMs: 3, config: JSON.stringify(hg), configKey: '/coreos.com/network/config', leases },
      probes: { [leases[0]!.key]: { overlay: { kind: 'tcp', target: '10.50.11.0', port: 2379, ok: false, reason: 'timeout', message: 'no answer' } } },
    }),
  );
  t.false(model.problems.some((p) => p.code === 'overlay-unreachable'), JSON.stringify(model.problems));
  t.like(model.hosts[0]?.overlayReach, { state: 'not-checked' });
  t.regex(model.hosts[0]?.overlayReach.note ?? '', /^host-gw: its route is checked only on a host-gw member/);
  // The route checks, as collect makes them: one routed, one through a router.
  const three = [...leases, lease('10.50.13.0/24', '10.0.0.3', { backendType: 'host-gw' })];
  const routed = buildStatusModel(
    inputs({
      network: { config: hg },
      etcd: { ok: true, version: '3.4.23', readMs: 3, config: JSON.stringify(hg), configKey: '/coreos.com/network/config', leases: three },
      probes: {
        [leases[0]!.key]: { overlay: { kind: 'route', target: '10.50.11.0', ok: true, message: "route to 10.50.11.0/24 via 10.0.0.1 on eth0: host-gw, the peer's PublicIP is the next hop" } },
        [three[2]!.key]: { overlay: { kind: 'route', target: '10.50.13.0', ok: false, message: "route to 10.50.13.0/24 via 10.0.0.254 on eth0, not via the peer's PublicIP 10.0.0.3" } },
      },
    }),
  );
  t.like(routed.hosts[0]?.overlayReach, { state: 'ok', text: 'routed', note: "route to 10.50.11.0/24 via 10.0.0.1 on eth0: host-gw, the peer's PublicIP is the next hop" });
  t.like(routed.hosts[2]?.overlayReach, { state: 'failed', text: 'not routed' });
  const problem = routed.problems.find((p) => p.code === 'overlay-unreachable');
  t.is(problem?.message, "10.0.0.3 (10.50.13.0/24): route to 10.50.13.0/24 via 10.0.0.254 on eth0, not via the peer's PublicIP 10.0.0.3", JSON.stringify(routed.problems));
  t.regex(problem?.hint ?? '', /host-gw routes each subnet via its host's PublicIP/);
});
