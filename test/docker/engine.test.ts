import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import type { ContainerCreateOptions } from 'dockerode';
import { managedLabels } from '../../src/adapters/container-specs.js';
import { connectDocker } from '../../src/adapters/docker/connect.js';
import type { DockerEngine } from '../../src/adapters/docker/engine.js';
import { IgniteError } from '../../src/core/errors.js';
import type { PullProgress } from '../../src/core/events.js';
import { LABELS } from '../../src/defaults.js';

// Real dockerd at /var/run/docker.sock. Everything created here is named ignite-net-test-<run> or
// ignite-net-test/<...> and removed in teardown; nothing else on the daemon is touched. Every
// connection (including the registry dockerd is pointed at) goes to loopback only.

const RUN = randomBytes(4).toString('hex');
const IMAGE = `ignite-net-test/busybox-docker-adapter:${RUN}`;
const MISSING_IMAGE = `ignite-net-test/never-built:${RUN}`;

let engine: DockerEngine;
let layerTar: Buffer;
let pullTar: Buffer;
let stallTar: Buffer;

/** A rootfs with /bin/busybox and a few applet links, as an uncompressed tar; a marker makes it unique. */
async function busyboxTar(marker?: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'ignite-net-test-rootfs-'));
  try {
    await mkdir(join(dir, 'bin'));
    await copyFile('/bin/busybox', join(dir, 'bin/busybox'));
    await chmod(join(dir, 'bin/busybox'), 0o755);
    for (const applet of ['sh', 'sleep', 'echo', 'cat']) await symlink('busybox', join(dir, 'bin', applet));
    if (marker !== undefined) await writeFile(join(dir, 'bin', '.ignite-net-test'), marker);
    // The tar binary only packs files; Docker is reached through the API alone.
    const tar = spawn('tar', ['--numeric-owner', '--owner=0', '--group=0', '--mtime=2020-01-01', '-C', dir, '-c', 'bin']);
    const chunks: Buffer[] = [];
    tar.stdout.on('data', (c: Buffer) => chunks.push(c));
    await new Promise<void>((resolve, reject) =>
      tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited ${code}`)))),
    );
    return Buffer.concat(chunks);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function importImage(tar: Buffer, name: string): Promise<void> {
  const [repo, tag] = name.split(':') as [string, string];
  const { Readable } = await import('node:stream');
  const stream = await engine.docker.importImage(Readable.from([tar]), { repo, tag });
  await new Promise<void>((resolve, reject) =>
    engine.docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

test.before(async () => {
  engine = await connectDocker({ dockerHost: 'unix:///var/run/docker.sock' });
  layerTar = await busyboxTar();
  await importImage(layerTar, IMAGE);
  // Another layer for the pull test, so dockerd really downloads it instead of reporting "Already exists".
  // Each registry test needs its own layer: dockerd joins concurrent downloads of the same digest.
  pullTar = await busyboxTar(`pulled-${RUN}`);
  stallTar = await busyboxTar(`stalled-${RUN}`);
});

test.after.always(async () => {
  if (engine) await engine.docker.getImage(IMAGE).remove({ force: true }).catch(() => undefined);
});

function testName(what: string): string {
  return `ignite-net-test-${RUN}-${what}`;
}

function busyboxSpec(name: string, script: string, extra: Partial<ContainerCreateOptions> = {}): ContainerCreateOptions {
  return {
    name,
    Image: IMAGE,
    Cmd: ['/bin/sh', '-c', script],
    // Our labels plus one naming this run, so parallel runs never see each other's containers.
    Labels: { ...managedLabels('etcd'), 'io.ignite-net.test-run': RUN },
    HostConfig: { NetworkMode: 'host', RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 } },
    ...extra,
  };
}

async function expectIgnite(t: { throwsAsync: (p: Promise<unknown>) => Promise<unknown> }, work: Promise<unknown>): Promise<IgniteError> {
  const error = await t.throwsAsync(work);
  if (!(error instanceof IgniteError)) throw new Error(`expected an IgniteError, got ${String(error)}`);
  return error;
}

// ---------------------------------------------------------------------------------------------
// Images

test('ensureImage: an image on the host is present under every policy but always', async (t) => {
  const noProgress = (): void => t.fail('no pull expected');
  t.is(await engine.ensureImage(IMAGE, 'missing', noProgress), 'present');
  t.is(await engine.ensureImage(IMAGE, 'never', noProgress), 'present');
});

test('ensureImage never: a missing image fails with a hint to drop --pull never', async (t) => {
  t.false(await engine.imageExists(MISSING_IMAGE));
  const error = await expectIgnite(t, engine.ensureImage(MISSING_IMAGE, 'never', () => undefined));
  t.is(error.kind, 'docker');
  t.is(error.message, `Image ${MISSING_IMAGE} is not on this host and --pull never forbids pulling it`);
  t.regex(error.hint ?? '', /Drop --pull never.*docker load/);
});

test('pullImage: a registry that refuses fails with its error in one line and a hint', async (t) => {
  // A registry on a closed loopback port: dockerd's attempt stays on this host.
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const name = `127.0.0.1:${port}/ignite-net-test/nothing:${RUN}`;
  const error = await expectIgnite(t, engine.ensureImage(name, 'missing', () => undefined));
  t.is(error.kind, 'docker');
  t.regex(error.message, new RegExp(`^Cannot pull image ${name.replace(/[.]/g, '\\.')}: .*connection refused`));
  t.false(error.message.includes('\n'));
  t.false(error.message.includes('HTTP code'));
  t.regex(error.hint ?? '', /docker load.*--etcd-image \/ --flannel-image/);
});

/** A registry (v2 API, one image) on loopback, serving one busybox layer. */
async function fakeRegistry(repo: string, tag: string, layerTar: Buffer, options: { stallBlobs?: boolean } = {}) {
  const layer = gzipSync(layerTar);
  const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: [sha(layerTar)] },
    history: [{ created_by: 'ignite-net test fixture' }],
  });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: Buffer.byteLength(config), digest: sha(config) },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: sha(layer) }],
  });
  const blobs = new Map<string, Buffer>([
    [sha(config), Buffer.from(config)],
    [sha(layer), layer],
  ]);
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    const head = { 'Docker-Distribution-API-Version': 'registry/2.0' };
    if (url === '/v2/') return res.writeHead(200, head).end('{}');
    if (url === `/v2/${repo}/manifests/${tag}` || url === `/v2/${repo}/manifests/${sha(manifest)}`) {
      res.writeHead(200, {
        ...head,
        'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json',
        'Docker-Content-Digest': sha(manifest),
        'Content-Length': Buffer.byteLength(manifest),
      });
      return res.end(req.method === 'HEAD' ? undefined : manifest);
    }
    const blob = url.startsWith(`/v2/${repo}/blobs/`) ? blobs.get(url.slice(`/v2/${repo}/blobs/`.length)) : undefined;
    if (blob && options.stallBlobs && req.method === 'GET') {
      // Headers and a first chunk, then nothing: a pull that hangs until it is interrupted.
      res.writeHead(200, { ...head, 'Content-Length': blob.length, 'Content-Type': 'application/octet-stream' });
      res.write(blob.subarray(0, 1024));
      return;
    }
    if (blob) {
      res.writeHead(200, { ...head, 'Content-Length': blob.length, 'Content-Type': 'application/octet-stream' });
      return res.end(req.method === 'HEAD' ? undefined : blob);
    }
    res.writeHead(404, { ...head, 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

test('ensureImage missing: pulls from a (loopback) registry and reports per-layer progress', async (t) => {
  const repo = `ignite-net-test/pulled-${RUN}`;
  const registry = await fakeRegistry(repo, 'v1', pullTar);
  const name = `127.0.0.1:${registry.port}/${repo}:v1`;
  t.teardown(async () => {
    await engine.docker.getImage(name).remove({ force: true }).catch(() => undefined);
    await registry.close();
  });
  const updates: PullProgress[] = [];
  t.is(await engine.ensureImage(name, 'missing', (p) => updates.push(p)), 'pulled');
  t.true(await engine.imageExists(name));
  t.true(updates.length >= 1);
  const last = updates.at(-1);
  t.is(last?.image, name);
  const layers = Object.values(last?.layers ?? {});
  t.is(layers.length, 1);
  t.is(layers[0]?.status, 'Pull complete');
  // Second time: present, nothing pulled.
  t.is(await engine.ensureImage(name, 'missing', () => t.fail('no pull expected')), 'present');
});

test('pullImage: aborting a pull in progress ends it at once as interrupted', async (t) => {
  const repo = `ignite-net-test/stalled-${RUN}`;
  const registry = await fakeRegistry(repo, 'v1', stallTar, { stallBlobs: true });
  const name = `127.0.0.1:${registry.port}/${repo}:v1`;
  t.teardown(async () => {
    await engine.docker.getImage(name).remove({ force: true }).catch(() => undefined);
    await registry.close();
  });
  const controller = new AbortController();
  const pulling = engine.pullImage(name, () => controller.abort(), controller.signal);
  const error = await expectIgnite(t, pulling);
  t.is(error.kind, 'interrupted');
  t.true(controller.signal.aborted, 'progress was reported before the abort');
  t.false(await engine.imageExists(name));
});

test('pullImage: an already aborted signal ends the pull as interrupted', async (t) => {
  const controller = new AbortController();
  controller.abort();
  const error = await expectIgnite(t, engine.pullImage(MISSING_IMAGE, () => undefined, controller.signal));
  t.is(error.kind, 'interrupted');
});

// ---------------------------------------------------------------------------------------------
// Containers

test('container lifecycle: create/start, inspect, list by label, logs, stop/remove twice', async (t) => {
  const name = testName('life');
  t.teardown(() => engine.removeByName(name).then(() => undefined));
  // Pauses between lines: stdout and stderr are separate pipes, so only time orders them in the log.
  const script = 'trap "exit 0" TERM; echo out-1; sleep 0.05; echo err-1 >&2; sleep 0.05; echo out-2; while :; do sleep 0.1; done';
  const view = await engine.createAndStart(busyboxSpec(name, script));
  t.is(view.name, name);
  t.is(view.image, IMAGE);
  t.is(view.state, 'running');
  t.true(view.running);
  t.is(view.networkMode, 'host');
  t.is(view.restartPolicy, 'unless-stopped');
  t.is(view.restartCount, 0);
  t.is(view.labels[LABELS.role], 'etcd');
  t.true(view.startedAt instanceof Date);
  t.is(view.health, undefined);

  const byName = await engine.inspectContainer(name);
  t.is(byName?.id, view.id);

  const mine = (await engine.listManaged('etcd')).filter((c) => c.id === view.id);
  t.is(mine.length, 1);
  t.like(mine[0], { name, role: 'etcd', state: 'running', image: IMAGE });
  t.is((await engine.listManaged('flannel')).filter((c) => c.id === view.id).length, 0);
  t.is((await engine.listManaged()).filter((c) => c.id === view.id).length, 1);

  let logs: string[] = [];
  for (let i = 0; i < 50 && logs.length < 3; i++) {
    logs = await engine.containerLogs(view.id, 10);
    if (logs.length < 3) await new Promise((r) => setTimeout(r, 50));
  }
  t.deepEqual(logs, ['out-1', 'err-1', 'out-2']);
  t.deepEqual(await engine.containerLogs(view.id, 1), ['out-2']);

  t.is(await engine.stopAndRemove(view.id, 5), 'removed');
  t.is(await engine.inspectContainer(view.id), undefined);
  t.is(await engine.stopAndRemove(view.id, 5), 'absent');
  t.deepEqual(await engine.containerLogs(view.id, 5), []);
});

test('inspect reports the entrypoint; containerLogs redacts flanneld\'s etcdPassword field and the secrets it is given', async (t) => {
  const name = testName('redact');
  t.teardown(() => engine.removeByName(name).then(() => undefined));
  const script = 'echo "CLI flags config: {etcdUsername:u etcdPassword:s3cret help:false}"; sleep 0.05; echo "retry with s3cret" >&2; sleep 30';
  const view = await engine.createAndStart({ ...busyboxSpec(name, script), Entrypoint: ['/bin/sh', '-c'], Cmd: [script] });
  t.deepEqual(view.entrypoint, ['/bin/sh', '-c']);
  t.deepEqual(view.cmd, [script]);
  let logs: string[] = [];
  for (let i = 0; i < 50 && logs.length < 2; i++) {
    logs = await engine.containerLogs(view.id, 10, ['s3cret']);
    if (logs.length < 2) await new Promise((r) => setTimeout(r, 50));
  }
  t.deepEqual(logs, ['CLI flags config: {etcdUsername:u etcdPassword:[redacted] help:false}', 'retry with [redacted]']);
  t.deepEqual(await engine.containerLogs(view.id, 10), ['CLI flags config: {etcdUsername:u etcdPassword:[redacted] help:false}', 'retry with s3cret']);
  // Created without one, from an image without one: none.
  const plain = testName('redact-plain');
  t.teardown(() => engine.removeByName(plain).then(() => undefined));
  t.deepEqual((await engine.createAndStart(busyboxSpec(plain, 'sleep 30'))).entrypoint, []);
});

test('stopAndRemove: an already stopped container (304) is removed', async (t) => {
  const name = testName('exited');
  t.teardown(() => engine.removeByName(name).then(() => undefined));
  const view = await engine.createAndStart(busyboxSpec(name, 'echo done', { HostConfig: { NetworkMode: 'host' } }));
  for (let i = 0; i < 50; i++) {
    if ((await engine.inspectContainer(view.id))?.state === 'exited') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = await engine.inspectContainer(view.id);
  t.is(exited?.state, 'exited');
  t.is(exited?.exitCode, 0);
  t.true(exited?.finishedAt instanceof Date);
  t.is(await engine.stopAndRemove(view.id, 1), 'removed');
});

test('createAndStart: a start failure removes the container and says why', async (t) => {
  const name = testName('nostart');
  t.teardown(() => engine.removeByName(name).then(() => undefined));
  const error = await expectIgnite(t, engine.createAndStart({ ...busyboxSpec(name, ''), Cmd: ['/nope'] }));
  t.is(error.kind, 'docker');
  t.regex(error.message, new RegExp(`^Container ${name} failed to start: .*/nope`));
  t.false(error.message.includes('\n'));
  t.is(await engine.inspectContainer(name), undefined);
});

test('createAndStart: a same-named container is a conflict; removeByName clears it', async (t) => {
  const name = testName('conflict');
  t.teardown(() => engine.removeByName(name).then(() => undefined));
  // Not ours: created without our labels, as an operator's own container would be.
  await engine.docker.createContainer({ name, Image: IMAGE, Cmd: ['/bin/sh', '-c', 'sleep 30'] });
  const foreign = await engine.inspectContainer(name);
  t.is(foreign?.labels[LABELS.managed], undefined);
  const error = await expectIgnite(t, engine.createAndStart(busyboxSpec(name, 'sleep 1')));
  t.is(error.kind, 'conflict');
  t.is(error.message, `A container named ${name} already exists`);
  t.true(await engine.removeByName(name));
  t.false(await engine.removeByName(name));
});

test('createAndStart: a missing image is a docker error naming it', async (t) => {
  const name = testName('noimage');
  t.teardown(() => engine.removeByName(name).then(() => undefined));
  const error = await expectIgnite(t, engine.createAndStart({ ...busyboxSpec(name, ''), Image: MISSING_IMAGE }));
  t.is(error.message, `Cannot create ${name}: image ${MISSING_IMAGE} is not on this host`);
});

// ---------------------------------------------------------------------------------------------
// Volumes

test('volumes: ensure creates once with labels, remove is idempotent, in-use is refused', async (t) => {
  const volume = testName('vol');
  const user = testName('voluser');
  t.teardown(async () => {
    await engine.removeByName(user);
    await engine.removeVolume(volume).catch(() => undefined);
  });
  t.false(await engine.volumeExists(volume));
  const labels = { [LABELS.managed]: 'true', 'io.ignite-net.test-run': RUN };
  t.is(await engine.ensureVolume(volume, labels), 'created');
  t.is(await engine.ensureVolume(volume, {}), 'present');
  t.deepEqual((await engine.inspectVolume(volume))?.labels, labels);

  await engine.createAndStart(busyboxSpec(user, 'sleep 30', { HostConfig: { NetworkMode: 'host', Binds: [`${volume}:/data`] } }));
  const inUse = await expectIgnite(t, engine.removeVolume(volume));
  t.is(inUse.message, `Volume ${volume} is still in use by a container`);
  await engine.removeByName(user);

  t.true(await engine.removeVolume(volume));
  t.false(await engine.removeVolume(volume));
  t.false(await engine.volumeExists(volume));
});

test('volumes: data survives a container re-create', async (t) => {
  const volume = testName('keep');
  const writer = testName('writer');
  const reader = testName('reader');
  t.teardown(async () => {
    await engine.removeByName(writer);
    await engine.removeByName(reader);
    await engine.removeVolume(volume).catch(() => undefined);
  });
  await engine.ensureVolume(volume, { [LABELS.managed]: 'true' });
  const mount = { HostConfig: { NetworkMode: 'host', Binds: [`${volume}:/data`] } };
  await engine.createAndStart(busyboxSpec(writer, 'echo kept > /data/f', mount));
  const deadline = Date.now() + 5000;
  while ((await engine.inspectContainer(writer))?.state !== 'exited' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await engine.stopAndRemove(writer, 1);
  await engine.createAndStart(busyboxSpec(reader, 'cat /data/f; sleep 30', mount));
  let logs: string[] = [];
  while (logs.length === 0 && Date.now() < deadline) {
    logs = await engine.containerLogs(reader, 5);
    await new Promise((r) => setTimeout(r, 50));
  }
  t.deepEqual(logs, ['kept']);
});
