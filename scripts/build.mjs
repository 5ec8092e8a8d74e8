#!/usr/bin/env node
/**
 * Bundles src/ into dist/ for start-up speed (`npm run build` type-checks with tsc first).
 *
 * Node spends most of a short run resolving and loading modules: the per-file tsc output made
 * `--version` load ten files plus ipaddr.js through the CommonJS loader. Here dist/cli.js holds
 * everything `--help`/`--version` need (ipaddr.js included, version inlined); what loads later
 * (the commands, with dockerode, etcd3 and ink bundled in) stays behind dynamic imports in chunks
 * beside it; ink's chunks load only for a terminal UI.
 *
 * Every chunk sits directly in dist/, one level below the package root, so code that finds files
 * relative to import.meta.url (templates/, package.json) sees the same layout from any chunk.
 *
 * Usage: node scripts/build.mjs [--outdir <dir>]   (default: dist)
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { REQUIRE_BANNER, bundleDepsPlugin, strayRequires } from './bundle-deps.mjs';

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
  define: { __IGNITE_NET_VERSION__: JSON.stringify(pkg.version) },
  write: false,
  logLevel: 'warning',
  legalComments: 'inline',
};

/**
 * Build 1: dist/cli.js, one file with everything src/cli.ts imports statically. Each module it
 * imports dynamically (`await import('./commands/init.js')`) stays a separate file, renamed flat
 * (`./commands-init.js`), and becomes an entry point of build 2.
 *
 * Why two builds: with one build and code splitting, modules shared by the start-up path and the
 * commands (errors, defaults, net/) land in shared chunks, and `--version` loaded five of them, each
 * costing Node a file read, a parse and a link. The price is that the few start-up modules exist
 * twice (in cli.js and in build 2's chunks); they hold no state, and cli.ts hands the commands only
 * plain data (Options), so nothing depends on the two copies being one.
 */
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

/** Build 2: the lazily loaded commands and UIs, code split into chunks, all flat in dist/. */
for (const [name, source] of lazy) {
  if (!existsSync(join(root, source)) && existsSync(join(root, `${source}x`))) lazy.set(name, `${source}x`);
}
const commands = await build({
  ...common,
  entryPoints: Object.fromEntries(lazy),
  splitting: true,
  chunkNames: '[name]-[hash]',
  plugins: [bundleDepsPlugin(root)],
  banner: { js: REQUIRE_BANNER },
});
const result = { outputFiles: [...startup.outputFiles, ...commands.outputFiles] };

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
for (const entry of readdirSync(outdir, { withFileTypes: true })) {
  const path = join(outdir, entry.name);
  if (!written.has(path)) rmSync(path, { recursive: true, force: true });
}
const size = result.outputFiles.reduce((sum, file) => sum + file.contents.length, 0);
process.stdout.write(`built ${relative(process.cwd(), outdir) || '.'}: ${result.outputFiles.length} files, ${(size / 1024).toFixed(0)} KiB\n`);
