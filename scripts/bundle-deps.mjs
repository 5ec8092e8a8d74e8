/**
 * What scripts/build.mjs needs to bundle the dependencies soundly into the commands' chunks: resolve
 * rules for dockerode, docker-modem, debug, etcd3, grpc-js and ink, a location patch for three of
 * their files, and which parts of them still load at run time from node_modules. (The other packages
 * bundle as they are; the checks below cover them too.)
 *
 * Why: loaded from node_modules, importing the status command took ~240 ms (~80 bundled): Node
 * resolving, reading and wrapping some 300 CommonJS files, etcd3 parsing its .proto text on every
 * run, and docker-modem loading ssh2 (and its native addons) though only ssh:// hosts use it.
 *
 * What keeps the bundle sound:
 * - Resolve rules (RULES), keyed on (importing file, import path), not on the importer's text: the
 *   bundle gets a small module of ours in place of what is imported. etcd3's proto-loader becomes one
 *   whose `loadSync(rpc.proto)` returns a package definition generated at build time
 *   (etcd3RpcModule, in scripts/etcd3-rpc.mjs): the same definition, its serializers protobufjs'
 *   own code for each message type (staticCoders). test/unit/etcd3-rpc.test.ts checks it against
 *   proto-loader's own output and protobufjs' reflection, message by message.
 * - Code that needs its real location (`__dirname`, native addons) is left out and loaded at first
 *   use from the installed package, resolved as Node resolves it from the module that requires it:
 *   docker-modem's ssh agent (ssh2), dockerode's BuildKit session and trace decoding, the
 *   proto-loader grpc-js loads for channelz/ORCA, and ink's React DevTools hook (DEV=true). No
 *   command reaches these (scripts/build.mjs says why), so the installed package has no dependencies.
 * - A rule that is never used, a location patch that does not match as often as it says, and a
 *   bundled module that still names `__dirname`, `__filename` or `import.meta` (all of which would
 *   now point at dist/) fail the build, unless listed in LOCATION_INDEPENDENT; so does a require()
 *   of a package left in the output (strayRequires), which would resolve from dist/, not from the
 *   package that requires it: a dependency update cannot silently break a run-time path.
 */
import { readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ETCD3_OPTIONS_SOURCE, etcd3RpcModule } from './etcd3-rpc.mjs';

/**
 * A package the bundle loads from, as the chain of packages that leads to it from ignite-net's
 * dependencies: the run-time lookup walks the same chain, so it finds the copy Node would have loaded.
 */
const CHAINS = {
  ink: ['ink'],
  dockerode: ['dockerode'],
  'docker-modem': ['dockerode', 'docker-modem'],
  etcd3: ['etcd3'],
  '@grpc/grpc-js': ['etcd3', '@grpc/grpc-js'],
};

/** The main module of chain's last package, each package resolved from the one before, from `from`. */
export function installedMain(from, chain) {
  let main = from;
  for (const name of chain) main = createRequire(main).resolve(name);
  return main;
}

/**
 * Prepended to every chunk that may hold bundled CommonJS: those modules require() Node's built-ins
 * (and, at first use, what is left installed), and an ES module has no require of its own.
 */
export const REQUIRE_BANNER = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** The same at run time, as a virtual module (its import.meta.url is a chunk in dist/). */
const INSTALLED_MODULE = `
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
const mains = new Map();
function installedMain(chain) {
  const key = chain.join("\\0");
  let main = mains.get(key);
  if (main === undefined) {
    main = fileURLToPath(import.meta.url);
    for (const name of chain) main = createRequire(main).resolve(name);
    mains.set(key, main);
  }
  return main;
}
/** require() as chain's last package's main module has it. */
export const installedRequire = (chain) => createRequire(installedMain(chain));
/** That module's directory: the __dirname of the files beside it. */
export const installedDir = (chain) => dirname(installedMain(chain));
/** The URL of \`file\` beside that module, for import(). */
export const installedUrl = (chain, file) => pathToFileURL(join(installedDir(chain), file)).href;
`;

const chainOf = (pkg) => JSON.stringify(CHAINS[pkg]);

/** What etcd3's connection-pool.js has for `__dirname` (see LOCATED). */
const ETCD3_DIRNAME = '(bundled etcd3)/lib';

/**
 * What etcd3's connection-pool.js gets for `@grpc/proto-loader`: it calls only `loadSync` on it, at
 * load time, for rpc.proto. Other options than the generated definition assumes fail loudly (at the
 * first import of etcd3, which test/unit/build-deps.test.ts does).
 */
const ETCD3_PROTO_LOADER = `"use strict";
const OPTIONS = ${ETCD3_OPTIONS_SOURCE};
exports.loadSync = function loadSync(file, options) {
  const keys = Object.keys(OPTIONS);
  const same = options != null && Object.keys(options).length === keys.length && keys.every((key) => options[key] === OPTIONS[key]);
  if (file !== ${JSON.stringify(`${ETCD3_DIRNAME}/../proto/rpc.proto`)} || !same) {
    throw new Error("bundled etcd3 loads " + file + " with options other than its generated definition assumes: update scripts/bundle-deps.mjs");
  }
  return require("ignite-net:etcd3-rpc-proto");
};
`;

/**
 * What debug (docker-modem's) gets for `supports-color`, which it probes at load time inside a
 * try/catch to pick a 256-colour palette for DEBUG=… output. It is an optional peer of debug that
 * npm does not install (package-lock.json has no supports-color), so in ignite-net's installed tree
 * debug never finds it and keeps its six basic colours: this says the same without a lookup. (Left
 * as esbuild leaves it, it was a require() from dist/, which would find whatever copy sits there.)
 */
const SUPPORTS_COLOR_ABSENT = `"use strict";
module.exports = false;
`;

/**
 * Resolve rules: where the bundled module `importer` (its path under node_modules) imports `path`,
 * the bundle gets, instead of `path` bundled:
 * - `load: 'call'`: a function that loads `path` from the installed package `installed` (the
 *   importer's copy) at its first call, and calls it: for a function the importer requires at load
 *   time but calls only on a rare path;
 * - `load: 'require'`: `path` loaded from the installed package where the importer requires it
 *   (each of these requires it inside the function that uses it, so at first use);
 * - `load: 'import'`: the same for an import() of an ES module;
 * - `contents`: a module of ours.
 * The importer must sit beside its package's main module as resolved along `installed`'s chain, and
 * `path` (and `needs`, what it requires in turn) must resolve from there at build time.
 */
const RULES = [
  { importer: 'etcd3/lib/connection-pool.js', path: '@grpc/proto-loader', contents: ETCD3_PROTO_LOADER },
  { importer: 'docker-modem/lib/modem.js', path: './ssh', installed: 'docker-modem', load: 'call', needs: ['ssh2'] },
  { importer: 'dockerode/lib/docker.js', path: './session', installed: 'dockerode', load: 'call' },
  { importer: 'dockerode/lib/docker.js', path: './buildkit', installed: 'dockerode', load: 'require' },
  { importer: '@grpc/grpc-js/build/src/channelz.js', path: '@grpc/proto-loader', installed: '@grpc/grpc-js', load: 'require' },
  { importer: '@grpc/grpc-js/build/src/orca.js', path: '@grpc/proto-loader', installed: '@grpc/grpc-js', load: 'require' },
  // React DevTools (DEV=true) as ink does it unbundled: its own react-devtools-core (an optional
  // peer, usually absent: ink then prints how to install it), and ws, resolved from ink.
  { importer: 'ink/build/reconciler.js', path: './devtools.js', installed: 'ink', load: 'import' },
  { importer: 'debug/src/node.js', path: 'supports-color', contents: SUPPORTS_COLOR_ABSENT },
];

/** The module a rule puts in the bundle, and its loader. */
function ruleModule(rule) {
  if (rule.contents !== undefined) return { contents: rule.contents, loader: 'js' };
  const chain = chainOf(rule.installed);
  const path = JSON.stringify(rule.path);
  const sources = {
    call: `const { installedRequire } = require("ignite-net:installed");\nmodule.exports = function () { return installedRequire(${chain})(${path}).apply(this, arguments); };\n`,
    require: `module.exports = require("ignite-net:installed").installedRequire(${chain})(${path});\n`,
    import: `import { installedUrl } from "ignite-net:installed";\nawait import(installedUrl(${chain}, ${path}));\n`,
  };
  return { contents: sources[rule.load], loader: 'js' };
}

/**
 * Text patches, only where no resolve rule can do the job: these modules name `__dirname` (to find
 * .proto files beside them), a free variable rather than an import, and esbuild has no per-file
 * define, so only their text can give them a directory. Every `__dirname` is replaced (no anchor
 * text to go stale), and `uses` says how many there are: another count fails the build, so a new
 * use gets looked at. grpc-js's files get its installed directory, looked up at first use. etcd3's
 * one use is the rpc.proto path it hands, at load time, to the proto-loader of RULES, which answers
 * without reading the file and checks the path is this one: so it gets a constant, not a lookup on
 * every start (resolving a package costs ~2 ms there).
 */
const LOCATED = {
  'etcd3/lib/connection-pool.js': { pkg: 'etcd3', uses: 1, dirname: JSON.stringify(ETCD3_DIRNAME) },
  '@grpc/grpc-js/build/src/channelz.js': { pkg: '@grpc/grpc-js', uses: 1 },
  '@grpc/grpc-js/build/src/orca.js': { pkg: '@grpc/grpc-js', uses: 2 },
};

/**
 * Bundled modules that name their location but do not need it. yoga-layout (ink's layout engine)
 * is Emscripten output: it takes its directory from import.meta.url only to find a .wasm file, and
 * this build of it carries the wasm inline (base64).
 */
const LOCATION_INDEPENDENT = new Set(['yoga-layout/dist/binaries/yoga-wasm-base64-esm.js']);

/** `node_modules/<pkg>/<file>` → `<pkg>/<file>` (the innermost node_modules), else undefined. */
function packagePath(path) {
  const normal = path.replaceAll('\\', '/');
  const at = normal.lastIndexOf('/node_modules/');
  return at === -1 ? undefined : normal.slice(at + '/node_modules/'.length);
}

function locate(source, key, spec) {
  const uses = source.match(/\b__dirname\b/g)?.length ?? 0;
  if (uses !== spec.uses) throw new Error(`${key}: expected __dirname ${spec.uses} times, found it ${uses} times: update LOCATED in scripts/bundle-deps.mjs`);
  const dir = spec.dirname ?? `(require("ignite-net:installed").installedDir(${chainOf(spec.pkg)}))`;
  return source.replace(/\b__dirname\b/g, () => dir);
}

/**
 * The require() calls left in a bundled `source` (esbuild's `__require` in an ES module chunk, plain
 * `require` in the CommonJS bundle; both run from dist/) that do not load a Node built-in: each
 * would resolve from dist/ instead of from the package that requires it. Deliberate loads from
 * node_modules go through `installedRequire`. Lines of doc comments (` * …`, `// …`) are skipped.
 */
export function strayRequires(source) {
  const stray = [];
  for (const match of source.matchAll(/(?<![\w$.])(?:__)?require(?:\.resolve)?\(\s*([^)\s][^)]*?)\s*\)/g)) {
    const line = source.slice(source.lastIndexOf('\n', match.index) + 1, match.index).trimStart();
    if (line.startsWith('*') || line.startsWith('//')) continue;
    const argument = match[1].replace(/\/\*[\s\S]*?\*\//g, '').trim(); // esbuild keeps /* webpackIgnore */ comments
    const name = /^(["'`])([^"'`]*)\1$/.exec(argument)?.[2];
    if (name !== undefined && (name.startsWith('node:') || builtinModules.includes(name))) continue;
    stray.push(match[0]);
  }
  return stray;
}

/**
 * The esbuild plugin: applies RULES and LOCATED, serves the virtual modules, and fails the build on
 * a bundled module that still names its location (see the top of this file). `root` is ignite-net's
 * directory; the run-time lookups start from a chunk in dist/, one level below it.
 */
/**
 * Which RULES and LOCATED entries the builds sharing it used. Where several builds share the
 * dependencies between them (scripts/build.mjs: the commands' CommonJS bundle and the terminal UI's
 * chunks), each plugin gets the one usage and the caller checks it once all are done.
 */
export function bundleDepsUsage() {
  return { used: new Set(), located: new Set() };
}

/** What no build that shared `usage` used: a rule or patch gone stale fails the build. */
export function checkAllUsed(usage) {
  const unused = [...RULES.filter((rule) => !usage.used.has(rule)).map((rule) => `${rule.importer} → ${rule.path}`), ...Object.keys(LOCATED).filter((key) => !usage.located.has(key))];
  if (unused.length > 0) throw new Error(`bundle-deps: never used ${unused.join(', ')}: update scripts/bundle-deps.mjs`);
}

/** The esbuild plugin; with `shared` (bundleDepsUsage()), checkAllUsed is the caller's, after all its builds. */
export function bundleDepsPlugin(root, shared) {
  const from = join(root, 'package.json');
  // A file whose lookups start from its package's installed main module must sit beside it, as
  // resolved along its chain, or they would find another copy (or directory) than the one bundled.
  const expectedDir = new Map(Object.entries(CHAINS).map(([pkg, chain]) => [pkg, dirname(installedMain(from, chain))]));
  const besideMain = (file, key, pkg) => {
    if (expectedDir.get(pkg) !== dirname(file)) throw new Error(`${file} is not beside ${pkg}'s main module as resolved from ignite-net (${expectedDir.get(pkg)})`);
    if (!key.startsWith(`${pkg}/`)) throw new Error(`${key} is not in ${pkg}: update scripts/bundle-deps.mjs`);
  };
  const virtual = new Map([
    ['ignite-net:installed', () => ({ contents: INSTALLED_MODULE, loader: 'js' })],
    ['ignite-net:etcd3-rpc-proto', () => {
      const { source, resolveDir } = etcd3RpcModule(installedMain(from, ['etcd3']));
      return { contents: source, loader: 'js', resolveDir };
    }],
  ]);
  const rules = new Map(RULES.map((rule) => [`${rule.importer}\0${rule.path}`, rule]));
  const { used, located } = shared ?? bundleDepsUsage();
  const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const filter = new RegExp(`^(${[...new Set(RULES.map((rule) => escape(rule.path)))].join('|')})$`);
  return {
    name: 'bundle-deps',
    setup(build) {
      build.onResolve({ filter: /^ignite-net:/ }, (args) => ({ path: args.path, namespace: 'ignite-net' }));
      build.onResolve({ filter }, (args) => {
        const key = packagePath(args.importer);
        const rule = key === undefined ? undefined : rules.get(`${key}\0${args.path}`);
        if (!rule) return undefined;
        if (rule.installed) {
          besideMain(args.importer, key, rule.installed);
          const require = createRequire(installedMain(from, CHAINS[rule.installed]));
          for (const file of [rule.path, ...(rule.needs ?? [])]) require.resolve(file);
        }
        const path = `${rule.importer} → ${rule.path}`;
        virtual.set(path, () => ({ ...ruleModule(rule), resolveDir: root }));
        used.add(rule);
        return { path, namespace: 'ignite-net' };
      });
      build.onLoad({ filter: /.*/, namespace: 'ignite-net' }, (args) => {
        const load = virtual.get(args.path);
        if (!load) throw new Error(`bundle-deps: no module ${args.path}`);
        return { resolveDir: root, ...load() };
      });
      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.[cm]?js$/ }, (args) => {
        const key = packagePath(args.path);
        const spec = key === undefined ? undefined : LOCATED[key];
        let source = readFileSync(args.path, 'utf8');
        if (spec) {
          besideMain(args.path, key, spec.pkg);
          source = locate(source, key, spec);
          located.add(key);
        }
        const location = LOCATION_INDEPENDENT.has(key) ? null : source.match(/\b__(dirname|filename)\b|\bimport\.meta\b/);
        if (location) throw new Error(`${args.path} uses ${location[0]}, which in the bundle would not be its own: add a rule to scripts/bundle-deps.mjs`);
        return { contents: source, loader: 'js' };
      });
      build.onEnd((result) => {
        if (result.errors.length > 0 || shared !== undefined) return;
        checkAllUsed({ used, located });
      });
    },
  };
}
