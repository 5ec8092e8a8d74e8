/**
 * adapters/ipam-store.ts against a store made by the REAL host-local plugin (Debian's
 * containernetworking-plugins in /usr/lib/cni, installed by scripts/test-setup.sh) in a temp dir
 * (host-local's dataDir): no daemon, no namespace. The netns side runs in test/e2e/doctor-logs.test.ts.
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseAllocations, readStore, listIgniteVms } from '../../src/adapters/ipam-store.js';

const HOST_LOCAL = '/usr/lib/cni/host-local';

/** CNI ADD of host-local for containerId, with the store in dataDir; resolves to the address it gave. */
function hostLocalAdd(dataDir: string, containerId: string): Promise<string> {
  const conf = JSON.stringify({ cniVersion: '0.4.0', name: 'cbr0', ipam: { type: 'host-local', subnet: '10.50.31.0/24', dataDir } });
  return new Promise((resolve, reject) => {
    const child = execFile(HOST_LOCAL, [], { env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: containerId, CNI_NETNS: '/proc/self/ns/net', CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' } }, (error, stdout) => {
      if (error) return reject(new Error(`host-local ADD: ${error.message} ${stdout}`));
      resolve(((JSON.parse(stdout) as { ips: { address: string }[] }).ips[0]?.address ?? '').replace(/\/\d+$/, ''));
    });
    child.stdin?.end(conf);
  });
}

async function store(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ignite-net-ipam-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("readStore reads host-local's own files; releaseAllocations frees under its lock and a concurrent ADD is not lost", async (t) => {
  const dataDir = await store(t);
  const dir = join(dataDir, 'cbr0');
  t.deepEqual(await readStore(dir), { kind: 'missing' });
  const dead = await hostLocalAdd(dataDir, 'ignite-fedcba9876543210');
  const live = await hostLocalAdd(dataDir, 'ignite-0123456789abcdef');
  const read = await readStore(dir);
  if (read.kind !== 'ok') return t.fail(JSON.stringify(read));
  t.deepEqual(read.allocations.map((a) => `${a.address} ${a.containerId} ${a.ifname}`), [`${dead} ignite-fedcba9876543210 eth0`, `${live} ignite-0123456789abcdef eth0`]);
  t.true(Math.abs(read.allocations[0]!.since - Date.now()) < 60_000);

  // Free the dead one while host-local allocates for a new VM: both go through the same lock.
  const deadAllocation = read.allocations[0]!;
  const [result, fresh] = await Promise.all([releaseAllocations(dir, [deadAllocation]), hostLocalAdd(dataDir, 'ignite-2222222222222222')]);
  t.deepEqual(result, { freed: [dead], skipped: [] });
  const after = await readStore(dir);
  if (after.kind !== 'ok') return t.fail(JSON.stringify(after));
  const owners = new Map(after.allocations.map((a) => [a.address, a.containerId]));
  t.is(owners.get(live), 'ignite-0123456789abcdef', 'the live one is kept');
  t.is(owners.get(fresh), 'ignite-2222222222222222', 'the concurrent allocation is not lost');
  t.is(owners.get(dead) ?? 'free', fresh === dead ? 'ignite-2222222222222222' : 'free');
  t.true((await readdir(dir)).includes('lock'), "host-local's lock file stays");

  // A file that changed since it was judged (allocated again) is not removed.
  const again = after.allocations.find((a) => a.address === live)!;
  await utimes(join(dir, live), new Date(), new Date(again.since + 5_000));
  t.deepEqual(await releaseAllocations(dir, [again]), { freed: [], skipped: [{ address: live, why: 'allocated again meanwhile' }] });
  t.deepEqual(await releaseAllocations(dir, [{ ...again, address: '10.50.31.250' }]), { freed: [], skipped: [{ address: '10.50.31.250', why: 'already released' }] });
});

test("releaseAllocations waits for host-local's lock and gives up after its timeout, freeing nothing", async (t) => {
  const dataDir = await store(t);
  const dir = join(dataDir, 'cbr0');
  await hostLocalAdd(dataDir, 'ignite-fedcba9876543210');
  const read = await readStore(dir);
  if (read.kind !== 'ok') return t.fail();
  // Someone (host-local in a long ADD) holds the lock for 3 s.
  const holder = spawn('flock', [join(dir, 'lock'), 'sleep', '3'], { stdio: 'ignore' });
  t.teardown(() => void holder.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 200));
  const result = await releaseAllocations(dir, read.allocations, 1);
  t.regex('lockProblem' in result ? result.lockProblem : '', /^cannot take host-local's lock .*\/lock within 1s/);
  t.is((await readStore(dir)).kind === 'ok' && (await readdir(dir)).filter((n) => n.startsWith('10.')).length, 1, 'nothing freed');
});

test('listIgniteVms: the VM dirs, none when the dir does not exist', async (t) => {
  const dir = await store(t);
  t.deepEqual(await listIgniteVms(join(dir, 'absent')), new Set());
  await mkdir(join(dir, 'vm', '0123456789abcdef'), { recursive: true });
  t.deepEqual(await listIgniteVms(join(dir, 'vm')), new Set(['0123456789abcdef']));
});
