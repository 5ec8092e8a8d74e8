/** The pure CNI plugin planner: what to install from where, what to leave, which records still hold. */
import test from 'ava';
import { backupPath, formatVersion, needsSourceHash, packageInstallCommand, parseVersionAnswer, planPlugins, type InstalledPlugin, type PluginFacts } from '../../src/cni/plugins.js';
import { CNI_PLUGINS, type CniPluginName } from '../../src/defaults.js';

const BIN = '/opt/cni/bin';
const IMAGE = { image: 'ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3', file: '/flannel' };

function facts(over: { bin?: Partial<Record<CniPluginName, string>>; host?: Partial<Record<CniPluginName, string>>; recorded?: InstalledPlugin[]; extra?: Record<string, string>; force?: boolean }): PluginFacts {
  const hashes = new Map<string, string | undefined>();
  for (const name of CNI_PLUGINS) hashes.set(`${BIN}/${name}`, over.bin?.[name]);
  for (const [path, hash] of Object.entries(over.extra ?? {})) hashes.set(path, hash);
  for (const record of over.recorded ?? []) if (!hashes.has(record.path)) hashes.set(record.path, undefined);
  const hostPlugins = new Map(Object.entries(over.host ?? {}).map(([name, sha256]) => [name as CniPluginName, { path: `/usr/lib/cni/${name}`, sha256 }]));
  return { binDir: BIN, plugins: CNI_PLUGINS, hashes, hostPlugins, recorded: over.recorded ?? [], image: IMAGE, force: over.force ?? false };
}

const kinds = (plan: ReturnType<typeof planPlugins>): Record<string, string> =>
  Object.fromEntries(plan.actions.map((a) => [a.name, a.kind === 'install' ? `install from ${a.source.kind}${a.replaces ? `, replacing ${a.replaces}` : ''}` : a.kind === 'present' ? `present${a.ours ? ' ours' : ''}` : a.kind]));

const ALL_HOST = { bridge: 'b1', 'host-local': 'h1', portmap: 'p1', firewall: 'f1' } as const;

test('an empty bin dir: flannel from the image, the rest from the host package', (t) => {
  const plan = planPlugins(facts({ host: ALL_HOST }));
  t.deepEqual(kinds(plan), { flannel: 'install from image', portmap: 'install from host', firewall: 'install from host', bridge: 'install from host', 'host-local': 'install from host' });
  const bridge = plan.actions.find((a) => a.name === 'bridge');
  t.deepEqual(bridge, { kind: 'install', name: 'bridge', path: '/opt/cni/bin/bridge', source: { kind: 'host', path: '/usr/lib/cni/bridge', sha256: 'b1' } });
  t.deepEqual(plan.actions[0], { kind: 'install', name: 'flannel', path: '/opt/cni/bin/flannel', source: { kind: 'image', ...IMAGE } });
});

test('no host package: the others are unavailable, flannel still comes from the image', (t) => {
  t.deepEqual(kinds(planPlugins(facts({ host: { bridge: 'b1' } }))), { flannel: 'install from image', portmap: 'unavailable', firewall: 'unavailable', bridge: 'install from host', 'host-local': 'unavailable' });
});

test("a plugin that is there is left alone, whoever's it is, without --force", (t) => {
  const recorded = [{ path: `${BIN}/flannel`, sha256: 'ours', source: 'img:/flannel' }];
  const plan = planPlugins(facts({ bin: { flannel: 'ours', bridge: 'theirs', portmap: 'p1' }, host: ALL_HOST, recorded }));
  t.like(kinds(plan), { flannel: 'present ours', bridge: 'present', portmap: 'present' });
  t.like(plan.actions.find((a) => a.name === 'portmap'), { same: '/usr/lib/cni/portmap' });
  t.deepEqual(plan.keep, recorded);
  t.deepEqual(plan.dropped, []);
});

test('--force replaces: ours rewritten (keeping what it once replaced), theirs kept aside; one identical to the package stays', (t) => {
  const recorded = [{ path: `${BIN}/flannel`, sha256: 'ours', source: 'img:/flannel', backup: `${BIN}/.flannel.ignite-net-replaced` }];
  const plan = planPlugins(facts({ bin: { flannel: 'ours', bridge: 'theirs', portmap: 'p1' }, host: ALL_HOST, recorded, force: true }));
  t.like(kinds(plan), { flannel: 'install from image, replacing ours', bridge: 'install from host, replacing foreign', portmap: 'present' });
  t.like(plan.actions.find((a) => a.name === 'flannel'), { backup: `${BIN}/.flannel.ignite-net-replaced` });
  t.like(plan.actions.find((a) => a.name === 'bridge'), { backup: backupPath(`${BIN}/bridge`) });
  t.is(backupPath(`${BIN}/bridge`), `${BIN}/.bridge.ignite-net-replaced`);
  t.deepEqual(plan.keep, [], 'the replaced record gives way to the new one');
});

test('--force without a source leaves the plugin', (t) => {
  t.like(kinds(planPlugins(facts({ bin: { bridge: 'theirs' }, force: true }))), { bridge: 'present' });
});

test('records: kept while the file is unchanged (in another dir too), dropped when changed or gone', (t) => {
  const recorded: InstalledPlugin[] = [
    { path: `${BIN}/flannel`, sha256: 'ours', source: 'img:/flannel' },
    { path: `${BIN}/bridge`, sha256: 'b1', source: '/usr/lib/cni/bridge' },
    { path: `${BIN}/portmap`, sha256: 'p1', source: '/usr/lib/cni/portmap' },
    { path: '/old/bin/firewall', sha256: 'f1', source: '/usr/lib/cni/firewall' },
  ];
  const plan = planPlugins(facts({ bin: { flannel: 'ours', bridge: 'edited' }, host: ALL_HOST, recorded, extra: { '/old/bin/firewall': 'f1' } }));
  t.deepEqual(plan.keep.map((r) => r.path), [`${BIN}/flannel`, '/old/bin/firewall']);
  t.deepEqual(plan.dropped.map((d) => [d.record.path, d.why]), [[`${BIN}/bridge`, 'changed'], [`${BIN}/portmap`, 'gone']]);
  t.like(kinds(plan), { bridge: 'present', portmap: 'install from host' });
});

test('the install command follows /etc/os-release', (t) => {
  t.is(packageInstallCommand('ID=debian\nVERSION_ID="12"\n'), 'apt-get install containernetworking-plugins');
  t.is(packageInstallCommand('ID=ubuntu\nID_LIKE=debian\n'), 'apt-get install containernetworking-plugins');
  t.is(packageInstallCommand('ID="rocky"\nID_LIKE="rhel centos fedora"\n'), 'dnf install containernetworking-plugins');
  t.is(packageInstallCommand('ID=arch\n'), 'pacman -S cni-plugins');
  t.is(packageInstallCommand(undefined), 'apt-get install containernetworking-plugins');
});

test("a plugin's VERSION answer", (t) => {
  const version = parseVersionAnswer('{"cniVersion":"1.0.0","supportedVersions":["0.1.0","0.2.0","1.0.0"]}\n');
  t.deepEqual(version, { cniVersion: '1.0.0', supportedVersions: ['0.1.0', '0.2.0', '1.0.0'] });
  t.is(version && formatVersion(version), 'CNI 1.0.0 (0.1.0–1.0.0)');
  t.is(formatVersion({ cniVersion: '0.4.0', supportedVersions: [] }), 'CNI 0.4.0');
  t.is(parseVersionAnswer(''), undefined);
  t.is(parseVersionAnswer('{"code":4,"msg":"bad"}'), undefined);
  t.is(parseVersionAnswer('CNI bridge plugin v1.1.1'), undefined);
});

test("a package's copy is worth hashing only to compare it with a plugin in the bin dir that is not our unchanged install, or under --force", (t) => {
  const hashes = new Map<string, string | undefined>([['/b/ours', 'h1'], ['/b/changed', 'h2'], ['/b/theirs', 'h3'], ['/b/absent', undefined]]);
  const recorded: InstalledPlugin[] = [
    { path: '/b/ours', sha256: 'h1', source: 'x' },
    { path: '/b/changed', sha256: 'old', source: 'x' },
  ];
  t.false(needsSourceHash('/b/absent', hashes, recorded, false), 'to be installed: hashed from what is written');
  t.false(needsSourceHash('/b/absent', hashes, recorded, true));
  t.false(needsSourceHash('/b/ours', hashes, recorded, false));
  t.true(needsSourceHash('/b/ours', hashes, recorded, true), '--force: an identical package copy is not rewritten');
  t.true(needsSourceHash('/b/changed', hashes, recorded, false));
  t.true(needsSourceHash('/b/theirs', hashes, recorded, false));
});
