/** The cni-plugins step and cleanup's counterpart against fakes: ask or not, install, leave, record, remove only ours. */
import test from 'ava';
import { sha256 } from '../../src/cni/plugins.js';
import type { Prompter } from '../../src/core/prompt.js';
import { CNI_PLUGINS, DEFAULT_IMAGES } from '../../src/defaults.js';
import { removeCniPluginsStep } from '../../src/steps/cleanup-plugins.js';
import { cniPluginsStep } from '../../src/steps/cni-plugins.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

const BIN = '/opt/cni/bin';
const FLANNEL = Buffer.from('flannel plugin binary');
const HOST_PLUGINS = ['bridge', 'host-local', 'portmap', 'firewall'] as const;

function harness(argv: string[] = [], opts: { hostPackage?: boolean } = {}) {
  const host = fakeServices();
  host.docker.imageFiles.set(`${DEFAULT_IMAGES.cniPlugin} /flannel`, FLANNEL);
  if (opts.hostPackage !== false) for (const name of HOST_PLUGINS) host.cniBinaries.put(`/usr/lib/cni/${name}`, `debian ${name}`, '1.0.0');
  const run = stepHarness(['init', ...argv], { services: host.services });
  run.ctx.docker = host.docker;
  return { host, bins: host.cniBinaries, ...run };
}

/** A terminal that answers `answer` and records the questions. */
function terminal(answer: boolean): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const refuse = (): Promise<never> => Promise.reject(new Error('unexpected question'));
  return { interactive: true, asked, select: refuse, text: refuse, confirm: async (question) => (asked.push(question), answer) };
}

test('without a terminal and without --install-cni-plugins: nothing written, the warning says how', async (t) => {
  const { ctx, io, bins, warnings, undos } = harness();
  const result = await cniPluginsStep.run(ctx, io);
  t.deepEqual(bins.calls, []);
  t.deepEqual(undos, []);
  t.true(ctx.unchanged.has('cni-plugins'));
  t.is(warnings.length, 1);
  t.is(warnings[0]?.message, `CNI plugins missing from ${BIN}: flannel, portmap, firewall, bridge, host-local — every VM start will fail until they are there`);
  t.is(
    warnings[0]?.hint,
    `Pass --install-cni-plugins (or answer yes in a terminal) to install flannel (from ${DEFAULT_IMAGES.cniPlugin}:/flannel), portmap, firewall, bridge, host-local (copied from /usr/lib/cni).`,
  );
  t.is(result?.detail, 'missing: flannel, portmap, firewall, bridge, host-local');
});

test('--install-cni-plugins: flannel out of the image, the others copied, 0755, recorded, each undoable', async (t) => {
  const { host, ctx, io, bins, warnings, undos, progress } = harness(['--install-cni-plugins']);
  bins.versions.set(`${BIN}/flannel`, { ok: true, version: { cniVersion: '1.0.0', supportedVersions: ['0.1.0', '1.0.0'] } });
  const result = await cniPluginsStep.run(ctx, io);
  t.deepEqual(host.docker.calls, [`pullImage ${DEFAULT_IMAGES.cniPlugin}`, `readImageFile ${DEFAULT_IMAGES.cniPlugin} /flannel`]);
  t.true(progress.includes(`pulling ${DEFAULT_IMAGES.cniPlugin}`) || progress.includes(`checking ${DEFAULT_IMAGES.cniPlugin}`));
  t.deepEqual(bins.files.get(`${BIN}/flannel`), { content: FLANNEL, mode: 0o755 });
  for (const name of HOST_PLUGINS) t.is(bins.read(`${BIN}/${name}`), `debian ${name}`);
  t.deepEqual(ctx.cniPlugins, [
    { path: `${BIN}/flannel`, sha256: sha256(FLANNEL), source: `${DEFAULT_IMAGES.cniPlugin}:/flannel` },
    ...['portmap', 'firewall', 'bridge', 'host-local'].map((name) => ({ path: `${BIN}/${name}`, sha256: sha256(Buffer.from(`debian ${name}`)), source: `/usr/lib/cni/${name}` })),
  ]);
  t.false(ctx.unchanged.has('cni-plugins'));
  // The copies are new files: they answer no VERSION in the fake, so each is named.
  t.deepEqual(warnings.map((w) => w.message.replace(/ plugin just.*/, '')), ['the portmap', 'the firewall', 'the bridge', 'the host-local']);
  t.is(result?.detail, 'installed flannel (CNI 1.0.0), portmap, firewall, bridge, host-local (version unknown)');
  t.deepEqual(undos.map((u) => u.title), CNI_PLUGINS.map((name) => `remove ${BIN}/${name}`));
  for (const undo of undos) await undo.run();
  t.deepEqual([...bins.files.keys()].filter((p) => p.startsWith(BIN)), []);
});

test('on a terminal it asks first; no keeps the host as it was', async (t) => {
  const { ctx, io, bins, warnings } = harness();
  const prompter = terminal(false);
  io.prompter = prompter;
  await cniPluginsStep.run(ctx, io);
  t.is(prompter.asked.length, 1);
  t.regex(prompter.asked[0] ?? '', /^Install the CNI plugins VMs need into \/opt\/cni\/bin: flannel \(from .*:\/flannel\), portmap, firewall, bridge, host-local \(copied from \/usr\/lib\/cni\)\?$/);
  t.deepEqual(bins.calls, []);
  t.is(warnings.length, 1);
});

test('on a terminal, yes installs; --yes installs without asking', async (t) => {
  const asked = harness();
  const prompter = terminal(true);
  asked.io.prompter = prompter;
  await cniPluginsStep.run(asked.ctx, asked.io);
  t.is(asked.ctx.cniPlugins?.length, 5);

  const yes = harness(['--yes']);
  const silent = terminal(false);
  yes.io.prompter = silent;
  await cniPluginsStep.run(yes.ctx, yes.io);
  t.deepEqual(silent.asked, []);
  t.is(yes.ctx.cniPlugins?.length, 5);
});

test('without the host package: flannel installed, the rest named with the install command', async (t) => {
  const { host, ctx, io, warnings } = harness(['--install-cni-plugins'], { hostPackage: false });
  host.files.put('/etc/os-release', 'ID=debian\n');
  const result = await cniPluginsStep.run(ctx, io);
  t.deepEqual(ctx.cniPlugins?.map((r) => r.path), [`${BIN}/flannel`]);
  const missing = warnings.find((w) => w.message.startsWith('CNI plugins missing'));
  t.is(missing?.message, `CNI plugins missing from ${BIN}: portmap, firewall, bridge, host-local — every VM start will fail until they are there`);
  t.is(missing?.hint, 'portmap, firewall, bridge, host-local: install the CNI plugins package (`apt-get install containernetworking-plugins`), then run `ignite-net init --install-cni-plugins` again to copy them in.');
  t.regex(result?.detail ?? '', /missing: portmap, firewall, bridge, host-local$/);
});

test("a plugin that is there, not ours: left alone and reported with its version; --force replaces it and keeps it aside", async (t) => {
  const first = harness(['--install-cni-plugins']);
  first.bins.put(`${BIN}/flannel`, 'someone else\'s flannel', '0.4.0');
  await cniPluginsStep.run(first.ctx, first.io);
  t.is(first.bins.read(`${BIN}/flannel`), "someone else's flannel");
  t.false(first.host.docker.calls.some((c) => c.startsWith('readImageFile')), 'the image is not even read');
  t.true(first.progress.includes(`${BIN}/flannel is not ignite-net's (CNI 0.4.0 (0.4.0–0.4.0)): left as it is (--force replaces it)`));
  t.false(first.ctx.cniPlugins?.some((r) => r.path.endsWith('/flannel')));

  const forced = harness(['--install-cni-plugins', '--force']);
  forced.bins.put(`${BIN}/flannel`, 'someone else\'s flannel', '0.4.0');
  await cniPluginsStep.run(forced.ctx, forced.io);
  t.deepEqual(forced.bins.files.get(`${BIN}/flannel`)?.content, FLANNEL);
  t.is(forced.bins.read(`${BIN}/.flannel.ignite-net-replaced`), "someone else's flannel");
  t.like(forced.ctx.cniPlugins?.[0], { path: `${BIN}/flannel`, backup: `${BIN}/.flannel.ignite-net-replaced` });
  await forced.undos[0]?.run();
  t.is(forced.bins.read(`${BIN}/flannel`), "someone else's flannel");
  t.is(forced.bins.read(`${BIN}/.flannel.ignite-net-replaced`), undefined);
});

test("the host package's plugins are read only where the plan compares them: not on a bin dir without plugins, nor on ours unchanged", async (t) => {
  const fromPackage = (paths: string[]) => paths.filter((p) => p.startsWith('/usr/lib/cni/'));
  const empty = harness();
  await cniPluginsStep.run(empty.ctx, empty.io);
  t.deepEqual(fromPackage(empty.bins.hashed), []);
  t.regex(empty.warnings[0]?.hint ?? '', /copied from \/usr\/lib\/cni/, 'still offered as the source');

  const first = harness(['--install-cni-plugins']);
  await cniPluginsStep.run(first.ctx, first.io);
  t.deepEqual(fromPackage(first.bins.hashed), [], 'an install hashes what it wrote');
  t.is(first.ctx.cniPlugins?.find((r) => r.path === `${BIN}/bridge`)?.sha256, sha256(Buffer.from('debian bridge')));
  const again = harness();
  for (const [path, file] of first.bins.files) again.bins.files.set(path, file);
  again.ctx.state = { ...stateWith(first.ctx.cniPlugins ?? []) };
  await cniPluginsStep.run(again.ctx, again.io);
  t.deepEqual(fromPackage(again.bins.hashed), []);

  // Someone else's bridge, identical to the package's: compared, so it is named the package's copy, not a stranger.
  const theirs = harness();
  theirs.bins.put(`${BIN}/bridge`, 'debian bridge', '1.0.0');
  await cniPluginsStep.run(theirs.ctx, theirs.io);
  t.deepEqual(fromPackage(theirs.bins.hashed), ['/usr/lib/cni/bridge']);
  t.false(theirs.progress.some((p) => p.startsWith(`${BIN}/bridge is not ignite-net's`)));
});

test('run again: what ignite-net installed is recognised, nothing written, records kept', async (t) => {
  const first = harness(['--install-cni-plugins']);
  await cniPluginsStep.run(first.ctx, first.io);
  const again = harness(['--install-cni-plugins']);
  for (const [path, file] of first.bins.files) again.bins.files.set(path, file);
  again.bins.versions.set(`${BIN}/portmap`, { ok: true, version: { cniVersion: '1.0.0', supportedVersions: [] } });
  again.ctx.state = { ...stateWith(first.ctx.cniPlugins ?? []) };
  const result = await cniPluginsStep.run(again.ctx, again.io);
  t.deepEqual(again.bins.calls, []);
  t.deepEqual(again.host.docker.calls, []);
  t.true(again.ctx.unchanged.has('cni-plugins'));
  t.deepEqual(again.ctx.cniPlugins, first.ctx.cniPlugins);
  t.is(result?.detail, "present: flannel (ignite-net's, version unknown), portmap (ignite-net's, CNI 1.0.0), firewall, bridge, host-local (ignite-net's, version unknown)");
});

test('present plugins are asked their VERSION side by side, and reported in plan order whatever order the answers come in', async (t) => {
  const first = harness(['--install-cni-plugins']);
  await cniPluginsStep.run(first.ctx, first.io);
  const again = harness(['--install-cni-plugins']);
  for (const [path, file] of first.bins.files) again.bins.files.set(path, file);
  again.ctx.state = { ...stateWith(first.ctx.cniPlugins ?? []) };
  // The first plugin answers last: a serial loop would wait for it before asking the next.
  let asking = 0;
  let mostAtOnce = 0;
  const order = [...CNI_PLUGINS];
  again.bins.pluginVersion = async (path: string) => {
    asking += 1;
    mostAtOnce = Math.max(mostAtOnce, asking);
    await new Promise((resolve) => setTimeout(resolve, 5 * (order.length - order.indexOf(path.slice(BIN.length + 1) as (typeof order)[number]))));
    asking -= 1;
    return { ok: true, version: { cniVersion: `1.0.${order.indexOf(path.slice(BIN.length + 1) as (typeof order)[number])}`, supportedVersions: [] } };
  };
  const result = await cniPluginsStep.run(again.ctx, again.io);
  t.is(mostAtOnce, CNI_PLUGINS.length);
  t.is(result?.detail, `present: ${order.map((name, i) => `${name} (ignite-net's, CNI 1.0.${i})`).join(', ')}`);
});

test('cleanup removes exactly the recorded files still unchanged, puts back what --force replaced, never another plugin', async (t) => {
  const { ctx, io, bins, warnings } = harness(['--install-cni-plugins']);
  bins.put(`${BIN}/portmap`, 'the operator\'s portmap');
  bins.put(`${BIN}/bridge`, 'edited later');
  bins.put(`${BIN}/flannel`, FLANNEL);
  bins.put(`${BIN}/.flannel.ignite-net-replaced`, 'the old flannel');
  bins.put(`${BIN}/host-local`, 'ours');
  ctx.state = stateWith([
    { path: `${BIN}/flannel`, sha256: sha256(FLANNEL), source: 'img:/flannel', backup: `${BIN}/.flannel.ignite-net-replaced` },
    { path: `${BIN}/bridge`, sha256: sha256(Buffer.from('debian bridge')), source: '/usr/lib/cni/bridge' },
    { path: `${BIN}/host-local`, sha256: sha256(Buffer.from('ours')), source: '/usr/lib/cni/host-local' },
    { path: `${BIN}/firewall`, sha256: 'gone', source: '/usr/lib/cni/firewall' },
  ]);
  const result = await removeCniPluginsStep.run(ctx, io);
  t.is(bins.read(`${BIN}/flannel`), 'the old flannel');
  t.is(bins.read(`${BIN}/host-local`), undefined);
  t.is(bins.read(`${BIN}/bridge`), 'edited later');
  t.is(bins.read(`${BIN}/portmap`), "the operator's portmap");
  t.deepEqual(ctx.removed, [`${BIN}/flannel`, `${BIN}/host-local`]);
  t.deepEqual(ctx.left, [`${BIN}/bridge (changed since ignite-net installed it): remove it by hand if it is not wanted`]);
  t.is(warnings.length, 1);
  t.is(result?.detail, `removed ${BIN}/host-local; put back the plugin --force replaced at ${BIN}/flannel`);
});

test('cleanup without records (an old state file, or none) touches no plugin', async (t) => {
  const { ctx, io, bins } = harness();
  bins.put(`${BIN}/flannel`, FLANNEL);
  ctx.state = stateWith(undefined);
  const result = await removeCniPluginsStep.run(ctx, io);
  t.deepEqual(bins.calls, []);
  t.is(result?.detail, 'none installed by ignite-net');
});

function stateWith(cniPlugins: NonNullable<import('../../src/adapters/state.js').HostState['cniPlugins']> | undefined): import('../../src/adapters/state.js').HostState {
  return {
    version: 1,
    role: 'init',
    etcdEndpoint: 'http://192.0.2.10:2379',
    advertiseAddress: '192.0.2.10',
    images: { flannel: 'f' },
    network: { Network: '10.50.0.0/16', SubnetLen: 24, SubnetMin: '10.50.10.0', SubnetMax: '10.50.99.0', Backend: { Type: 'udp', Port: 8285 } },
    paths: { cniConfDir: '/etc/cni/net.d', cniBinDir: BIN, runDir: '/run/flannel' },
    movedAside: {},
    ...(cniPlugins ? { cniPlugins } : {}),
    toolVersion: '0',
    createdAt: 'then',
    updatedAt: 'then',
  };
}

test('the flannel plugin cannot be had from its image: the step fails before writing anything', async (t) => {
  const { host, ctx, io, bins, undos } = harness(['--install-cni-plugins', '--cni-plugin-image', 'example/no-plugin:1']);
  const error = await t.throwsAsync(cniPluginsStep.run(ctx, io));
  t.regex(error?.message ?? '', /example\/no-plugin:1 has no \/flannel/);
  t.true(host.docker.calls.includes('readImageFile example/no-plugin:1 /flannel'));
  t.deepEqual(bins.calls, []);
  t.deepEqual(undos, []);
});
