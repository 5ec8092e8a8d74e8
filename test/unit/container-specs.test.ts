import test from 'ava';
import {
  etcdSpec,
  flannelSpec,
  managedLabels,
  specDifferences,
  specMatches,
} from '../../src/adapters/container-specs.js';
import { LABELS } from '../../src/defaults.js';

const etcdInput = { image: 'gcr.io/etcd-development/etcd:v3.6.16', advertiseAddress: '192.0.2.10', volume: 'ignite-etcd-data' };

function flagValue(cmd: string[], flag: string): string | undefined {
  const i = cmd.indexOf(flag);
  return i === -1 ? undefined : cmd[i + 1];
}

test('etcd: name, binary, URLs on the advertise address, listening on all IPv4 addresses', (t) => {
  const spec = etcdSpec(etcdInput);
  t.is(spec.name, 'ignite-etcd');
  t.is(spec.Image, etcdInput.image);
  t.is(spec.Entrypoint, undefined);
  const cmd = spec.Cmd ?? [];
  t.is(cmd[0], '/usr/local/bin/etcd');
  t.is(flagValue(cmd, '--name'), 's1');
  t.is(flagValue(cmd, '--data-dir'), '/var/lib/etcd');
  t.is(flagValue(cmd, '--listen-client-urls'), 'http://0.0.0.0:2379');
  t.is(flagValue(cmd, '--advertise-client-urls'), 'http://192.0.2.10:2379');
  t.is(flagValue(cmd, '--listen-peer-urls'), 'http://0.0.0.0:2380');
  t.is(flagValue(cmd, '--initial-advertise-peer-urls'), 'http://192.0.2.10:2380');
  t.is(flagValue(cmd, '--initial-cluster'), 's1=http://192.0.2.10:2380');
  t.is(flagValue(cmd, '--initial-cluster-state'), 'new');
});

test('etcd: host network, data in the named volume, unless-stopped, our labels', (t) => {
  const spec = etcdSpec({ ...etcdInput, name: 'other-etcd', version: '9.9.9' });
  t.is(spec.name, 'other-etcd');
  t.is(spec.HostConfig?.NetworkMode, 'host');
  t.deepEqual(spec.HostConfig?.Binds, ['ignite-etcd-data:/var/lib/etcd']);
  t.deepEqual(spec.HostConfig?.RestartPolicy, { Name: 'unless-stopped', MaximumRetryCount: 0 });
  t.deepEqual(spec.Labels, { [LABELS.managed]: 'true', [LABELS.role]: 'etcd', [LABELS.version]: '9.9.9' });
  t.is(spec.HostConfig?.PortBindings, undefined);
});

test('etcd: the version label defaults to the package version', (t) => {
  const version = etcdSpec(etcdInput).Labels?.[LABELS.version];
  t.regex(version ?? '', /^\d+\.\d+\.\d+/);
});

test('etcd: IPv6 advertise address is bracketed and listeners take both families', (t) => {
  const cmd = etcdSpec({ ...etcdInput, advertiseAddress: 'fd00::a' }).Cmd ?? [];
  t.is(flagValue(cmd, '--advertise-client-urls'), 'http://[fd00::a]:2379');
  t.is(flagValue(cmd, '--initial-cluster'), 's1=http://[fd00::a]:2380');
  t.is(flagValue(cmd, '--listen-client-urls'), 'http://[::]:2379');
  t.is(flagValue(cmd, '--listen-peer-urls'), 'http://[::]:2380');
});

const flannelInput = {
  image: 'ghcr.io/flannel-io/flannel:v0.28.9',
  etcdEndpoints: ['http://192.0.2.10:2379'],
  advertiseAddress: '192.0.2.11',
};

test('flannel: keeps the image entrypoint, flags pin interface and public IP', (t) => {
  const spec = flannelSpec(flannelInput);
  t.is(spec.name, 'ignite-flannel');
  t.is(spec.Entrypoint, undefined);
  t.deepEqual(spec.Cmd, [
    '--ip-masq',
    '--etcd-endpoints=http://192.0.2.10:2379',
    '--etcd-prefix=/coreos.com/network',
    '--iface=192.0.2.11',
    '--public-ip=192.0.2.11',
  ]);
});

test('flannel: host network, capabilities, tun device, run dir, restart policy, labels', (t) => {
  const spec = flannelSpec({ ...flannelInput, runDir: '/tmp/x/run-flannel', version: '1.2.3' });
  const host = spec.HostConfig;
  t.is(host?.NetworkMode, 'host');
  t.deepEqual(host?.CapAdd, ['NET_ADMIN', 'NET_RAW']);
  t.deepEqual(host?.Devices, [{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }]);
  t.deepEqual(host?.Binds, ['/tmp/x/run-flannel:/run/flannel']);
  t.is(host?.RestartPolicy?.Name, 'unless-stopped');
  t.is(host?.Privileged, undefined);
  t.deepEqual(spec.Labels, managedLabels('flannel', '1.2.3'));
});

test('flannel: default run dir, several endpoints', (t) => {
  const spec = flannelSpec({
    ...flannelInput,
    etcdEndpoints: ['http://192.0.2.10:2379', 'http://192.0.2.12:2379'],
  });
  t.deepEqual(spec.HostConfig?.Binds, ['/run/flannel:/run/flannel']);
  const cmd = spec.Cmd ?? [];
  t.true(cmd.includes('--etcd-endpoints=http://192.0.2.10:2379,http://192.0.2.12:2379'));
});

test('flannel: an IPv6 advertise address selects the interface but sets no IPv4 public IP', (t) => {
  const cmd = flannelSpec({ ...flannelInput, advertiseAddress: 'fd00::b', etcdEndpoints: 'http://[fd00::a]:2379' }).Cmd ?? [];
  t.true(cmd.includes('--iface=fd00::b'));
  t.false(cmd.some((c) => c.startsWith('--public-ip')));
  t.true(cmd.includes('--etcd-endpoints=http://[fd00::a]:2379'));
});

test('specMatches: same image, command and binds (any order) match', (t) => {
  const spec = flannelSpec(flannelInput);
  const existing = { image: flannelInput.image, cmd: [...(spec.Cmd ?? [])], binds: ['/run/flannel:/run/flannel'] };
  t.true(specMatches(spec, existing));
  t.deepEqual(specDifferences(spec, existing), []);
  const two = { ...spec, HostConfig: { ...spec.HostConfig, Binds: ['a:/a', 'b:/b'] } };
  t.true(specMatches(two, { ...existing, binds: ['b:/b', 'a:/a'] }));
});

test('specMatches: image, command or binds differing are reported', (t) => {
  const spec = etcdSpec(etcdInput);
  const base = { image: etcdInput.image, cmd: [...(spec.Cmd ?? [])], binds: ['ignite-etcd-data:/var/lib/etcd'] };
  t.true(specMatches(spec, base));

  const otherImage = specDifferences(spec, { ...base, image: 'quay.io/coreos/etcd:v3.5.0' });
  t.is(otherImage.length, 1);
  t.regex(otherImage[0] ?? '', /^image quay\.io\/coreos\/etcd:v3\.5\.0 \(wanted gcr\.io/);

  const otherAddress = etcdSpec({ ...etcdInput, advertiseAddress: '192.0.2.99' });
  t.false(specMatches(otherAddress, base));
  t.regex(specDifferences(otherAddress, base)[0] ?? '', /^command /);

  t.regex(specDifferences(spec, { ...base, binds: [] })[0] ?? '', /^mounts none \(wanted ignite-etcd-data/);
  t.is(specDifferences(spec, { image: 'x', cmd: [], binds: [] }).length, 3);
});

// ------------------------------------------------------------------------------------ secure (TLS)

const etcdTls = { ...etcdInput, tls: { hostDir: '/var/lib/ignite-net/etcd-tls' } };

test('etcd with tls: https URLs, member certificate for clients and peers, peers checked against the CA', (t) => {
  const spec = etcdSpec(etcdTls);
  t.is(spec.Entrypoint, undefined);
  t.deepEqual(spec.Cmd, [
    '/usr/local/bin/etcd',
    '--name', 's1',
    '--data-dir', '/var/lib/etcd',
    '--listen-client-urls', 'https://0.0.0.0:2379',
    '--advertise-client-urls', 'https://192.0.2.10:2379',
    '--listen-peer-urls', 'https://0.0.0.0:2380',
    '--initial-advertise-peer-urls', 'https://192.0.2.10:2380',
    '--initial-cluster', 's1=https://192.0.2.10:2380',
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', 'ignite-net',
    '--cert-file', '/etc/ignite-net/etcd/member.pem',
    '--key-file', '/etc/ignite-net/etcd/member-key.pem',
    '--peer-cert-file', '/etc/ignite-net/etcd/member.pem',
    '--peer-key-file', '/etc/ignite-net/etcd/member-key.pem',
    '--peer-trusted-ca-file', '/etc/ignite-net/etcd/ca.pem',
    '--peer-client-cert-auth',
    '--bcrypt-cost', '4',
  ]);
});

test('etcd with tls: clients are not asked for certificates (password auth, docs/security.md)', (t) => {
  const cmd = etcdSpec(etcdTls).Cmd ?? [];
  t.false(cmd.includes('--trusted-ca-file'));
  t.false(cmd.includes('--client-cert-auth'));
  t.false(cmd.some((arg) => arg.startsWith('http://')));
});

test('etcd with tls: the TLS dir is mounted read-only beside the data volume', (t) => {
  t.deepEqual(etcdSpec(etcdTls).HostConfig?.Binds, ['ignite-etcd-data:/var/lib/etcd', '/var/lib/ignite-net/etcd-tls:/etc/ignite-net/etcd:ro']);
});

test('etcd with tls and an IPv6 advertise address: https, bracketed, [::] listeners', (t) => {
  const cmd = etcdSpec({ ...etcdTls, advertiseAddress: 'fd00::a' }).Cmd ?? [];
  t.is(flagValue(cmd, '--listen-client-urls'), 'https://[::]:2379');
  t.is(flagValue(cmd, '--advertise-client-urls'), 'https://[fd00::a]:2379');
  t.is(flagValue(cmd, '--initial-cluster'), 's1=https://[fd00::a]:2380');
});

const SECRET = 's3cret-Pa55word';
const flannelSecure = {
  ...flannelInput,
  etcdEndpoints: ['https://192.0.2.10:2379'],
  secure: { hostDir: '/var/lib/ignite-net/flannel-tls', username: 'ignite-host-abc123' },
};

test('flannel secure: TLS flags from the mounted dir, user name on the command line, https endpoints', (t) => {
  const spec = flannelSpec(flannelSecure);
  t.deepEqual(spec.Cmd, [
    '--ip-masq',
    '--etcd-endpoints=https://192.0.2.10:2379',
    '--etcd-prefix=/coreos.com/network',
    '--etcd-cafile=/etc/ignite-net/flannel/ca.pem',
    '--etcd-certfile=/etc/ignite-net/flannel/client.pem',
    '--etcd-keyfile=/etc/ignite-net/flannel/client-key.pem',
    '--etcd-username=ignite-host-abc123',
    '--iface=192.0.2.11',
    '--public-ip=192.0.2.11',
  ]);
  t.deepEqual(spec.HostConfig?.Binds, ['/run/flannel:/run/flannel', '/var/lib/ignite-net/flannel-tls:/etc/ignite-net/flannel:ro']);
});

test('flannel secure: a shell entrypoint reads the password file into FLANNELD_ETCD_PASSWORD and execs flanneld with the flags', (t) => {
  const spec = flannelSpec(flannelSecure);
  t.deepEqual(spec.Entrypoint, [
    '/bin/sh',
    '-c',
    'FLANNELD_ETCD_PASSWORD="$(cat /etc/ignite-net/flannel/etcd-password)" && export FLANNELD_ETCD_PASSWORD && exec /opt/bin/flanneld "$@"',
    'flanneld',
  ]);
  // No password flag: flanneld takes it from the environment the script sets.
  t.false((spec.Cmd ?? []).some((arg) => arg.startsWith('--etcd-password')));
  t.is(spec.Env, undefined);
  const everything = JSON.stringify(spec);
  t.false(everything.includes(SECRET));
  t.false(everything.includes('etcd-password='));
});

test('flannel without secure keeps no TLS flag, no extra mount, no entrypoint', (t) => {
  const spec = flannelSpec(flannelInput);
  t.is(spec.Entrypoint, undefined);
  t.false((spec.Cmd ?? []).some((arg) => /^--etcd-(cafile|certfile|keyfile|username|password)/.test(arg)));
  t.deepEqual(spec.HostConfig?.Binds, ['/run/flannel:/run/flannel']);
});

test('specMatches: the entrypoint decides too, secure and insecure never match each other', (t) => {
  const secure = flannelSpec(flannelSecure);
  const created = { image: flannelInput.image, cmd: [...(secure.Cmd ?? [])], binds: [...(secure.HostConfig?.Binds ?? [])], entrypoint: [...((secure.Entrypoint as string[]) ?? [])] };
  t.true(specMatches(secure, created));
  // The same flags and mounts, but the image's entrypoint (no password read): not ours.
  const imageEntrypoint = specDifferences(secure, { ...created, entrypoint: ['/opt/bin/flanneld'] });
  t.is(imageEntrypoint.length, 1);
  t.regex(imageEntrypoint[0] ?? '', /^entrypoint \/opt\/bin\/flanneld \(wanted \/bin\/sh -c /);

  // An insecure spec with the secure container's flags and mounts still differs by its entrypoint.
  const insecure = flannelSpec(flannelInput);
  const sameFlags = { ...insecure, Cmd: secure.Cmd, HostConfig: { ...insecure.HostConfig, Binds: secure.HostConfig?.Binds } };
  t.deepEqual(specDifferences(sameFlags, created), [
    `entrypoint ${created.entrypoint.join(' ')} (wanted the image's own)`,
  ]);
  t.false(specMatches(insecure, created));
  t.false(specMatches(secure, { image: flannelInput.image, cmd: [...(insecure.Cmd ?? [])], binds: ['/run/flannel:/run/flannel'], entrypoint: ['/opt/bin/flanneld'] }));

  // A container created without an entrypoint reports the image's: the insecure spec matches it.
  const plain = { image: flannelInput.image, cmd: [...(insecure.Cmd ?? [])], binds: ['/run/flannel:/run/flannel'] };
  t.true(specMatches(insecure, { ...plain, entrypoint: ['/opt/bin/flanneld'] }));
  t.true(specMatches(insecure, { ...plain, entrypoint: [] }));
});

test('specMatches: etcd with and without tls differ by command and mounts', (t) => {
  const tls = etcdSpec(etcdTls);
  const plain = etcdSpec(etcdInput);
  const created = { image: etcdInput.image, cmd: [...(plain.Cmd ?? [])], binds: [...(plain.HostConfig?.Binds ?? [])], entrypoint: [] };
  t.true(specMatches(plain, created));
  const differences = specDifferences(tls, created);
  t.is(differences.length, 2);
  t.regex(differences[0] ?? '', /^command /);
  t.regex(differences[1] ?? '', /^mounts /);
});
