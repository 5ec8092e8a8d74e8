#!/usr/bin/env node
/**
 * Bundles src/ into dist/ for start-up speed (`npm run build` type-checks with tsc first).
 *
 * Node spends most of a short run resolving and loading modules: the per-file tsc output made
 * `--version` load ten files plus ipaddr.js through the CommonJS loader. Here dist/cli.js holds
 * everything `--help`/`--version` need (ipaddr.js included, version inlined); the commands, with
 * dockerode and etcd3 bundled in, are one CommonJS file beside it with its V8 code cache
 * (commands.cjs and commands.cjs.cache, loaded by src/load-commands.ts); ink's ES module chunks load
 * only for a terminal UI, and completion and version only for their own flags.
 *
 * Every file sits directly in dist/, one level below the package root, so code that finds files
 * relative to its own location (templates/, package.json) sees the same layout from any of them.
 *
 * Usage: node scripts/build.mjs [--outdir <dir>]   (default: dist)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { REQUIRE_BANNER, bundleDepsPlugin, bundleDepsUsage, checkAllUsed, strayRequires } from './bundle-deps.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { outdir: { type: 'string', default: join(root, 'dist') } } });
const outdir = resolve(values.outdir);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/**
 * Every dependency is bundled: ipaddr.js into cli.js (start-up path), the rest into the commands'
 * chunks. Loaded from node_modules instead, importing the status command took ~240 ms instead of
 * ~80 (some 300 CommonJS files, etcd3 parsing its .proto text, docker-modem loading ssh2), and ink
 * with react ~300 ms instead of ~75 on a terminal (many small ES modules, each resolved and linked).
 * scripts/bundle-deps.mjs redirects a few of their imports (resolve rules) so that bundling them is
 * sound; what it leaves installed loads from node_modules at first use, and no command of ignite-net
 * reaches it: ssh2 (ssh:// Docker hosts, which args.ts refuses), dockerode's BuildKit session (image
 * builds), grpc-js's channelz and ORCA services (servers), ink's React DevTools (DEV=true). So the
 * package needs nothing beside dist/ and templates/: every package is a devDependency, and
 * `npm install -g ./ignite-net-*.tgz` fetches nothing (test/unit/package.test.ts installs it so).
 */

/** What both builds share; chunks all go in dist/ itself (see above). */
const common = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  jsx: 'automatic',
  // Read by src/version.ts; without it (tsx, tests) the version is read from package.json.
  define: { __IGNITE_NET_VERSION__: JSON.stringify(pkg.version), __IGNITE_NET_BUNDLED__: 'true' },
  write: false,
  logLevel: 'warning',
  legalComments: 'inline',
};

/**
 * Build 1: dist/cli.js, one file with everything src/cli.ts imports statically. Each module it
 * imports dynamically (`await import('./completion.js')`) stays a separate file, renamed flat
 * (`./completion.js`), and becomes an entry point of build 3.
 *
 * Why separate builds: with one build and code splitting, modules shared by the start-up path and
 * the commands (errors, defaults, net/) land in shared chunks, and `--version` loaded five of them,
 * each costing Node a file read, a parse and a link. The price is that a few modules exist in more
 * than one file (cli.js, commands.cjs, the UI's chunks); they hold no state, cli.ts hands the
 * commands only plain data (Options), and the one class that crosses files, IgniteError (the UI's
 * prompter rejects with it), is recognised by a brand (src/core/errors.ts).
 */
/** src/load-commands.ts's CJS_WRAPPER (see writeCodeCache). */
const CJS_WRAPPER = ['(function (exports, require, module, __filename, __dirname, __ignite_net_import) { ', '\n});'];

const flatName = (specifier) => specifier.replace(/^\.\//, '').replace(/\.js$/, '').replaceAll('/', '-');
const lazy = new Map();
const startup = await build({
  ...common,
  entryPoints: { cli: 'src/cli.ts' },
  plugins: [
    {
      name: 'lazy-imports',
      setup(b) {
        b.onResolve({ filter: /^\./ }, (args) => {
          if (args.kind !== 'dynamic-import' || args.importer !== join(root, 'src', 'cli.ts')) return undefined;
          const name = flatName(args.path);
          lazy.set(name, join('src', args.path.replace(/\.js$/, '.ts')));
          return { path: `./${name}.js`, external: true };
        });
      },
    },
  ],
});

/**
 * Build 2: the commands, with every dependency, as one CommonJS file, dist/commands.cjs, for the V8
 * code cache written beside it (below; src/load-commands.ts loads both). Node 20 keeps no code cache
 * for its module loaders, and an ES module cannot be compiled from one: as ES module chunks, loading
 * the commands took ~145 ms of a run (parsing and compiling ~1.8 MB, then evaluating it); from this
 * file and its cache ~60 ms, with no function left to compile as the command runs. The terminal
 * UI's ink modules stay ES module chunks (build 3: ink's layout engine loads with a top-level await,
 * which CommonJS cannot hold) that it imports.
 */
const INK_ENTRIES = {
  'src/ui/reporter.ts': { path: './ink/reporter.js', name: 'ui-ink-reporter', source: 'src/ui/ink/reporter.tsx' },
  'src/commands/status.ts': { path: '../ui/ink/status/view.js', name: 'ui-ink-status-view', source: 'src/ui/ink/status/view.tsx' },
};
const usage = bundleDepsUsage();
const commands = await build({
  ...common,
  entryPoints: { commands: 'src/run-parsed.ts' },
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  // import.meta.url as an ES module beside it would have it (templates.ts finds templates/ so).
  define: { ...common.define, 'import.meta.url': '__ignite_net_module_url' },
  banner: { js: 'const __ignite_net_module_url = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [
    {
      name: 'ink-chunks',
      setup(b) {
        b.onResolve({ filter: /\/ink\// }, (args) => {
          const entry = INK_ENTRIES[relative(root, args.importer)];
          if (args.kind !== 'dynamic-import' || entry?.path !== args.path) return undefined;
          return { path: `./${entry.name}.js`, external: true };
        });
      },
    },
    bundleDepsPlugin(root, usage),
  ],
});

/**
 * The commands' bundle as written. Its import() of the UI chunks becomes a call of the loader's
 * `__ignite_net_import` (src/load-commands.ts): a function compiled from a V8 code cache has lost the
 * import() callback its script was compiled with (Node 20: ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING),
 * so the import runs in the loader, an ordinary ES module. No other import() may be left in it.
 */
function finishBundle(file) {
  let text = file.text;
  for (const { name } of Object.values(INK_ENTRIES)) {
    const call = `import("./${name}.js")`;
    if (!text.includes(call)) throw new Error(`build: ${relative(root, file.path)} has no ${call} (see INK_ENTRIES)`);
    text = text.replaceAll(call, `__ignite_net_import("./${name}.js")`);
  }
  const left = text.split('\n').filter((line) => /(?<![\w$.])import\(/.test(line) && !/^\s*(\*|\/\/)/.test(line));
  if (left.length > 0) throw new Error(`build: import() left in ${relative(root, file.path)}, which fails once compiled from the code cache:\n${left.join('\n')}`);
  // esbuild escapes every non-ASCII character but those in comments; escaped there too, the file is
  // ASCII, which Node reads ~4 ms faster than the UTF-8 it otherwise decodes (2.3 MB on every run).
  text = text.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
  return { path: file.path, text, contents: Buffer.from(text) };
}

/** Build 3: what cli.js and the commands import() lazily, code split into ES module chunks, flat in dist/. */
for (const [name, source] of lazy) {
  if (!existsSync(join(root, source)) && existsSync(join(root, `${source}x`))) lazy.set(name, `${source}x`);
}
const chunks = await build({
  ...common,
  entryPoints: { ...Object.fromEntries(lazy), ...Object.fromEntries(Object.values(INK_ENTRIES).map((entry) => [entry.name, entry.source])) },
  splitting: true,
  chunkNames: '[name]-[hash]',
  plugins: [bundleDepsPlugin(root, usage)],
  banner: { js: REQUIRE_BANNER },
});
checkAllUsed(usage);
const result = { outputFiles: [...startup.outputFiles, ...commands.outputFiles.map(finishBundle), ...chunks.outputFiles] };

// A require() left in the output runs from dist/, so it would look for a package there, not beside
// the module that requires it: only Node's built-ins may be left (see strayRequires).
const stray = result.outputFiles.flatMap((file) => strayRequires(file.text).map((call) => `  ${relative(root, file.path)}: ${call}`));
if (stray.length > 0) {
  process.stderr.write(`build: require() of a package left in the bundle, which would resolve from dist/ (bundle it, or add a rule to scripts/bundle-deps.mjs):\n${stray.join('\n')}\n`);
  process.exit(1);
}

// Write the new files first, then remove what an earlier build left (including tsc's per-file
// layout), so dist/cli.js never goes missing while something runs it.
mkdirSync(outdir, { recursive: true });
const written = new Set();
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, file.contents);
  written.add(file.path);
}
written.add(writeCodeCache(join(outdir, 'commands.cjs')));
for (const entry of readdirSync(outdir, { withFileTypes: true })) {
  const path = join(outdir, entry.name);
  if (!written.has(path)) rmSync(path, { recursive: true, force: true });
}
const size = result.outputFiles.reduce((sum, file) => sum + file.contents.length, 0);
process.stdout.write(`built ${relative(process.cwd(), outdir) || '.'}: ${result.outputFiles.length} files, ${(size / 1024).toFixed(0)} KiB\n`);

/**
 * `<file>.cache`: V8's code for every function of the bundle, made by this Node in a fresh process
 * without NODE_OPTIONS, as a command runs. V8 compiles a function at its first call, and a cache
 * holds only what was compiled when it was made: made after loading alone, it left every step's
 * code to compile during the run (init again's steps 285 → 214 ms with all of it in the cache, in a
 * 7-round A/B, docs/performance.md). So the script is compiled with `--no-lazy` (every function at
 * once), and the flag is set back before the cache is made: V8 takes a cache only if the flags it
 * was made under match the running ones, and the text is the very one (src/load-commands.ts's
 * CJS_WRAPPER). test/unit/build.test.ts loads dist/ and checks the cache is taken.
 */
function writeCodeCache(file) {
  const maker = `
    const { readFileSync, writeFileSync } = require('node:fs');
    const { createRequire } = require('node:module');
    const { dirname } = require('node:path');
    const vm = require('node:vm');
    const v8 = require('node:v8');
    const file = process.env.IGNITE_NET_BUNDLE;
    v8.setFlagsFromString('--no-lazy');
    const script = new vm.Script(${JSON.stringify(CJS_WRAPPER[0])} + readFileSync(file, 'utf8') + ${JSON.stringify(CJS_WRAPPER[1])}, { filename: file });
    v8.setFlagsFromString('--lazy');
    const module = { exports: {} };
    script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file), () => Promise.reject(new Error('no import() at build time')));
    writeFileSync(file + '.cache', script.createCachedData());
    process.exit(0);`;
  execFileSync(process.execPath, ['-e', maker], { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '', IGNITE_NET_BUNDLE: file } });
  return `${file}.cache`;
}
