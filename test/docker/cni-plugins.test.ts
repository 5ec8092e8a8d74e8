/**
 * The cni-plugins step and cleanup's counterpart with the real adapters: the flannel plugin copied
 * out of a locally built image with the upstream layout (TEST_CNI_PLUGIN_IMAGE: /flannel, no
 * entrypoint) through the real Docker Engine at /var/run/docker.sock, the others copied from Debian's
 * containernetworking-plugins (/usr/lib/cni, installed by scripts/test-setup.sh), VERSION asked of the
 * real binaries, the records through the real state file. Everything lives in a temp dir; the only
 * container made (by readImageFile) is gone afterwards.
 */
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import Dockerode from 'dockerode';
import { hostServices } from '../../src/adapters/services.js';
import { readState, writeState, type HostState } from '../../src/adapters/state.js';
import { LABELS } from '../../src/defaults.js';
import { removeCniPluginsStep } from '../../src/steps/cleanup-plugins.js';
import { cniPluginsStep } from '../../src/steps/cni-plugins.js';
import type { CommandContext } from '../../src/steps/context.js';
import { ensureTestImages, TEST_CNI_PLUGIN_IMAGE, TEST_CNI_PLUGIN_SCRIPT } from '../_helpers/images.js';
import { stepHarness } from '../_helpers/step-harness.js';

const HOST_PLUGINS = ['portmap', 'firewall', 'bridge', 'host-local'];
const FOREIGN_FLANNEL = '#!/bin/sh\necho \'{"cniVersion":"0.4.0","supportedVersions":["0.3.1","0.4.0"]}\'\n';

let root: string;

test.before(async () => {
  await ensureTestImages();
  root = await mkdtemp(join(tmpdir(), 'ignite-net-cni-plugins-'));
});
test.after.always(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** init's context with the real services, pointed at `dir`'s bin and state dirs and the test image. */
async function run(dir: string, extra: string[] = [], state?: HostState) {
  const argv = ['init', '--cni-bin-dir', join(dir, 'bin'), '--state-dir', join(dir, 'state'), '--cni-plugin-image', TEST_CNI_PLUGIN_IMAGE, '--pull', 'never', ...extra];
  const harness = stepHarness(argv);
  const ctx: CommandContext = harness.ctx;
  ctx.services = hostServices(ctx.options, {});
  ctx.docker = await ctx.services.docker();
  if (state) ctx.state = state;
  return harness;
}

/** What save-state records, written and read back through the real state file. */
async function recorded(dir: string, ctx: CommandContext): Promise<HostState> {
  const state: HostState = {
    version: 1,
    role: 'init',
    etcdEndpoint: 'http://127.0.0.1:2379',
    advertiseAddress: '127.0.0.1',
    images: { flannel: 'f' },
    network: ctx.network,
    paths: { cniConfDir: join(dir, 'net.d'), cniBinDir: ctx.options.cniBinDir, runDir: join(dir, 'run') },
    movedAside: {},
    ...(ctx.cniPlugins?.length ? { cniPlugins: ctx.cniPlugins } : {}),
    toolVersion: '0',
    createdAt: 'then',
    updatedAt: 'then',
  };
  await writeState(join(dir, 'state'), state);
  const read = await readState(join(dir, 'state'));
  if (!read) throw new Error('state not written');
  return read;
}

async function leftoverCopyContainers(): Promise<string[]> {
  const list = await new Dockerode().listContainers({ all: true, filters: { label: [`${LABELS.role}=cni-plugin-copy`] } });
  return list.map((c) => c.Id);
}

test.serial('installs flannel out of the image and the host package\'s plugins, 0755; a second install changes nothing; cleanup removes them', async (t) => {
  const dir = join(root, 'fresh');
  const first = await run(dir, ['--install-cni-plugins']);
  const result = await cniPluginsStep.run(first.ctx, first.io);
  t.deepEqual(first.warnings, [], JSON.stringify(first.warnings));
  t.is(result?.detail, 'installed flannel, portmap, firewall, bridge, host-local (CNI 1.0.0)');
  const bin = first.ctx.options.cniBinDir;
  t.is(await readFile(join(bin, 'flannel'), 'utf8'), TEST_CNI_PLUGIN_SCRIPT);
  for (const name of HOST_PLUGINS) t.true((await readFile(join(bin, name))).equals(await readFile(join('/usr/lib/cni', name))), name);
  for (const name of ['flannel', ...HOST_PLUGINS]) t.is((await stat(join(bin, name))).mode & 0o777, 0o755, name);
  t.deepEqual(await leftoverCopyContainers(), [], 'the container made to read the image is removed');
  t.deepEqual(first.ctx.cniPlugins?.map((r) => r.source), [`${TEST_CNI_PLUGIN_IMAGE}:/flannel`, ...HOST_PLUGINS.map((n) => `/usr/lib/cni/${n}`)]);

  const state = await recorded(dir, first.ctx);
  const before = await Promise.all(['flannel', ...HOST_PLUGINS].map(async (name) => (await stat(join(bin, name))).mtimeMs));
  const second = await run(dir, ['--install-cni-plugins'], state);
  const again = await cniPluginsStep.run(second.ctx, second.io);
  t.true(second.ctx.unchanged.has('cni-plugins'));
  t.deepEqual(second.undos, []);
  t.deepEqual(second.ctx.cniPlugins, state.cniPlugins);
  t.is(again?.detail, "present: flannel, portmap, firewall, bridge, host-local (ignite-net's, CNI 1.0.0)");
  t.deepEqual(await Promise.all(['flannel', ...HOST_PLUGINS].map(async (name) => (await stat(join(bin, name))).mtimeMs)), before, 'no file rewritten');

  // An unrelated plugin beside ours stays through cleanup.
  await writeFile(join(bin, 'loopback'), 'not ours');
  const cleanup = await run(dir, [], state);
  await removeCniPluginsStep.run(cleanup.ctx, cleanup.io);
  t.deepEqual(cleanup.ctx.removed.sort(), ['flannel', ...HOST_PLUGINS].map((n) => join(bin, n)).sort());
  t.is(await readFile(join(bin, 'loopback'), 'utf8'), 'not ours');
  for (const name of ['flannel', ...HOST_PLUGINS]) await t.throwsAsync(stat(join(bin, name)), { code: 'ENOENT' });
});

test.serial('a different plugin already there is left alone and reported with its version; --force replaces it, cleanup puts it back; one changed since is never removed', async (t) => {
  const dir = join(root, 'foreign');
  const bin = join(dir, 'bin');
  const setup = await run(dir);
  await setup.ctx.services.cniBinaries.ensureDir(bin);
  await writeFile(join(bin, 'flannel'), FOREIGN_FLANNEL);
  await chmod(join(bin, 'flannel'), 0o755);

  const kept = await run(dir, ['--install-cni-plugins']);
  await cniPluginsStep.run(kept.ctx, kept.io);
  t.is(await readFile(join(bin, 'flannel'), 'utf8'), FOREIGN_FLANNEL);
  t.true(kept.progress.includes(`${join(bin, 'flannel')} is not ignite-net's (CNI 0.4.0 (0.3.1–0.4.0)): left as it is (--force replaces it)`), kept.progress.join('\n'));
  t.false(kept.ctx.cniPlugins?.some((r) => r.path === join(bin, 'flannel')));

  const forced = await run(dir, ['--install-cni-plugins', '--force'], await recorded(dir, kept.ctx));
  await cniPluginsStep.run(forced.ctx, forced.io);
  t.is(await readFile(join(bin, 'flannel'), 'utf8'), TEST_CNI_PLUGIN_SCRIPT);
  t.is(await readFile(join(bin, '.flannel.ignite-net-replaced'), 'utf8'), FOREIGN_FLANNEL);

  // bridge is edited after ignite-net wrote it: no longer ours.
  const state = await recorded(dir, forced.ctx);
  await writeFile(join(bin, 'bridge'), 'edited by the operator');
  const cleanup = await run(dir, [], state);
  await removeCniPluginsStep.run(cleanup.ctx, cleanup.io);
  t.is(await readFile(join(bin, 'flannel'), 'utf8'), FOREIGN_FLANNEL, 'the replaced plugin is back');
  await t.throwsAsync(stat(join(bin, '.flannel.ignite-net-replaced')), { code: 'ENOENT' });
  t.is(await readFile(join(bin, 'bridge'), 'utf8'), 'edited by the operator');
  t.deepEqual(cleanup.ctx.left, [`${join(bin, 'bridge')} (changed since ignite-net installed it): remove it by hand if it is not wanted`]);
});
