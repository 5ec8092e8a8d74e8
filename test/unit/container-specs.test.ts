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
