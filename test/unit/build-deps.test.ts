/**
 * Dependencies bundled into dist/ (scripts/build.mjs, scripts/bundle-deps.mjs; etcd3's generated
 * package definition has test/unit/etcd3-rpc.test.ts): no protobufjs reflection or code generation
 * is bundled; a bundle of dockerode, etcd3 and grpc-js loads nothing
 * from node_modules until a path that needs its installed files runs (ssh://, channelz), which then
 * still works; and the bundled ink UI renders what src/ renders.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { build } from 'esbuild';
import { REQUIRE_BANNER, bundleDepsPlugin, strayRequires } from '../../scripts/bundle-deps.mjs';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
/** A bundle of dockerode, etcd3, grpc-js and ink (every package with a rule) built as build.mjs builds the chunks, in a temporary package. */
const probe = (async () => {
  const pkg = await mkdtemp(join(tmpdir(), 'ignite-net-build-deps-'));
  await symlink(join(root, 'node_modules'), join(pkg, 'node_modules'));
  await mkdir(join(pkg, 'dist'));
  await writeFile(
    join(pkg, 'probe-entry.ts'),
    "export { default as Docker } from 'dockerode';\nexport { Etcd3 } from 'etcd3';\nexport * as grpc from '@grpc/grpc-js';\nexport * as ink from 'ink';\n",
  );
  await build({
    absWorkingDir: root,
    entryPoints: { probe: join(pkg, 'probe-entry.ts') },
    outdir: join(pkg, 'dist'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    splitting: true,
    plugins: [bundleDepsPlugin(root)],
    banner: { js: REQUIRE_BANNER },
    logLevel: 'error',
  });
  return pkg;
})();

/** <tmp>/{package.json,node_modules→repo's,dist/}: the real build. */
const built = (async () => {
  const pkg = await mkdtemp(join(tmpdir(), 'ignite-net-build-deps-dist-'));
  await copyFile(join(root, 'package.json'), join(pkg, 'package.json'));
  await symlink(join(root, 'node_modules'), join(pkg, 'node_modules'));
  await run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--outdir', join(pkg, 'dist')]);
  return join(pkg, 'dist');
})();

test.after.always(async () => {
  await rm(await probe, { recursive: true, force: true });
  await rm(dirname(await built), { recursive: true, force: true });
});

/** Runs ESM `code` beside the probe bundle in a fresh node; `loaded()` lists CommonJS files loaded from those packages. */
async function inProbe(code: string): Promise<unknown> {
  const script = join(await probe, 'dist', `run-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(
    script,
    `import { builtinModules, createRequire } from 'node:module';
import { Docker, Etcd3, grpc } from './probe.js';
const cache = createRequire(import.meta.url).cache;
const loaded = () => Object.keys(cache).filter((p) => /node_modules[\\\\/](ssh2|cpu-features|etcd3|@grpc|protobufjs|dockerode|docker-modem|cockatiel)[\\\\/]/.test(p)).map((p) => p.replace(/.*node_modules[\\\\/]/, ''));
const result = await (async () => { ${code} })();
process.stdout.write(JSON.stringify(result));
process.exit(0);
`,
  );
  const { stdout } = await run(process.execPath, [script], { timeout: 30_000 });
  return JSON.parse(stdout) as unknown;
}

test('the bundle loads nothing from node_modules for a unix socket, a tcp host or etcd over http and https', async (t) => {
  const result = await inProbe(`
    new Docker({ socketPath: '/var/run/docker.sock' });
    new Docker({ host: '127.0.0.1', port: 2375, protocol: 'http' });
    const plain = new Etcd3({ hosts: 'http://127.0.0.1:2379' });
    const tls = new Etcd3({ hosts: 'https://127.0.0.1:2379' });
    const ssl = grpc.credentials.createSsl();
    plain.close(); tls.close();
    return { loaded: loaded(), secure: ssl._isSecure() };
  `);
  t.deepEqual(result, { loaded: [], secure: true });
});

test('ssh:// loads ssh2 from node_modules at first use, and it runs (connection refused on loopback)', async (t) => {
  const result = (await inProbe(`
    // Port 1 on loopback: nothing listens, so ssh2 fails to connect at once.
    const docker = new Docker({ protocol: 'ssh', host: '127.0.0.1', port: 1, username: 'nobody' });
    const before = loaded();
    const error = await docker.ping().then(() => 'answered', (e) => String(e && (e.code ?? e.message)));
    return { before, error, after: loaded().filter((p) => p.startsWith('ssh2')).length > 0 };
  `)) as { before: string[]; error: string; after: boolean };
  t.deepEqual(result.before, []);
  t.regex(result.error, /ECONNREFUSED/);
  t.true(result.after, 'ssh2 loaded');
});

test("grpc-js's channelz definition loads proto-loader and its .proto files from the installed grpc-js", async (t) => {
  const result = await inProbe(`
    const service = grpc.getChannelzServiceDefinition();
    return { methods: Object.keys(service).sort().slice(0, 2), fromInstalled: loaded().some((p) => p.startsWith('@grpc/proto-loader') || p.includes('proto-loader')) };
  `);
  t.deepEqual(result, { methods: ['GetChannel', 'GetServer'], fromInstalled: true });
});

test("dockerode's followProgress loads its BuildKit decoder from node_modules at first use, and it runs", async (t) => {
  const result = await inProbe(`
    const { PassThrough } = await import('node:stream');
    const docker = new Docker({ socketPath: '/var/run/docker.sock' });
    const before = loaded();
    const stream = new PassThrough();
    const output = new Promise((resolve, reject) => docker.followProgress(stream, (err, out) => (err ? reject(err) : resolve(out))));
    stream.end(JSON.stringify({ status: 'Pulling fs layer', id: 'abc' }) + '\\n');
    return { before, output: await output, after: loaded().includes('dockerode/lib/buildkit.js') };
  `);
  t.deepEqual(result, { before: [], output: [{ status: 'Pulling fs layer', id: 'abc' }], after: true });
});

test("ink's React DevTools hook (DEV=true) loads ink's devtools.js from node_modules, as unbundled", async (t) => {
  const dist = await built;
  let chunk: string | undefined;
  for (const file of await readdir(dist)) {
    if (/^export\s*\{[^}]*\bcreateInkReporter\b/m.test(await readFile(join(dist, file), 'utf8'))) chunk = join(dist, file);
  }
  if (chunk === undefined) return t.fail('no chunk exports createInkReporter');
  const importWithDev = async (url: string) => {
    const { stderr } = await run(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(url)});`], { env: { ...process.env, DEV: 'true' }, timeout: 30_000 });
    return stderr;
  };
  const bundled = await importWithDev(pathToFileURL(chunk).href);
  // react-devtools-core is an optional peer, not installed: ink says so, from the bundle as from node_modules.
  t.regex(bundled, /Ink tried to import `react-devtools-core`/);
  t.is(bundled, await importWithDev(pathToFileURL(join(root, 'node_modules', 'ink', 'build', 'index.js')).href));
  // What the bundle's stand-in imports is ink's own devtools.js (so not merely some missing file).
  const standIn = (await readdir(dist)).filter((file) => file.startsWith('devtools-'));
  t.is(standIn.length, 1);
  // `any`: Node's loader throws it from another realm, so it is no Error here.
  const error = (await t.throwsAsync(import(pathToFileURL(join(dist, standIn[0]!)).href), { any: true })) as { message?: string } | undefined;
  t.regex(error?.message ?? '', /'react-devtools-core' imported from .*[\\/]node_modules[\\/]ink[\\/]build[\\/]devtools\.js/);
});

test('dist/ imports no dependency by name: all are bundled', async (t) => {
  const dist = await built;
  const names = new Set<string>();
  for (const file of await readdir(dist)) {
    const source = await readFile(join(dist, file), 'utf8');
    for (const m of source.matchAll(/^\s*(?:import|export)\b[^;'"]*?(?:from\s*)?["']([^"'./][^"']*)["']/gm)) names.add(m[1]!);
    for (const m of source.matchAll(/\bimport\(\s*["']([^"'./][^"']*)["']\s*\)/g)) names.add(m[1]!);
  }
  t.deepEqual([...names].filter((name) => !name.startsWith('node:')), []);
});

test('dist/ requires nothing by name but Node built-ins: a package left to require() would resolve from dist/', async (t) => {
  const dist = await built;
  const stray: string[] = [];
  for (const file of await readdir(dist)) {
    const source = await readFile(join(dist, file), 'utf8');
    // esbuild's __require is what stays of a require() it did not bundle; comments may sit before the name.
    for (const m of source.matchAll(/\b__require(?:\.resolve)?\(\s*((?:\/\*[\s\S]*?\*\/\s*)*)([^)\s]?)/g)) {
      if (m[2] === '') continue; // `function __require() {`, esbuild's own helper
      const name = /^["']([^"']+)["']/.exec(source.slice(m.index + m[0].length - 1))?.[1];
      if (name === undefined || !(name.startsWith('node:') || builtinModules.includes(name))) stray.push(`${file}: ${name ?? 'a computed name'}`);
    }
  }
  t.deepEqual(stray, []);
});

test("dist/ bundles protobufjs' minimal build only: etcd3's types need no reflection and no code generation at run time", async (t) => {
  const dist = await built;
  const found: string[] = [];
  for (const file of await readdir(dist)) {
    const source = await readFile(join(dist, file), 'utf8');
    // @protobufjs/codegen, protobufjs' Root and Type (what built etcd3's types before scripts/etcd3-rpc.mjs).
    for (const text of ['codegen.verbose', 'Root.fromJSON = ', 'Type.prototype.setup = ']) if (source.includes(text)) found.push(`${file}: ${text}`);
  }
  t.deepEqual(found, []);
});

test('strayRequires flags a package, a computed name and require.resolve, not a built-in or a deliberate load', (t) => {
  const source = [
    '__require("fs"); __require("node:path"); __require(\n  /* webpackIgnore: true */\n  "fs"\n);',
    '__require("supports-color"); __require(name); __require.resolve("ssh2");',
    'installedRequire(["dockerode"])("./session"); function __require() {}',
  ].join('\n');
  t.deepEqual(strayRequires(source), ['__require("supports-color")', '__require(name)', '__require.resolve("ssh2")']);
});

/** What the ink reporter draws for one run, from `modulePath` (src through tsx, or a dist chunk), as CI would see it. */
async function inkScreen(modulePath: string, nodeArgs: string[]): Promise<{ stderr: string; stdout: string }> {
  const script = join(await built, '..', `ink-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(
    script,
    `import { EventEmitter } from 'node:events';
const { createInkReporter } = await import(${JSON.stringify(pathToFileURL(modulePath).href)});
class Capture extends EventEmitter {
  constructor(isTTY) { super(); this.isTTY = isTTY; this.columns = 60; this.rows = 40; this.text = ''; }
  write(chunk) { this.text += chunk; return true; }
}
class Stdin extends EventEmitter {
  isTTY = true; read() { return null; } setEncoding() {} setRawMode() {} resume() {} pause() {} ref() {} unref() {}
}
const stdout = new Capture(false);
const stderr = new Capture(true);
const reporter = createInkReporter({ stdout, stderr, stdin: new Stdin(), env: {} }, { onInterrupt: () => {} });
reporter.emit({ type: 'command-start', command: 'init' });
reporter.emit({ type: 'step-start', id: 'etcd', title: 'Start etcd' });
reporter.emit({ type: 'step-success', id: 'etcd', title: 'Start etcd', durationMs: 900 });
reporter.emit({ type: 'step-start', id: 'flannel', title: 'Start flannel' });
reporter.emit({ type: 'summary', title: 'Overlay network ready', lines: [{ label: 'subnet', value: '10.50.31.0/24' }], next: ['ignite-net join 10.0.0.1'] });
reporter.emit({ type: 'command-end', ok: true, exitCode: 0, durationMs: 1000, leftInPlace: [] });
await reporter.close();
process.stdout.write(JSON.stringify({ stderr: stderr.text, stdout: stdout.text }));
`,
  );
  try {
    const { stdout } = await run(process.execPath, [...nodeArgs, script], { timeout: 60_000, env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
    const screen = JSON.parse(stdout) as { stderr: string; stdout: string };
    // The running step shows seconds elapsed: the one thing that may differ between two runs.
    return { ...screen, stderr: screen.stderr.replace(/(Start flannel )\d+s/, '$1<n>s') };
  } finally {
    await rm(script, { force: true });
  }
}

test('the bundled ink UI (ink, react, ink-spinner, yoga) draws what src/ draws', async (t) => {
  const dist = await built;
  let chunk: string | undefined;
  for (const file of await readdir(dist)) {
    if (/^export\s*\{[^}]*\bcreateInkReporter\b/m.test(await readFile(join(dist, file), 'utf8'))) chunk = join(dist, file);
  }
  if (chunk === undefined) return t.fail('no chunk exports createInkReporter');
  // ink throttles its frames by time, so under heavy load one run may write a frame the other merged:
  // a real difference between bundle and src shows in every attempt, a timing one not in all three.
  let bundled = await inkScreen(chunk, []);
  let fromSrc = await inkScreen(join(root, 'src', 'ui', 'ink', 'reporter.tsx'), ['--import', 'tsx']);
  for (let attempt = 2; attempt <= 3 && JSON.stringify(bundled) !== JSON.stringify(fromSrc); attempt++) {
    t.log(`attempt ${attempt}: the screens differed`);
    bundled = await inkScreen(chunk, []);
    fromSrc = await inkScreen(join(root, 'src', 'ui', 'ink', 'reporter.tsx'), ['--import', 'tsx']);
  }
  t.regex(bundled.stderr, /✔ Start etcd \(900ms\)/);
  t.regex(bundled.stderr, /│ subnet {2}10\.50\.31\.0\/24 *│/);
  t.deepEqual(bundled, fromSrc);
});
