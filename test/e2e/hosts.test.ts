/**
 * The simulated-hosts fixture itself (test/_helpers/hosts.ts): two hosts, each a network namespace
 * with its own dockerd, joined by a bridge in a switch namespace. Needs root, iproute2, docker.io and
 * busybox-static. Traffic only between namespaces this test created.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Dockerode from 'dockerode';
import { BUSYBOX_IMAGE, cleanupStaleHosts, createHosts, ensureBusyboxImage } from '../_helpers/hosts.js';
import type { SimHost, SimHosts } from '../_helpers/hosts.js';
import { isAlive } from '../_helpers/proc.js';

const main = new Dockerode();
let net: SimHosts | undefined;
let createMs = 0;

function hostsOf(): [SimHost, SimHost] {
  const [a, b] = net?.hosts ?? [];
  if (!a || !b) throw new Error('hosts not created');
  return [a, b];
}

/** Run a busybox container to completion in a host's dockerd; returns its output. */
async function runOnce(h: SimHost, cmd: string[], networkMode = 'host'): Promise<string> {
  const c = await h.docker.createContainer({ Image: BUSYBOX_IMAGE, Cmd: cmd, HostConfig: { NetworkMode: networkMode } });
  try {
    await c.start();
    await c.wait();
    const logs = await c.logs({ stdout: true, stderr: true, follow: false });
    return demux(logs);
  } finally {
    await c.remove({ force: true });
  }
}

/** Strip Docker's 8-byte stream headers from non-TTY logs. */
function demux(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(out).toString('utf8');
}

async function waitRunning(h: SimHost, id: string, notStartedAt: string, timeoutMs = 20_000): Promise<{ pid: number; startedAt: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await h.docker
      .getContainer(id)
      .inspect()
      .catch(() => undefined);
    if (info?.State.Running && info.State.StartedAt !== notStartedAt) return { pid: info.State.Pid, startedAt: info.State.StartedAt };
    if (Date.now() > deadline) throw new Error(`${h.name}: container ${id} not running again: ${JSON.stringify(info?.State)}\n${h.dockerdLogTail(15)}`);
    await sleep(100);
  }
}

function netnsInode(pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/net`);
}

function mountsContaining(s: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(s));
}

async function startAlwaysContainer(h: SimHost): Promise<string> {
  const c = await h.docker.createContainer({
    Image: BUSYBOX_IMAGE,
    // Handles SIGTERM, so a graceful dockerd stop does not wait the 10 s stop timeout.
    Cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'],
    StopTimeout: 2,
    HostConfig: { NetworkMode: 'host', RestartPolicy: { Name: 'always' } },
  });
  await c.start();
  return c.id;
}

test.before(async () => {
  await ensureBusyboxImage(main);
  const t0 = Date.now();
  net = await createHosts(2, { images: [BUSYBOX_IMAGE], imagesFrom: main });
  createMs = Date.now() - t0;
});

test.after.always(async () => {
  await net?.destroy();
});

test.serial('creates two hosts with their own dockerd, in a few seconds', async (t) => {
  const [a, b] = hostsOf();
  t.log(`createHosts(2) incl. loading ${BUSYBOX_IMAGE}: ${createMs} ms; segment ${net?.subnet}`);
  t.not(a.address, b.address);
  t.regex(a.address, /^10\.231\.\d+\.\d+$/);
  t.not(a.netns, b.netns);
  const [ia, ib, im] = await Promise.all([a.docker.info(), b.docker.info(), main.info()]);
  t.is(ia.DockerRootDir, a.dirs.dockerDataRoot);
  t.is(ib.DockerRootDir, b.dirs.dockerDataRoot);
  t.not(ia.ID, ib.ID);
  t.not(ia.ID, im.ID);
  // The dockerd runs inside the host's network namespace.
  const pa = a.dockerdPid();
  t.truthy(pa);
  const r = await a.exec('readlink', ['/proc/self/ns/net']);
  t.is(r.stdout.trim(), netnsInode(pa ?? 0));
  t.not(netnsInode(pa ?? 0), netnsInode(process.pid));
});

test.serial('the test image is loaded into each host', async (t) => {
  for (const h of hostsOf()) {
    const img = await h.docker.getImage(BUSYBOX_IMAGE).inspect();
    t.truthy(img.Id);
  }
});

test.serial("a host-network container sees its host's address and not the other host's", async (t) => {
  const [a, b] = hostsOf();
  const out = await runOnce(a, ['sh', '-c', 'ip -4 -o addr; ls /sys/class/net']);
  t.true(out.includes(`inet ${a.address}/24`), out);
  t.false(out.includes(b.address), out);
  t.true(out.includes(a.iface), out);
  t.false(out.includes('eth0'), out);
  const routes = await runOnce(a, ['ip', 'route']);
  t.regex(routes, new RegExp(`^default dev ${a.iface}`, 'm'));
  const outB = await runOnce(b, ['ip', '-4', '-o', 'addr']);
  t.true(outB.includes(`inet ${b.address}/24`));
  t.false(outB.includes(a.address));
});

test.serial("exec runs in the host: its address, DOCKER_HOST, a default route", async (t) => {
  const [a] = hostsOf();
  const r = await a.exec('sh', ['-c', 'ip -4 -o addr show; echo "DH=$DOCKER_HOST"; ip route show default; grep -c cgroup /proc/self/mountinfo']);
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.includes(`inet ${a.address}/24`));
  t.true(r.stdout.includes(`DH=${a.dockerHost}`));
  t.true(r.stdout.includes(`default dev ${a.iface}`));
  const timed = await a.exec('sleep', ['5'], { timeoutMs: 100 });
  t.true(timed.timedOut);
  const echoed = await a.exec('cat', [], { input: 'hello' });
  t.is(echoed.stdout, 'hello');
});

test.serial("TCP from host 1's namespace reaches host 2's address", async (t) => {
  const [a, b] = hostsOf();
  const port = 17000 + Math.floor(Math.random() * 1000);
  const serverCode = `const s=require('net').createServer(c=>{c.on('data',d=>{c.end('pong:'+d);s.close();})});s.listen(${port},'${b.address}',()=>console.log('listening'));`;
  const server = b.spawn(process.execPath, ['-e', serverCode]);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server did not start')), 10_000);
      server.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      server.once('exit', (c) => reject(new Error(`server exited ${c}`)));
    });
    const clientCode = `const c=require('net').connect(${port},'${b.address}',()=>c.write('ping'));c.on('data',d=>process.stdout.write(d));c.on('error',e=>{console.error(e.message);process.exit(2)});`;
    const r = await a.exec(process.execPath, ['-e', clientCode], { timeoutMs: 10_000 });
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, 'pong:ping');
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
  }
});

test.serial('restartDockerd brings restart-policy containers back (graceful and crash)', async (t) => {
  const [a] = hostsOf();
  const id = await startAlwaysContainer(a);
  const before = await a.docker.getContainer(id).inspect();
  const oldDockerd = a.dockerdPid();
  const t0 = Date.now();
  await a.restartDockerd();
  const restartMs = Date.now() - t0;
  t.not(a.dockerdPid(), oldDockerd);
  const after = await waitRunning(a, id, before.State.StartedAt);
  t.log(`restartDockerd (SIGTERM): ${restartMs} ms; container back after ${Date.now() - t0} ms`);
  t.not(after.pid, before.State.Pid);
  t.is(netnsInode(after.pid), netnsInode(a.dockerdPid() ?? 0));

  const t1 = Date.now();
  await a.restartDockerd({ signal: 'SIGKILL' });
  const again = await waitRunning(a, id, after.startedAt);
  t.log(`restartDockerd (SIGKILL, a crash): container back after ${Date.now() - t1} ms`);
  t.true(again.pid > 0);
  await a.docker.getContainer(id).remove({ force: true });
});

test.serial('reboot kills everything, empties runDir, and restart-policy containers come back', async (t) => {
  const [, b] = hostsOf();
  const id = await startAlwaysContainer(b);
  const before = await b.docker.getContainer(id).inspect();
  const { writeFile } = await import('node:fs/promises');
  await writeFile(`${b.dirs.runDir}/subnet.env`, 'FLANNEL_SUBNET=10.50.31.1/24\n');
  await b.exec('ip', ['link', 'add', 'igtmp0', 'type', 'bridge']);
  const t0 = Date.now();
  await b.reboot();
  t.log(`reboot: ${Date.now() - t0} ms`);
  t.false(isAlive(before.State.Pid));
  t.deepEqual(await readdir(b.dirs.runDir), []);
  const links = await b.exec('ip', ['-o', 'link']);
  t.false(links.stdout.includes('igtmp0'));
  t.true(links.stdout.includes(b.iface));
  const after = await waitRunning(b, id, before.State.StartedAt);
  t.not(after.pid, before.State.Pid);
  await b.docker.getContainer(id).remove({ force: true });
});

async function assertGone(t: ExecutionContext, s: SimHosts, pids: number[]): Promise<void> {
  const ns = existsSync('/run/netns') ? await readdir('/run/netns') : [];
  t.deepEqual(
    ns.filter((n) => n.startsWith(`ignt-h${s.id}-`)),
    [],
  );
  for (const p of pids) t.false(isAlive(p), `pid ${p} still alive`);
  t.deepEqual(mountsContaining(s.root), []);
  t.false(existsSync(s.root));
  for (const h of s.hosts) t.false(existsSync(`/sys/fs/cgroup/pids/ignt-h${s.id}-${h.name}`));
}

test.serial('destroy leaves no namespace, no dockerd, no mount, no directory; twice is fine', async (t) => {
  const s = net;
  if (!s) throw new Error('no hosts');
  // Leave a running container behind on purpose, as a failed test would.
  await startAlwaysContainer(hostsOf()[0]);
  const pids = s.hosts.map((h) => h.dockerdPid() ?? 0);
  const t0 = Date.now();
  await s.destroy();
  t.log(`destroy (2 hosts, one running container): ${Date.now() - t0} ms`);
  await assertGone(t, s, pids);
  await s.destroy();
  net = undefined;
});

test.serial('cleanupStaleHosts removes the hosts of a crashed run', async (t) => {
  // A separate process creates hosts, prints their id and root, then is SIGKILLed.
  const helper = fileURLToPath(new URL('../_helpers/hosts.ts', import.meta.url));
  const code = `import { createHosts } from ${JSON.stringify(helper)}; const n = await createHosts(2); console.log(JSON.stringify({ id: n.id, root: n.root, pids: n.hosts.map((h) => h.dockerdPid()) })); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import=tsx/esm', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'], cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (c) => reject(new Error(`child exited ${c}: ${err}`)));
  });
  const crashed = JSON.parse(line) as { id: string; root: string; pids: number[] };
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.true(existsSync(crashed.root));
  for (const p of crashed.pids) t.true(isAlive(p));
  const removed = await cleanupStaleHosts();
  t.true(removed.includes(crashed.id));
  await assertGone(t, { id: crashed.id, root: crashed.root, hosts: [{ name: 'node1' }, { name: 'node2' }] } as unknown as SimHosts, crashed.pids);
});

test.serial('bindDefaultPaths: the default paths of a host are its own directories', async (t) => {
  const s = await createHosts(1, { bindDefaultPaths: true, images: [BUSYBOX_IMAGE], imagesFrom: main });
  try {
    const [h] = s.hosts;
    if (!h) throw new Error('no host');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${h.dirs.cniConfDir}/10-test.conflist`, '{}');
    await writeFile(`${h.dirs.cniBinDir}/flannel`, '');
    const r = await h.exec('sh', ['-c', 'ls /etc/cni/net.d /opt/cni/bin /run/flannel /var/lib/cni && touch /run/flannel/subnet.env && ls /etc/hostname /var/lib/dpkg >/dev/null && echo ok']);
    t.is(r.code, 0, r.stderr);
    t.true(r.stdout.includes('10-test.conflist'));
    t.true(r.stdout.includes('flannel'));
    t.true(existsSync(`${h.dirs.runDir}/subnet.env`));
    // The machine's own tree is untouched.
    t.false(existsSync('/etc/cni/net.d/10-test.conflist'));
    t.false(existsSync('/run/flannel/subnet.env'));
    // The default Docker socket inside the host is the host's own dockerd.
    const info = await h.exec('docker', ['info', '--format', '{{.DockerRootDir}}'], { env: { DOCKER_HOST: undefined } });
    t.is(info.stdout.trim(), h.dirs.dockerDataRoot, info.stderr);
    // A container of that dockerd mounting /etc/cni gets the host's directory.
    const c = await h.docker.createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ['ls', '/etc/cni/net.d'],
      HostConfig: { NetworkMode: 'host', Binds: ['/etc/cni:/etc/cni'] },
    });
    await c.start();
    await c.wait();
    const logs = demux(await c.logs({ stdout: true, stderr: true }));
    await c.remove({ force: true });
    t.true(logs.includes('10-test.conflist'), logs);
    // reboot empties /run (tmpfs), keeps the per-host bind mounts and the other directories.
    await h.reboot();
    const after = await h.exec('sh', ['-c', 'ls -A /run/flannel; touch /run/flannel/again; ls /run; ls /etc/cni/net.d']);
    t.is(after.code, 0, after.stderr);
    t.false(after.stdout.includes('subnet.env'));
    t.true(after.stdout.includes('10-test.conflist'));
    t.true(existsSync(`${h.dirs.runDir}/again`));
    t.is((await h.docker.info()).DockerRootDir, h.dirs.dockerDataRoot);
  } finally {
    await s.destroy();
  }
  t.false(existsSync(s.root));
  t.deepEqual(mountsContaining(s.root), []);
});
