/**
 * The bundled build (scripts/build.mjs), built into a temporary copy of the package: one file on the
 * start-up path, everything flat in dist/, and the files found at run time (package.json's version,
 * templates/) found from the chunks as from src/.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { strayRequires } from '../../scripts/bundle-deps.mjs';
import { CONFLIST_TEMPLATE } from '../../src/adapters/templates.js';
import { loadBundle } from '../../src/load-commands.js';
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

test('dist/commands.cjs loads with its V8 code cache taken, and finds templates/ beside dist/', async (t) => {
  const file = join(await built, 'dist', 'commands.cjs');
  const { exports, cacheRejected } = loadBundle(file);
  t.false(cacheRejected, 'made by this Node for the text load-commands.ts compiles (CJS_WRAPPER)');
  const { runParsed, loadTemplate } = exports as { runParsed?: unknown; loadTemplate?: () => Promise<string> };
  t.is(typeof runParsed, 'function');
  t.is(await loadTemplate?.(), await readFile(join(root, 'templates', CONFLIST_TEMPLATE), 'utf8'));
  // Another text (a wrapper or bundle that drifted from the cache): V8 refuses the cache, and the
  // bundle still loads, compiled from source.
  const drifted = join(await built, 'drifted.cjs');
  await writeFile(drifted, `${await readFile(file, 'utf8')}\n// drifted\n`);
  await copyFile(`${file}.cache`, `${drifted}.cache`);
  const fallback = loadBundle(drifted);
  t.true(fallback.cacheRejected);
  t.is(typeof (fallback.exports as { runParsed?: unknown }).runParsed, 'function');
});

test('the terminal UI stays ES module chunks that the bundle imports through its loader, and only Node built-ins are required', async (t) => {
  const dist = join(await built, 'dist');
  const source = await readFile(join(dist, 'commands.cjs'), 'utf8');
  for (const chunk of ['ui-ink-reporter.js', 'ui-ink-status-view.js']) {
    t.true(source.includes(`__ignite_net_import("./${chunk}")`), chunk);
    const mod = (await import(pathToFileURL(join(dist, chunk)).href)) as Record<string, unknown>;
    t.is(typeof Object.values(mod)[0], 'function', chunk);
  }
  t.notRegex(source, /from "ink"|require\("ink"\)/);
  t.notRegex(source, /[^\x00-\x7f]/, 'ASCII: Node reads it faster than UTF-8');
  t.notRegex(source, /^(?!\s*(\*|\/\/)).*(?<![\w$.])import\(/m, 'an import() compiled from the code cache would fail');
  t.deepEqual(strayRequires(source), []);
});
