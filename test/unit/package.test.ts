/**
 * The installable package (issue 14): `npm pack` gives a tarball with only what runs (dist/,
 * templates/, README.md, LICENSE, package.json), and `npm install -g` of it into an empty prefix,
 * offline, puts a working `ignite-net` in <prefix>/bin: the package has no dependency to fetch
 * (scripts/build.mjs bundles them all). Packed from a temporary copy of the package, built there,
 * so the repo's dist/ (which the e2e tests run) is never rebuilt under them.
 */
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string>; files: string[]; dependencies?: object };

/** A temp dir with <pkg>/ (the package, built), the tarball, and <prefix>/ with it installed. */
const installed = (async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ignite-net-package-'));
  const copy = join(dir, 'pkg');
  await mkdir(copy);
  for (const file of ['package.json', 'README.md', 'LICENSE']) await copyFile(join(root, file), join(copy, file));
  await cp(join(root, 'templates'), join(copy, 'templates'), { recursive: true });
  await symlink(join(root, 'node_modules'), join(copy, 'node_modules'));
  await run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--outdir', join(copy, 'dist')]);
  // --ignore-scripts: prepack would build again (the same build as above).
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: copy });
  const [info] = JSON.parse(packed.stdout) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  if (info === undefined) throw new Error(`npm pack said: ${packed.stdout}`);
  const tarball = join(dir, info.filename);
  const prefix = join(dir, 'prefix');
  // --offline: a dependency to fetch would fail the install rather than reach the registry.
  const install = await run('npm', ['install', '-g', tarball, '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
  const du = await run('du', ['-sb', join(prefix, 'lib', 'node_modules', pkg.name)]);
  return { dir, info, tarball, prefix, install, installedBytes: Number(du.stdout.split('\t')[0]) };
})();

test.after.always(async () => {
  await rm((await installed).dir, { recursive: true, force: true });
});

test('package.json: no run-time dependencies, a bin, and files limited to dist/ and templates/', (t) => {
  t.is(pkg.dependencies, undefined, 'every package is bundled into dist/ (scripts/build.mjs)');
  t.deepEqual(pkg.bin, { 'ignite-net': 'dist/cli.js' });
  t.deepEqual(pkg.files, ['dist', 'templates']);
});

test('npm pack: only what runs — dist/*.js, the commands bundle and its code cache, the conflist template, README.md, LICENSE, package.json', async (t) => {
  const { info } = await installed;
  const paths = info.files.map((f) => f.path).sort();
  t.deepEqual(paths.filter((p) => !/^dist\/[\w.-]+\.js$/.test(p)), ['LICENSE', 'README.md', 'dist/commands.cjs', 'dist/commands.cjs.cache', 'package.json', 'templates/10-flannel.conflist.json']);
  t.true(paths.includes('dist/cli.js'));
  t.false(paths.some((p) => p.startsWith('src/') || p.startsWith('test/') || p.startsWith('node_modules/') || p.endsWith('.map')));
  t.is(info.filename, `${pkg.name}-${pkg.version}.tgz`);
  // Sizes as docs/development.md gives them (about 2.0 MB packed, 7.1 MB unpacked, 3.1 MB of it the
  // code cache): a tarball that grows past 2.5 MB has taken in something that does not run.
  t.true(info.size < 2_500_000, `tarball ${info.size} bytes`);
  t.log(`tarball ${(info.size / 1e6).toFixed(2)} MB, unpacked ${(info.unpackedSize / 1e6).toFixed(2)} MB, ${info.files.length} files`);
});

test('npm install -g of the tarball (offline, empty prefix) puts a working ignite-net in <prefix>/bin', async (t) => {
  const { prefix, install, installedBytes, info } = await installed;
  t.is(install.stderr.trim(), '');
  const bin = join(prefix, 'bin', 'ignite-net');
  t.true((await stat(bin)).isFile() || (await stat(bin)).isSymbolicLink());
  // Nothing beside the package itself was installed.
  const modules = await run('ls', ['-A', join(prefix, 'lib', 'node_modules', pkg.name)]);
  t.deepEqual(modules.stdout.trim().split('\n').sort(), ['LICENSE', 'README.md', 'dist', 'package.json', 'templates']);
  // Run as an operator would: by name, from the PATH, nowhere near the repo.
  const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env['PATH'] ?? ''}`, NODE_OPTIONS: '' };
  const version = await run('ignite-net', ['--version'], { env, cwd: tmpdir() });
  t.is(version.stdout, `${pkg.version}\n`);
  const help = await run('ignite-net', ['--help'], { env, cwd: tmpdir() });
  t.regex(help.stdout, /^ignite-net — turn Linux hosts into one Flannel overlay network/);
  t.regex(help.stdout, /^ {2}init +Start etcd and flannel here/m);
  // A command's chunks load too (dockerode bundled): with no Docker at that socket, its one-line error.
  const logs = await run('ignite-net', ['logs', '--docker-host', `unix://${join(prefix, 'no.sock')}`], { env, cwd: tmpdir() }).catch((e: { code: number; stderr: string }) => e);
  t.like(logs, { code: 4 });
  t.regex((logs as { stderr: string }).stderr, /^error: Docker Engine is not reachable at unix:\/\/.*no\.sock \(no such socket\)$/m);
  // The completion chunk, from the installed copy.
  t.regex((await run('ignite-net', ['completion', 'bash'], { env })).stdout, /^complete -F _ignite_net ignite-net$/m);
  t.true(installedBytes < 8_000_000, `installed ${installedBytes} bytes`);
  t.log(`installed ${(installedBytes / 1e6).toFixed(2)} MB (tarball ${(info.size / 1e6).toFixed(2)} MB)`);
});
