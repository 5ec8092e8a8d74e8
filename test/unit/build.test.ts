/**
 * The bundled build (scripts/build.mjs), built into a temporary copy of the package: one file on the
 * start-up path, everything flat in dist/, and the files found at run time (package.json's version,
 * templates/) found from the chunks as from src/.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { CONFLIST_TEMPLATE } from '../../src/adapters/templates.js';
import { version } from '../../src/version.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const pkgVersion = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** <tmp>/{package.json,templates/,node_modules→repo's,dist/} built once for every test here. */
const built = (async () => {
  const pkg = await mkdtemp(join(tmpdir(), 'ignite-net-build-'));
  await copyFile(join(root, 'package.json'), join(pkg, 'package.json'));
  await mkdir(join(pkg, 'templates'));
  await copyFile(join(root, 'templates', CONFLIST_TEMPLATE), join(pkg, 'templates', CONFLIST_TEMPLATE));
  await symlink(join(root, 'node_modules'), join(pkg, 'node_modules'));
  await run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--outdir', join(pkg, 'dist')]);
  return pkg;
})();

test.after.always(async () => {
  await rm(await built, { recursive: true, force: true });
});

test('src/version.ts reads package.json when run unbundled', (t) => {
  t.is(version, pkgVersion);
});

test('the built CLI answers --version and --help', async (t) => {
  const cli = join(await built, 'dist', 'cli.js');
  t.is((await run(process.execPath, [cli, '--version'])).stdout, `${pkgVersion}\n`);
  t.regex((await run(process.execPath, [cli, '--help'])).stdout, /^ignite-net — /);
  t.regex((await run(process.execPath, [cli, 'init', '--help'])).stdout, /^Usage: ignite-net init/);
});

test('dist/cli.js is one file: no static import of another dist file, ipaddr.js bundled', async (t) => {
  const source = await readFile(join(await built, 'dist', 'cli.js'), 'utf8');
  t.notRegex(source, /^(import|export)\b[^;]*?from\s*["']\.\//m);
  t.notRegex(source, /^import\s*["']\.\//m);
  t.notRegex(source, /from\s*["']ipaddr\.js["']/);
  t.regex(source, /import\("\.\/[\w-]+\.js"\)/, 'commands stay behind dynamic imports');
});

test('every output sits directly in dist/ (so import.meta.url-relative paths hold in every chunk)', async (t) => {
  const entries = await readdir(join(await built, 'dist'), { withFileTypes: true });
  t.true(entries.length > 1);
  t.deepEqual(
    entries.filter((e) => !e.isFile()).map((e) => e.name),
    [],
  );
});

test('the chunk that renders the conflist finds templates/ beside dist/', async (t) => {
  const dist = join(await built, 'dist');
  const template = await readFile(join(root, 'templates', CONFLIST_TEMPLATE), 'utf8');
  let found = 0;
  for (const name of await readdir(dist)) {
    // cli.js runs the CLI when imported, and devtools-*.js connects React DevTools (what ink's own
    // devtools.js does when ink imports it under DEV=true); every other file only defines modules.
    if (name === 'cli.js' || name.startsWith('devtools-') || !name.endsWith('.js')) continue;
    const mod = (await import(pathToFileURL(join(dist, name)).href)) as {
      loadTemplate?: () => Promise<string>;
      hostServices?: (options: object, env: object) => { files: { conflistTemplate(): Promise<string> } };
    };
    // The steps and status reach the template through Services; a chunk exports either.
    const { loadTemplate, hostServices } = mod;
    const load = typeof loadTemplate === 'function' ? loadTemplate : typeof hostServices === 'function' ? () => hostServices({}, {}).files.conflistTemplate() : undefined;
    if (load === undefined) continue;
    t.is(await load(), template, name);
    found++;
  }
  t.true(found > 0, 'some chunk exports loadTemplate or hostServices');
});
