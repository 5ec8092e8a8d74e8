/**
 * Test images built on this machine, since no registry can be reached (see DESIGN.md, "Testing with real
 * parts on a machine without a container registry"). Both mirror the upstream layouts, so the product's
 * code path is the one a real user runs:
 *
 * - TEST_ETCD_IMAGE: Debian's etcd 3.4 binaries at /usr/local/bin/etcd and /usr/local/bin/etcdctl plus the
 *   libraries `ldd` lists; no entrypoint (the command names the binary), like gcr.io/etcd-development/etcd.
 * - TEST_FLANNEL_IMAGE: the flannel STAND-IN test fixture (test/fixtures/flannel-standin/, NOT flannel),
 *   entrypoint /opt/bin/flanneld like ghcr.io/flannel-io/flannel, and /bin/sh and /bin/cat (Debian's
 *   static busybox) as upstream's alpine base has: the secure flannel spec's entrypoint is a shell.
 * - TEST_CNI_PLUGIN_IMAGE: the layout of ghcr.io/flannel-io/flannel-cni-plugin (the plugin at /flannel, no
 *   entrypoint), but its /flannel is a TEST FIXTURE shell script doing flannel's delegation to bridge/host-local (TEST_CNI_PLUGIN_SCRIPT).
 *
 * Each image carries a content hash label; `ensureTestImages` rebuilds only when that hash changes.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import Dockerode from 'dockerode';
import { build } from 'esbuild';
import { writeTar, type TarEntry } from './tar.js';

export const TEST_ETCD_IMAGE = 'ignite-net-test/etcd:3.4';
export const TEST_FLANNEL_IMAGE = 'ignite-net-test/flannel-standin:latest';
export const TEST_CNI_PLUGIN_IMAGE = 'ignite-net-test/flannel-cni-plugin:latest';

/**
 * The test image's /flannel, a TEST FIXTURE doing what flannel's CNI plugin (v1.9.1) does: VERSION as it
 * answers; ADD reads /run/flannel/subnet.env and delegates to `bridge` (found in CNI_PATH) with the
 * conflist's `delegate` over host-local with this host's subnet (masked to its network address), MTU and
 * ipMasq = !FLANNEL_IPMASQ, keeping the delegate's config in /var/lib/cni/flannel/<container ID>; DEL
 * delegates with that kept config and removes it. Needs sh and jq.
 */
export const TEST_CNI_PLUGIN_SCRIPT = [
  '#!/bin/sh',
  '# ignite-net TEST FIXTURE standing in for the flannel CNI plugin (delegates to bridge + host-local).',
  'set -e',
  'fail() { printf \'{"cniVersion":"1.0.0","code":%s,"msg":"ignite-net test flannel plugin: %s"}\\n\' "$1" "$2"; exit 1; }',
  'if [ "$CNI_COMMAND" = VERSION ]; then',
  '  echo \'{"cniVersion":"1.0.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0"]}\'',
  '  exit 0',
  'fi',
  'dir=/var/lib/cni/flannel; kept="$dir/$CNI_CONTAINERID"',
  'bridge=; IFS=:; for d in $CNI_PATH; do [ -x "$d/bridge" ] && { bridge="$d/bridge"; break; }; done; unset IFS',
  '[ -n "$bridge" ] || fail 7 "bridge not found in CNI_PATH"',
  'case "$CNI_COMMAND" in',
  'ADD)',
  '  [ -r /run/flannel/subnet.env ] || fail 11 "open /run/flannel/subnet.env: no such file"',
  '  . /run/flannel/subnet.env',
  '  masq=true; [ "$FLANNEL_IPMASQ" = true ] && masq=false',
  '  conf=$(jq -c --arg net "$FLANNEL_NETWORK" --arg sub "$FLANNEL_SUBNET" --argjson mtu "$FLANNEL_MTU" --argjson masq "$masq" \'',
  '    def network: split("/") as [$ip, $len] | pow(2; 32 - ($len | tonumber)) as $b',
  '      | ($ip | split(".") | map(tonumber) | .[0] * 16777216 + .[1] * 65536 + .[2] * 256 + .[3]) as $n',
  '      | (($n / $b | floor) * $b) as $m',
  '      | [($m / 16777216 | floor) % 256, ($m / 65536 | floor) % 256, ($m / 256 | floor) % 256, $m % 256] | map(tostring) | join(".") + "/" + $len;',
  '    {cniVersion, name, type: "bridge", ipMasq: $masq, mtu: $mtu} + (.delegate // {})',
  '    + {isGateway: true, ipam: {type: "host-local", ranges: [[{subnet: ($sub | network)}]], routes: [{dst: $net}]}}\')',
  '  mkdir -p "$dir"',
  '  printf \'%s\' "$conf" > "$kept"',
  '  printf \'%s\' "$conf" | exec "$bridge" ;;',
  'DEL)',
  '  [ -f "$kept" ] || exit 0',
  '  "$bridge" < "$kept"',
  '  rm -f "$kept" ;;',
  'CHECK) exit 0 ;;',
  '*) fail 4 "unknown CNI_COMMAND $CNI_COMMAND" ;;',
  'esac',
  '',
].join('\n');

/** Label on both images: marks them as test fixtures (never `io.ignite-net.managed`, which cleanup owns). */
export const TEST_FIXTURE_LABEL = 'io.ignite-net.test.fixture';
export const TEST_HASH_LABEL = 'io.ignite-net.test.content-hash';

/** Bumped when the way an image is assembled changes, so old images are rebuilt. */
const LAYOUT_VERSION = '1';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const STANDIN_SOURCE_DIR = join(REPO_ROOT, 'test/fixtures/flannel-standin');
const CACHE_DIR = join(REPO_ROOT, '.cache/flannel-standin');
/** The bundle sits in bin/ with etcd3's protos in ../proto, where etcd3 looks for them (`${__dirname}/../proto`). */
export const STANDIN_BUNDLE = join(CACHE_DIR, 'bin/flanneld.cjs');

const IMAGE_PATH_ENV = 'PATH=/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function sha256(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

function which(name: string, hint: string): string {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin'])) {
    const p = join(dir, name);
    if (dir !== '' && existsSync(p)) return realpathSync(p);
  }
  throw new Error(`${name} not found on this machine (${hint})`);
}

/** The shared libraries and loader `ldd` lists for `binary`, as the absolute paths the loader will open. */
export function lddLibraries(binary: string): string[] {
  let out: string;
  try {
    // stderr piped: a static binary's "not a dynamic executable" is no news.
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return []; // "not a dynamic executable": a static binary needs nothing more
  }
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}

/** Files (host source -> image path) plus the directory entries their parents need. */
function withParents(files: TarEntry[], extraDirs: { path: string; mode?: number }[] = []): TarEntry[] {
  const dirs = new Map<string, number>();
  const addParents = (p: string): void => {
    for (let d = posix.dirname(p); d !== '/' && d !== '.'; d = posix.dirname(d)) if (!dirs.has(d)) dirs.set(d, 0o755);
  };
  for (const f of files) addParents(f.path);
  for (const d of extraDirs) {
    addParents(d.path + '/x');
    dirs.set(d.path, d.mode ?? 0o755);
  }
  const dirEntries: TarEntry[] = [...dirs.entries()]
    .sort(([a], [b]) => a.split('/').length - b.split('/').length || a.localeCompare(b))
    .map(([path, mode]) => ({ type: 'dir', path, mode }));
  // The same library can be listed for several binaries: keep the first entry per path.
  const seen = new Set<string>();
  const unique = files.filter((f) => (seen.has(f.path) ? false : (seen.add(f.path), true)));
  return [...dirEntries, ...unique];
}

function libraryEntries(binaries: string[]): TarEntry[] {
  return binaries
    .flatMap((b) => lddLibraries(b))
    .map((lib): TarEntry => ({ type: 'file', path: lib, source: realpathSync(lib), mode: 0o755 }));
}

// ------------------------------------------------------------------------------------------- the bundle

let bundlePromise: Promise<{ path: string; hash: string }> | undefined;

/**
 * Bundles the stand-in into one CommonJS file (etcd3 and grpc included) at STANDIN_BUNDLE, with etcd3's
 * protos beside it. Rewritten only when its content changes. Returns the path and a content hash.
 */
export function buildStandinBundle(): Promise<{ path: string; hash: string }> {
  bundlePromise ??= (async () => {
    const result = await build({
      entryPoints: [join(STANDIN_SOURCE_DIR, 'main.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      write: false,
      logLevel: 'silent',
      legalComments: 'none',
    });
    const code = result.outputFiles[0]?.text;
    if (code === undefined) throw new Error('esbuild produced no output for the flannel stand-in');
    const protoSrc = join(dirname(fileURLToPath(import.meta.resolve('etcd3'))), '../proto');
    const protos = readdirSync(protoSrc).filter((f) => f.endsWith('.proto')).sort();
    const protoDir = join(CACHE_DIR, 'proto');
    mkdirSync(dirname(STANDIN_BUNDLE), { recursive: true });
    mkdirSync(protoDir, { recursive: true });
    const protoData = protos.map((f) => readFileSync(join(protoSrc, f)));
    protos.forEach((f, i) => writeIfChanged(join(protoDir, f), protoData[i] ?? Buffer.alloc(0)));
    writeIfChanged(STANDIN_BUNDLE, Buffer.from(code));
    return { path: STANDIN_BUNDLE, hash: sha256(code, ...protos, ...protoData) };
  })();
  const p = bundlePromise;
  p.catch(() => {
    bundlePromise = undefined;
  });
  return p;
}

function writeIfChanged(path: string, data: Buffer): void {
  if (existsSync(path) && readFileSync(path).equals(data)) return;
  // Other test workers may read it right now: write beside it and rename.
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, data, { mode: 0o755 });
  renameSync(tmp, path);
}

// ----------------------------------------------------------------------------------------- image specs

interface ImageSpec {
  name: string;
  hash: string;
  changes: string[];
  entries: () => TarEntry[];
}

function etcdSpec(): ImageSpec {
  const hint = 'apt-get install etcd-server etcd-client';
  const etcd = which('etcd', hint);
  const etcdctl = which('etcdctl', hint);
  const hash = sha256(LAYOUT_VERSION, readFileSync(etcd), readFileSync(etcdctl));
  return {
    name: TEST_ETCD_IMAGE,
    hash,
    changes: [
      `ENV ${IMAGE_PATH_ENV}`,
      // Upstream's etcd image has no entrypoint; its default command is the server.
      'CMD ["/usr/local/bin/etcd"]',
      `LABEL ${TEST_FIXTURE_LABEL}=etcd`,
      `LABEL ${TEST_HASH_LABEL}=${hash}`,
    ],
    entries: () =>
      withParents(
        [
          { type: 'file', path: '/usr/local/bin/etcd', source: etcd, mode: 0o755 },
          { type: 'file', path: '/usr/local/bin/etcdctl', source: etcdctl, mode: 0o755 },
          ...libraryEntries([etcd, etcdctl]),
        ],
        [{ path: '/tmp', mode: 0o1777 }, { path: '/var/etcd' }, { path: '/var/lib/etcd' }],
      ),
  };
}

async function flannelSpec(): Promise<ImageSpec> {
  const bundle = await buildStandinBundle();
  const node = realpathSync(process.execPath);
  const ipBin = which('ip', 'apt-get install iproute2');
  // The vxlan backend's FDB entries are made with iproute2's `bridge` (flannel uses netlink for them).
  const bridgeBin = which('bridge', 'apt-get install iproute2');
  const busybox = which('busybox', 'apt-get install busybox-static');
  const nodeStat = statSync(node);
  // The node binary is ~100 MB: its path, size and mtime identify it well enough, and cheaply.
  const hash = sha256(LAYOUT_VERSION, bundle.hash, node, String(nodeStat.size), String(nodeStat.mtimeMs), process.version, readFileSync(ipBin), 'bridge', readFileSync(bridgeBin), 'busybox', readFileSync(busybox));
  const protoDir = join(CACHE_DIR, 'proto');
  return {
    name: TEST_FLANNEL_IMAGE,
    hash,
    changes: [
      `ENV ${IMAGE_PATH_ENV}`,
      'ENTRYPOINT ["/opt/bin/flanneld"]',
      `LABEL ${TEST_FIXTURE_LABEL}=flannel-standin`,
      `LABEL ${TEST_HASH_LABEL}=${hash}`,
      'LABEL org.opencontainers.image.description="ignite-net TEST FIXTURE: flannel stand-in, not flannel"',
    ],
    entries: () => {
      // The kernel runs /opt/bin/flanneld through its shebang (the image's own entrypoint needs no shell),
      // and a file without extension outside any package.json scope is loaded by node as CommonJS.
      // /bin/sh and /bin/cat are busybox, as on upstream's alpine base, for the secure spec's entrypoint.
      const code = readFileSync(bundle.path, 'utf8').replace(/^#!.*\n/, '');
      return withParents(
        [
          { type: 'file', path: '/opt/bin/node', source: node, mode: 0o755 },
          { type: 'file', path: '/opt/bin/flanneld', content: `#!/opt/bin/node\n${code}`, mode: 0o755 },
          ...readdirSync(protoDir)
            .filter((f) => f.endsWith('.proto'))
            .sort()
            .map((f): TarEntry => ({ type: 'file', path: `/opt/proto/${f}`, source: join(protoDir, f) })),
          { type: 'file', path: '/usr/sbin/ip', source: ipBin, mode: 0o755 },
          { type: 'symlink', path: '/sbin/ip', target: '/usr/sbin/ip' },
          { type: 'file', path: '/usr/sbin/bridge', source: bridgeBin, mode: 0o755 },
          { type: 'file', path: '/bin/busybox', source: busybox, mode: 0o755 },
          { type: 'symlink', path: '/bin/sh', target: '/bin/busybox' },
          { type: 'symlink', path: '/bin/cat', target: '/bin/busybox' },
          // busybox-static needs none; a dynamic busybox brings its own.
          ...libraryEntries([node, ipBin, bridgeBin, busybox]),
        ],
        [{ path: '/tmp', mode: 0o1777 }, { path: '/run/flannel' }, { path: '/etc/cni/net.d' }],
      );
    },
  };
}

function cniPluginSpec(): ImageSpec {
  const hash = sha256(LAYOUT_VERSION, TEST_CNI_PLUGIN_SCRIPT);
  return {
    name: TEST_CNI_PLUGIN_IMAGE,
    hash,
    changes: [
      `LABEL ${TEST_FIXTURE_LABEL}=flannel-cni-plugin`,
      `LABEL ${TEST_HASH_LABEL}=${hash}`,
      'LABEL org.opencontainers.image.description="ignite-net TEST FIXTURE: the flannel CNI plugin image\'s layout; its /flannel is a shell stand-in"',
    ],
    entries: () => [{ type: 'file', path: '/flannel', content: TEST_CNI_PLUGIN_SCRIPT, mode: 0o755 }],
  };
}

// ---------------------------------------------------------------------------------------------- docker

async function imageHash(docker: Dockerode, name: string): Promise<{ id: string; hash: string | undefined } | undefined> {
  try {
    const info = await docker.getImage(name).inspect();
    return { id: info.Id, hash: info.Config?.Labels?.[TEST_HASH_LABEL] };
  } catch {
    return undefined;
  }
}

async function importImage(docker: Dockerode, spec: ImageSpec): Promise<void> {
  const [repo, tag] = spec.name.split(':') as [string, string];
  const tarPath = join(tmpdir(), `ignite-net-image-${process.pid}-${Math.random().toString(36).slice(2)}.tar`);
  try {
    await writeTar(tarPath, spec.entries());
    const stream = await docker.importImage(tarPath, { repo, tag, changes: spec.changes });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null, output: unknown[]) => {
          const failed = output?.find((o): o is { error: string } => typeof o === 'object' && o !== null && 'error' in o);
          if (err) reject(err);
          else if (failed) reject(new Error(`docker import ${spec.name}: ${failed.error}`));
          else resolve();
        },
        () => undefined,
      );
    });
  } finally {
    rmSync(tarPath, { force: true });
  }
}

async function ensureImage(docker: Dockerode, spec: ImageSpec, log: (msg: string) => void): Promise<boolean> {
  const existing = await imageHash(docker, spec.name);
  if (existing?.hash === spec.hash) return false;
  log(`building ${spec.name}${existing ? ' (content changed)' : ''}`);
  await importImage(docker, spec);
  if (existing) {
    // The previous build is now untagged; drop it unless a container still uses it.
    await docker
      .getImage(existing.id)
      .remove()
      .catch(() => undefined);
  }
  return true;
}

/** A lock across test workers and processes, so parallel test files do not build the same image twice. */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const dir = join(tmpdir(), 'ignite-net-test-images.lock');
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      mkdirSync(dir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A holder that died leaves the directory behind: a lock older than 3 minutes is stale.
      try {
        if (Date.now() - statSync(dir).mtimeMs > 3 * 60_000) rmSync(dir, { recursive: true, force: true });
      } catch {
        /* it went away meanwhile: retry */
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${dir}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let ensured: Promise<{ etcd: string; flannel: string; cniPlugin: string }> | undefined;

/**
 * Builds TEST_ETCD_IMAGE, TEST_FLANNEL_IMAGE and TEST_CNI_PLUGIN_IMAGE when missing or out of date
 * (idempotent; fast when all are current). Returns their names.
 */
export function ensureTestImages(
  docker: Dockerode = new Dockerode(),
  log: (msg: string) => void = () => undefined,
): Promise<{ etcd: string; flannel: string; cniPlugin: string }> {
  ensured ??= (async () => {
    const specs = [etcdSpec(), await flannelSpec(), cniPluginSpec()];
    await withLock(async () => {
      for (const spec of specs) await ensureImage(docker, spec, log);
    });
    return { etcd: TEST_ETCD_IMAGE, flannel: TEST_FLANNEL_IMAGE, cniPlugin: TEST_CNI_PLUGIN_IMAGE };
  })();
  const p = ensured;
  p.catch(() => {
    ensured = undefined;
  });
  return p;
}
