/**
 * The product's etcd spec of a member joining an existing cluster (container-specs.ts etcdSpec with
 * `member`) run on the etcd 3.4 test image beside a member of the init spec: etcd 3.4 takes the flags,
 * the learner joins over peer TLS with certificates from src/pki/certs.ts, is promoted and serves the
 * data. Only the network differs from the product: each etcd runs in the network namespace of a
 * busybox container (NetworkMode none) instead of the host's, the two joined by a veth pair with
 * TEST-NET-1 addresses (192.0.2.0/24) that exists only between them. Needs root and Docker.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import Dockerode from 'dockerode';
import { etcdSpec, ETCD_TLS_DIR } from '../../src/adapters/container-specs.js';
import { initialCluster, memberNameFor, peerUrlOf, type EtcdMember } from '../../src/ha/members.js';
import { createCa, issueCert, type CertAndKey } from '../../src/pki/certs.js';
import { ensureBusyboxImage } from '../_helpers/hosts.js';
import { ensureTestImages, TEST_ETCD_IMAGE, TEST_FIXTURE_LABEL } from '../_helpers/images.js';

const docker = new Dockerode();
const FIRST = '192.0.2.1';
const SECOND = '192.0.2.2';

test.before(async () => {
  await ensureTestImages(docker);
});

function run(cmd: string, args: readonly string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: 20_000 }, (err, stdout, stderr) => resolve({ ok: !err, out: `${String(stdout)}${String(stderr)}` }));
  });
}

async function must(cmd: string, args: readonly string[]): Promise<string> {
  const result = await run(cmd, args);
  if (!result.ok) throw new Error(`${cmd} ${args.join(' ')}: ${result.out}`);
  return result.out;
}

/** Retries `args` until it succeeds (40 × 250 ms); the last result. */
async function until(cmd: string, args: readonly string[]): Promise<{ ok: boolean; out: string }> {
  let result = { ok: false, out: '' };
  for (let i = 0; i < 40 && !result.ok; i++) {
    result = await run(cmd, args);
    if (!result.ok) await sleep(250);
  }
  return result;
}

/** `etcdctl member list` (simple output: id, status, name, peer URLs, client URLs, is learner) as ha/members.ts reads members. */
function parseMemberList(out: string): EtcdMember[] {
  return out
    .trim()
    .split('\n')
    .map((line) => line.split(', '))
    .map(([id = '', status = '', name = '', peers = '', clients = '', learner = '']) => ({
      id,
      name: status === 'unstarted' ? '' : name,
      peerUrls: peers.split(',').filter(Boolean),
      clientUrls: clients.split(',').filter(Boolean),
      isLearner: learner.trim() === 'true',
    }));
}

async function memberDir(ca: CertAndKey, address: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ignt-ha-etcd-'));
  const member = await issueCert(ca, { commonName: 'ignite-etcd', usage: 'peer', altNames: [address, '127.0.0.1', '::1', 'ignite-etcd'], validDays: 30 });
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  writeFileSync(join(dir, 'member.pem'), member.certPem + ca.certPem);
  writeFileSync(join(dir, 'member-key.pem'), member.keyPem, { mode: 0o600 });
  chmodSync(dir, 0o700);
  return dir;
}

test('etcd 3.4 runs the member spec: the learner joins a member of the init spec over peer TLS, is promoted and has the data', async (t) => {
  const busybox = await ensureBusyboxImage(docker);
  const ca = await createCa('ignt-ha test CA');
  const dirs = [await memberDir(ca, FIRST), await memberDir(ca, SECOND)];
  t.teardown(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const containers: Dockerode.Container[] = [];
  t.teardown(() => Promise.all(containers.map((c) => c.remove({ force: true }).catch(() => undefined))));

  // Two network namespaces, each held by a busybox container, joined by a veth pair.
  const holders: { id: string; pid: number }[] = [];
  for (let i = 0; i < 2; i++) {
    const holder = await docker.createContainer({ Image: busybox, Cmd: ['sleep', '600'], Labels: { [TEST_FIXTURE_LABEL]: 'test-container' }, HostConfig: { NetworkMode: 'none' } });
    containers.push(holder);
    await holder.start();
    holders.push({ id: holder.id, pid: (await holder.inspect()).State.Pid });
  }
  const [a, b] = holders;
  if (!a || !b) return t.fail('no holders');
  const veth = [`ihaA${process.pid % 100000}`, `ihaB${process.pid % 100000}`] as const;
  await must('ip', ['link', 'add', veth[0], 'netns', String(a.pid), 'type', 'veth', 'peer', 'name', veth[1], 'netns', String(b.pid)]);
  for (const [holder, dev, address] of [[a, veth[0], FIRST], [b, veth[1], SECOND]] as const) {
    await must('nsenter', ['-t', String(holder.pid), '-n', 'ip', 'addr', 'add', `${address}/24`, 'dev', dev]);
    await must('nsenter', ['-t', String(holder.pid), '-n', 'ip', 'link', 'set', dev, 'up']);
  }

  const start = async (holder: { id: string }, spec: Dockerode.ContainerCreateOptions, dir: string): Promise<Dockerode.Container> => {
    // The data volume is left out (the container keeps its data), the TLS mount is the spec's own.
    const binds = (spec.HostConfig?.Binds ?? []).filter((bind) => !bind.startsWith('unused:'));
    t.deepEqual(binds, [`${dir}:${ETCD_TLS_DIR}:ro`]);
    const c = await docker.createContainer({ ...spec, Labels: { [TEST_FIXTURE_LABEL]: 'test-container' }, HostConfig: { NetworkMode: `container:${holder.id}`, Binds: binds } });
    containers.push(c);
    await c.start();
    return c;
  };
  const ctl = (holder: { pid: number }, address: string, ...args: string[]): string[] => [
    '-t', String(holder.pid), '-n', 'etcdctl', '--endpoints', `https://${address}:2379`, '--cacert', join(dirs[0] ?? '', 'ca.pem'), '--dial-timeout', '2s', ...args,
  ];

  const run1 = `ignt-ha-etcd1-${process.pid}`;
  await start(a, etcdSpec({ image: TEST_ETCD_IMAGE, advertiseAddress: FIRST, volume: 'unused', tls: { hostDir: dirs[0] ?? '' }, name: run1 }), dirs[0] ?? '');
  const put = await until('nsenter', ctl(a, FIRST, 'put', '/probe', 'from the first member'));
  t.true(put.ok, put.out);

  // As join --control-plane: add the learner, build --initial-cluster from the list, start, promote.
  const self = { name: memberNameFor(SECOND), peerUrl: peerUrlOf(SECOND) };
  await must('nsenter', ctl(a, FIRST, 'member', 'add', self.name, `--peer-urls=${self.peerUrl}`, '--learner'));
  const members = parseMemberList(await must('nsenter', ctl(a, FIRST, 'member', 'list')));
  const learner = members.find((m) => m.peerUrls.includes(self.peerUrl));
  t.like(learner, { name: '', isLearner: true });
  const cluster = initialCluster(members, self);
  t.is(cluster, `${self.name}=https://${SECOND}:2380,s1=https://${FIRST}:2380`);
  const spec = etcdSpec({ image: TEST_ETCD_IMAGE, advertiseAddress: SECOND, volume: 'unused', tls: { hostDir: dirs[1] ?? '' }, member: { name: self.name, initialCluster: cluster }, name: `ignt-ha-etcd2-${process.pid}` });
  const second = await start(b, spec, dirs[1] ?? '');

  const promoted = await until('nsenter', ctl(a, FIRST, 'member', 'promote', learner?.id ?? ''));
  const state = (await second.inspect()).State;
  const logs = ((await second.logs({ stdout: true, stderr: true })) as unknown as Buffer).toString('utf8');
  t.true(state.Running, `the second etcd exited ${state.ExitCode}:\n${logs.slice(-2000)}`);
  t.true(promoted.ok, promoted.out);
  t.notRegex(logs, /unknown flag|flag provided but not defined/i);

  const after = parseMemberList(await must('nsenter', ctl(a, FIRST, 'member', 'list')));
  t.deepEqual(after.map((m) => [m.name, m.isLearner, m.peerUrls[0]]).sort(), [
    [self.name, false, `https://${SECOND}:2380`],
    ['s1', false, `https://${FIRST}:2380`],
  ]);
  const read = await until('nsenter', ctl(b, SECOND, 'get', '/probe', '--print-value-only'));
  t.is(read.out.trim(), 'from the first member');
});
