/**
 * What scripts/build.mjs needs to bundle the dependencies soundly into the commands' chunks: patches
 * to dockerode, etcd3, grpc-js and ink, and which parts of them still load at run time from
 * node_modules. (The other packages bundle as they are; the checks below cover them too.)
 *
 * Why: loaded from node_modules, importing the status command took ~240 ms (~80 bundled): Node
 * resolving, reading and wrapping some 300 CommonJS files, etcd3 parsing its .proto text on every
 * run, and docker-modem loading ssh2 (and its native addons) though only ssh:// hosts use it.
 *
 * What keeps the bundle sound:
 * - etcd3's `loadSync(rpc.proto)` at load time becomes a module generated here (etcd3RpcModule):
 *   the same package definition, from protobufjs JSON made at build time. test/unit/build-deps.test.ts
 *   checks it against proto-loader's own output, message by message.
 * - Code that needs its real location (`__dirname`, native addons) is left out and loaded at first
 *   use from the installed package, resolved as Node resolves it from the module that requires it:
 *   docker-modem's ssh agent (ssh2), dockerode's BuildKit session and trace decoding, the
 *   proto-loader grpc-js loads for channelz/ORCA, and ink's React DevTools hook (DEV=true). So the
 *   dependencies stay `dependencies`.
 * - Each patch must match its text exactly once, and a bundled module that still names `__dirname`,
 *   `__filename` or `import.meta` (all of which would now point at dist/) fails the build, unless
 *   listed in LOCATION_INDEPENDENT: a dependency update cannot silently break a run-time path.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * A patched package, as the chain of packages that leads to it from ignite-net's dependencies: the
 * run-time lookup walks the same chain, so it finds the copy Node would have loaded.
 */
const CHAINS = {
  ink: ['ink'],
  dockerode: ['dockerode'],
  'docker-modem': ['dockerode', 'docker-modem'],
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
function installedMain(chain) {
  let main = fileURLToPath(import.meta.url);
  for (const name of chain) main = createRequire(main).resolve(name);
  return main;
}
/** require() as chain's last package's main module has it. */
export const installedRequire = (chain) => createRequire(installedMain(chain));
/** That module's directory: the __dirname of the files beside it. */
export const installedDir = (chain) => dirname(installedMain(chain));
/** The URL of \`file\` beside that module, for import(). */
export const installedUrl = (chain, file) => pathToFileURL(join(installedDir(chain), file)).href;
`;

const installed = (helper, pkg) => `require("ignite-net:installed").${helper}(${JSON.stringify(CHAINS[pkg])})`;

/** The options etcd3 passes to loadSync; a change fails the build (the generated module assumes them). */
const ETCD3_PROTO_OPTIONS = '{ keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, }';
const ETCD3_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

/**
 * Per file (path under node_modules): text replacements, each matching exactly once; `dirname`, the
 * package whose installed directory stands in for `__dirname`; `installed`, what the replacements
 * load from beside the package's installed main module (checked to resolve at build time).
 */
const PATCHES = {
  'etcd3/lib/connection-pool.js': {
    replace: [
      ['const proto_loader_1 = require("@grpc/proto-loader");\n', ''],
      [
        /const packageDefinition = \(0, proto_loader_1\.loadSync\)\(`\$\{__dirname\}\/\.\.\/proto\/rpc\.proto`, (\{[^}]*\})\);/,
        (_match, options) => {
          if (options.replace(/\s+/g, ' ') !== ETCD3_PROTO_OPTIONS) throw new Error(`etcd3 now loads rpc.proto with ${options}: update ETCD3_PROTO_OPTIONS in scripts/bundle-deps.mjs`);
          return 'const packageDefinition = require("ignite-net:etcd3-rpc-proto");';
        },
      ],
    ],
  },
  'docker-modem/lib/modem.js': {
    replace: [["ssh = require('./ssh'),", `ssh = function (opt) { return ${installed('installedRequire', 'docker-modem')}('./ssh')(opt); },`]],
    installed: ['docker-modem', './ssh', 'ssh2'],
  },
  'dockerode/lib/docker.js': {
    replace: [
      ["withSession = require('./session'),", `withSession = function () { return ${installed('installedRequire', 'dockerode')}('./session').apply(this, arguments); },`],
      ["var buildkit = require('./buildkit');", `var buildkit = ${installed('installedRequire', 'dockerode')}('./buildkit');`],
    ],
    installed: ['dockerode', './session', './buildkit'],
  },
  // React DevTools (DEV=true) as ink does it unbundled: its own react-devtools-core (an optional
  // peer, usually absent: ink then prints how to install it), and ws, resolved from ink.
  'ink/build/reconciler.js': {
    replace: [
      ["import process from 'node:process';\n", `import process from 'node:process';\nimport { installedUrl as __installedUrl } from "ignite-net:installed";\n`],
      ["await import('./devtools.js');", `await import(__installedUrl(${JSON.stringify(CHAINS.ink)}, './devtools.js'));`],
    ],
    installed: ['ink', './devtools.js'],
  },
  '@grpc/grpc-js/build/src/channelz.js': {
    replace: [["require('@grpc/proto-loader')", `${installed('installedRequire', '@grpc/grpc-js')}('@grpc/proto-loader')`]],
    dirname: '@grpc/grpc-js',
    installed: ['@grpc/grpc-js', '@grpc/proto-loader', '../../proto/channelz.proto'],
  },
  '@grpc/grpc-js/build/src/orca.js': {
    replace: [["require('@grpc/proto-loader')", `${installed('installedRequire', '@grpc/grpc-js')}('@grpc/proto-loader')`]],
    dirname: '@grpc/grpc-js',
    installed: ['@grpc/grpc-js', '@grpc/proto-loader', '../../proto/xds/xds/service/orca/v3/orca.proto'],
  },
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

function patch(source, key, spec) {
  let out = source;
  for (const [from, to] of spec.replace) {
    const hits = typeof from === 'string' ? out.split(from).length - 1 : (out.match(new RegExp(from.source, 'g')) ?? []).length;
    if (hits !== 1) throw new Error(`${key}: expected ${String(from)} once, found it ${hits} times: update scripts/bundle-deps.mjs`);
    out = out.replace(from, typeof to === 'string' ? () => to : to);
  }
  if (spec.dirname) out = out.replace(/\b__dirname\b/g, () => `(${installed('installedDir', spec.dirname)})`);
  return out;
}

/**
 * etcd3's rpc.proto (with kv.proto and auth.proto) as a CommonJS module that exports what
 * `loadSync(rpc.proto, ETCD3_OPTIONS)` returns: for each service, method definitions with the same
 * serializers (protobufjs types from JSON parsed here, so no .proto text is parsed at run time), and
 * for each message and enum its descriptor. The protobufjs root is built at the first call, the
 * descriptors (gRPC reflection data, unused by a client) at first access.
 *
 * `etcd3Main` is etcd3's main module; protobufjs and proto-loader are the ones proto-loader and
 * etcd3 resolve from there. Returns the source and the directory to resolve its require() from.
 */
export function etcd3RpcModule(etcd3Main) {
  const loaderMain = createRequire(etcd3Main).resolve('@grpc/proto-loader');
  const protoLoader = createRequire(etcd3Main)('@grpc/proto-loader');
  const protobuf = createRequire(loaderMain)('protobufjs');
  const file = join(dirname(etcd3Main), '..', 'proto', 'rpc.proto');

  const definition = protoLoader.loadSync(file, ETCD3_OPTIONS);
  const root = new protobuf.Root().loadSync(file, ETCD3_OPTIONS);
  root.resolveAll();

  const entries = [];
  const services = {};
  const types = {};
  let files;
  for (const [name, value] of Object.entries(definition)) {
    if ('format' in value) {
      entries.push([name, value.format]);
      types[name] = value.type;
      files ??= value.fileDescriptorProtos;
      continue;
    }
    entries.push([name, null]);
    const service = root.lookupService(name);
    services[name] = Object.entries(value).map(([method, m]) => {
      const reflected = service.methods[method];
      const requestType = reflected.resolvedRequestType.fullName.slice(1);
      const responseType = reflected.resolvedResponseType.fullName.slice(1);
      if (m.path !== `/${name}/${method}` || m.requestType.type.name !== requestType.split('.').pop()) throw new Error(`rpc.proto: unexpected definition of ${name}.${method}`);
      files ??= m.requestType.fileDescriptorProtos;
      return [method, m.requestStream, m.responseStream, m.originalName, requestType, responseType, m.options];
    });
  }
  const descriptors = JSON.stringify({ types, files: (files ?? []).map((buffer) => buffer.toString('base64')) });

  const source = `"use strict";
// Generated by scripts/bundle-deps.mjs from etcd3's proto/rpc.proto: what proto-loader's
// loadSync(rpc.proto, ${ETCD3_PROTO_OPTIONS}) returns, without parsing .proto text.
const { Root } = require("protobufjs/light");
const OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
const ROOT = ${JSON.stringify(JSON.stringify(root.toJSON()))};
const DESCRIPTORS = ${JSON.stringify(descriptors)};
const ENTRIES = ${JSON.stringify(entries)};
const SERVICES = ${JSON.stringify(services)};

let root;
function lookupType(name) {
  if (!root) {
    root = Root.fromJSON(JSON.parse(ROOT));
    root.resolveAll();
  }
  return root.lookupType(name);
}
let descriptors;
function descriptor() {
  if (!descriptors) {
    const parsed = JSON.parse(DESCRIPTORS);
    descriptors = { types: parsed.types, files: parsed.files.map((b64) => Buffer.from(b64, "base64")) };
  }
  return descriptors;
}
function typeDefinition(name, format) {
  return {
    format,
    get type() { return descriptor().types[name]; },
    get fileDescriptorProtos() { return descriptor().files; },
  };
}
// As proto-loader's createSerializer/createDeserializer, with the type looked up at the first call.
function createSerializer(name) {
  let cls;
  return function serialize(arg) {
    cls ??= lookupType(name);
    if (Array.isArray(arg)) throw new Error(\`Failed to serialize message: expected object with \${cls.name} structure, got array instead\`);
    return cls.encode(cls.fromObject(arg)).finish();
  };
}
function createDeserializer(name) {
  let cls;
  return function deserialize(argBuf) {
    cls ??= lookupType(name);
    return cls.toObject(cls.decode(argBuf), OPTIONS);
  };
}
const MESSAGE = "Protocol Buffer 3 DescriptorProto";
const definition = {};
for (const [name, format] of ENTRIES) {
  if (format !== null) {
    definition[name] = typeDefinition(name, format);
    continue;
  }
  const service = {};
  for (const [method, requestStream, responseStream, originalName, requestType, responseType, options] of SERVICES[name]) {
    service[method] = {
      path: "/" + name + "/" + method,
      requestStream,
      responseStream,
      requestSerialize: createSerializer(requestType),
      requestDeserialize: createDeserializer(requestType),
      responseSerialize: createSerializer(responseType),
      responseDeserialize: createDeserializer(responseType),
      originalName,
      requestType: typeDefinition(requestType, MESSAGE),
      responseType: typeDefinition(responseType, MESSAGE),
      options,
    };
  }
  definition[name] = service;
}
module.exports = definition;
`;
  return { source, resolveDir: dirname(loaderMain) };
}

/**
 * The esbuild plugin: applies PATCHES, serves the two virtual modules, and fails the build on a
 * bundled module that still names its location (see the top of this file). `root` is ignite-net's
 * directory; the run-time lookups start from a chunk in dist/, one level below it.
 */
export function bundleDepsPlugin(root) {
  const from = join(root, 'package.json');
  // Each patched file must sit beside its package's main module as resolved along its chain, or
  // the run-time lookups would find another copy (or another directory) than the one bundled.
  const expectedDir = new Map(Object.entries(CHAINS).map(([pkg, chain]) => [pkg, dirname(installedMain(from, chain))]));
  const seen = new Set();
  return {
    name: 'bundle-deps',
    setup(build) {
      build.onResolve({ filter: /^ignite-net:/ }, (args) => ({ path: args.path, namespace: 'ignite-net' }));
      build.onLoad({ filter: /.*/, namespace: 'ignite-net' }, (args) => {
        if (args.path === 'ignite-net:installed') return { contents: INSTALLED_MODULE, loader: 'js', resolveDir: root };
        if (args.path === 'ignite-net:etcd3-rpc-proto') {
          const { source, resolveDir } = etcd3RpcModule(installedMain(from, ['etcd3']));
          return { contents: source, loader: 'js', resolveDir };
        }
        return undefined;
      });
      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.[cm]?js$/ }, (args) => {
        const key = packagePath(args.path);
        const spec = key === undefined ? undefined : PATCHES[key];
        let source = readFileSync(args.path, 'utf8');
        if (spec) {
          for (const pkg of Object.keys(CHAINS)) {
            if (key.startsWith(`${pkg}/`) && expectedDir.get(pkg) !== dirname(args.path)) {
              throw new Error(`${args.path} is not beside ${pkg}'s main module as resolved from ignite-net (${expectedDir.get(pkg)})`);
            }
          }
          if (spec.installed) {
            const [pkg, ...files] = spec.installed;
            const require = createRequire(installedMain(from, CHAINS[pkg]));
            for (const file of files) require.resolve(file);
          }
          source = patch(source, key, spec);
          seen.add(key);
        }
        const located = LOCATION_INDEPENDENT.has(key) ? null : source.match(/\b__(dirname|filename)\b|\bimport\.meta\b/);
        if (located) throw new Error(`${args.path} uses ${located[0]}, which in the bundle would not be its own: patch it in scripts/bundle-deps.mjs`);
        return { contents: source, loader: 'js' };
      });
      build.onEnd((result) => {
        if (result.errors.length > 0) return;
        const missing = Object.keys(PATCHES).filter((key) => !seen.has(key));
        if (missing.length > 0) throw new Error(`bundle-deps: never saw ${missing.join(', ')}: update scripts/bundle-deps.mjs`);
      });
    },
  };
}
