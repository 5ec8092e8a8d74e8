/**
 * src/load-commands.ts's loadBundle: a CommonJS bundle run as require() would, with the import
 * function scripts/build.mjs rewrites the bundle's import() calls to (finishBundle).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import test from 'ava';
import { CJS_WRAPPER, loadBundle } from '../../src/load-commands.js';

const dir = await mkdtemp(join(tmpdir(), 'ignite-net-load-'));
test.after.always(() => rm(dir, { recursive: true, force: true }));

const BUNDLE = `
exports.where = __filename;
exports.builtin = typeof require('node:os').cpus;
exports.load = () => __ignite_net_import('./chunk.mjs');
`;

test('the bundle gets its own __filename, require for built-ins, and an import() of files beside it', async (t) => {
  const file = join(dir, 'a.cjs');
  await writeFile(file, BUNDLE);
  await writeFile(join(dir, 'chunk.mjs'), 'export const answer = 42;\n');
  const { exports, cacheRejected } = loadBundle(file);
  t.is(cacheRejected, undefined, 'no cache file: compiled from source');
  const loaded = exports as { where: string; builtin: string; load: () => Promise<{ answer: number }> };
  t.is(loaded.where, file);
  t.is(loaded.builtin, 'function');
  t.is((await loaded.load()).answer, 42);
});

test('a cache made for the same wrapped text is taken, and the import still works from it', async (t) => {
  const file = join(dir, 'b.cjs');
  await writeFile(file, BUNDLE);
  // Made as the build makes it, after `load` ran once, so its compiled code is in the cache: a
  // function compiled from a cache cannot import() itself (Node 20), which is why the bundle calls
  // the loader's function instead.
  const script = new vm.Script(CJS_WRAPPER[0] + BUNDLE + CJS_WRAPPER[1], { filename: file });
  const module = { exports: {} as { load?: () => Promise<unknown> } };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dir, () => Promise.resolve({}));
  await module.exports.load?.();
  await writeFile(`${file}.cache`, script.createCachedData());
  const { exports, cacheRejected } = loadBundle(file);
  t.false(cacheRejected);
  t.is((await (exports as { load: () => Promise<{ answer: number }> }).load()).answer, 42);
});
