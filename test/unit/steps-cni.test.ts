/** The cni step against fake files: write, keep, move Ignite's aside, refuse a foreign conflist without --force. */
import test from 'ava';
import { loadTemplate } from '../../src/adapters/templates.js';
import { renderConflist } from '../../src/cni/conflist.js';
import { IgniteError } from '../../src/core/errors.js';
import { cniPaths, cniStep } from '../../src/steps/cni.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

const FOREIGN = '{ "cniVersion": "0.4.0", "name": "someone-else", "plugins": [ { "type": "bridge" } ] }\n';
const IGNITE = '{ "cniVersion": "0.4.0", "name": "ignite-cni-bridge", "plugins": [ { "type": "bridge" } ] }\n';

function harness(argv: string[] = []) {
  const host = fakeServices();
  const run = stepHarness(['init', ...argv], { services: host.services });
  return { host, paths: cniPaths(run.ctx.options.cniConfDir), ...run };
}

test('writes our conflist into a fresh conf dir, with an undo that removes it', async (t) => {
  const { host, ctx, io, undos, paths, warnings } = harness();
  const result = await cniStep.run(ctx, io);
  t.is(host.files.read(paths.ours), renderConflist(await loadTemplate(), {}));
  t.is(result?.detail, paths.ours);
  t.deepEqual(undos.map((u) => u.title), [`remove ${paths.ours}`]);
  t.deepEqual(warnings, []);
  await undos[0]?.run();
  t.is(host.files.read(paths.ours), undefined);
});

test('our conflist already there: unchanged, no undo', async (t) => {
  const { host, ctx, io, undos, paths } = harness();
  host.files.put(paths.ours, renderConflist(await loadTemplate(), {}));
  const result = await cniStep.run(ctx, io);
  t.true(ctx.unchanged.has('cni'));
  t.is(result?.detail, `${paths.ours} unchanged`);
  t.deepEqual(undos, []);
});

test('a foreign 10-flannel.conflist without --force: refused, left as it was', async (t) => {
  const { host, ctx, io, undos, paths } = harness();
  host.files.put(paths.ours, FOREIGN);
  const error = await t.throwsAsync(cniStep.run(ctx, io), { instanceOf: IgniteError });
  t.is(error?.kind, 'conflict');
  t.is(error?.message, `${paths.ours} exists and was not written by ignite-net`);
  t.is(host.files.read(paths.ours), FOREIGN);
  t.is(host.files.read(paths.foreignBackup), undefined);
  t.deepEqual(undos, []);
});

test('a foreign 10-flannel.conflist with --force: a copy is kept aside, ours written, the undo puts it back', async (t) => {
  const { host, ctx, io, undos, paths } = harness(['--force']);
  host.files.put(paths.ours, FOREIGN);
  await cniStep.run(ctx, io);
  t.is(host.files.read(paths.foreignBackup), FOREIGN);
  t.is(host.files.read(paths.ours), renderConflist(await loadTemplate(), {}));
  t.deepEqual(undos.map((u) => u.title), [`restore previous ${paths.ours}`]);
  await undos[0]?.run();
  t.is(host.files.read(paths.ours), FOREIGN);
});

test("Ignite's own conflist is moved aside and recorded; the undo moves it back", async (t) => {
  const { host, ctx, io, undos, paths } = harness();
  host.files.put(paths.ignite, IGNITE);
  await cniStep.run(ctx, io);
  t.is(host.files.read(paths.ignite), undefined);
  t.is(host.files.read(paths.movedAside), IGNITE);
  t.deepEqual(ctx.movedAside, { [paths.ignite]: paths.movedAside });
  t.deepEqual(undos.map((u) => u.title), ['move 10-ignite.conflist back', `remove ${paths.ours}`]);
  await undos[0]?.run();
  t.is(host.files.read(paths.ignite), IGNITE);
  t.deepEqual(ctx.movedAside, {});
});
