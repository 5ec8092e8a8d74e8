/** Stale host-local allocations: the pure rule, doctor's words, and init/join's step against fakes. */
import test from 'ava';
import { describeAllocation, evaluateStale, GRACE_MS, isAllocationFile, judgeAllocations, parseAllocationFile, type Allocation } from '../../src/cni/ipam-stale.js';
import { staleAllocationsCheck } from '../../src/doctor/host.js';
import { ipamGcStep } from '../../src/steps/ipam.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

const NOW = Date.UTC(2026, 11, 2, 15, 0);
const OLD = NOW - 10 * 60_000;
const alloc = (address: string, containerId: string, since = OLD): Allocation => ({ address, containerId, ifname: 'eth0', since });
const DOCKER_ID = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2';

test('judgeAllocations keeps what may still be owned, frees only what is surely not', (t) => {
  const allocations = [
    alloc('10.50.31.2', 'ignite-0123456789abcdef'), // VM dir exists
    alloc('10.50.31.3', 'ignite-fedcba9876543210'), // no VM dir, no container, no address: stale
    alloc('10.50.31.4', DOCKER_ID.slice(0, 12)), // a Docker container's short ID
    alloc('10.50.31.5', 'ignite-1111111111111111'), // Docker has a container of that name
    alloc('10.50.31.6', 'somebody', NOW - GRACE_MS + 1_000), // just allocated: maybe in progress
    alloc('10.50.31.7', 'live-netns'), // its address is in a netns in use
    alloc('10.50.31.8', 'abc'), // a short ID is no prefix match: stale
  ];
  const facts = {
    now: NOW,
    allocations,
    docker: { ids: [DOCKER_ID, 'b'.repeat(64)], names: ['ignite-1111111111111111', 'ignite-etcd'] },
    igniteVms: new Set(['0123456789abcdef']),
    netnsAddresses: new Set(['10.50.31.7', '127.0.0.1']),
  };
  const verdicts = judgeAllocations(facts);
  t.deepEqual(verdicts.stale.map((a) => a.address), ['10.50.31.3', '10.50.31.8']);
  t.deepEqual(
    verdicts.kept.map((k) => `${k.allocation.address} ${k.why}`),
    ['10.50.31.2 ignite-vm', '10.50.31.4 docker-container', '10.50.31.5 docker-container', '10.50.31.6 recent', '10.50.31.7 address-in-use'],
  );
  t.deepEqual(verdicts.unknown, []);

  // A fact that cannot be read keeps everything it could have decided: here, nothing is freed.
  for (const missing of ['docker', 'igniteVms', 'netnsAddresses'] as const) {
    const partial = { ...facts, [missing]: undefined };
    const judged = judgeAllocations(partial);
    t.deepEqual(judged.stale, [], missing);
    t.is(judged.unknown.length, 1, missing);
    t.true(judged.kept.some((k) => k.why === 'unknown'), missing);
  }
});

test("host-local's files: the container ID and interface, and which names are allocations", (t) => {
  t.deepEqual(parseAllocationFile('ignite-0123456789abcdef\r\neth0'), { containerId: 'ignite-0123456789abcdef', ifname: 'eth0' });
  t.deepEqual(parseAllocationFile('oldstyle-id\n'), { containerId: 'oldstyle-id' });
  t.true(isAllocationFile('10.50.31.2'));
  t.true(isAllocationFile('fd00::2'));
  t.false(isAllocationFile('lock'));
  t.false(isAllocationFile('last_reserved_ip.0'));
  t.is(describeAllocation(alloc('10.50.31.3', 'ignite-fedcba9876543210')), '10.50.31.3 (ignite-fedcba9876543210, since 2026-12-02 14:50 UTC)');
});

test('evaluateStale: a warning naming each stale allocation and the command that frees it; an unreadable store keeps all', (t) => {
  const dir = '/var/lib/cni/networks/cbr0';
  const verdicts = judgeAllocations({ now: NOW, allocations: [alloc('10.50.31.3', 'ignite-fedcba9876543210'), alloc('10.50.31.4', 'x', NOW)], docker: { ids: [], names: [] }, igniteVms: new Set(), netnsAddresses: new Set() });
  const stale = evaluateStale({ dir, kind: 'judged', verdicts }, 'join 192.0.2.1');
  t.is(stale.status, 'warn');
  t.is(stale.message, `1 stale IP allocation in ${dir} (owner gone): 10.50.31.3 (ignite-fedcba9876543210, since 2026-12-02 14:50 UTC); 1 kept (1 just allocated)`);
  t.regex(stale.hint ?? '', /^`sudo ignite-net ipam gc --yes` frees them \(so does `sudo ignite-net join 192\.0\.2\.1` again\)/);
  t.is(evaluateStale({ dir, kind: 'missing' }, 'init').status, 'pass');
  const unreadable = evaluateStale({ dir, kind: 'unreadable', problem: `cannot read ${dir}: EACCES` }, 'init');
  t.is(unreadable.status, 'warn');
  t.is(unreadable.message, `cannot read ${dir}: EACCES: every allocation is kept, none checked`);
  const none = evaluateStale({ dir, kind: 'judged', verdicts: { stale: [], kept: [], unknown: ['Docker containers'] } }, 'init');
  t.is(none.message, `no allocations in ${dir}, none stale; could not read Docker containers, so what they decide is kept`);
});

function harness(command: 'init' | 'doctor') {
  const host = fakeServices();
  host.clock.current = NOW;
  const run = stepHarness([command], { services: host.services });
  run.ctx.docker = host.docker;
  return { host, ...run };
}
const STORE = '/var/lib/cni/networks/cbr0';

test("doctor's CNIStaleAllocations and init's ipam-gc step: the dead VM's allocation is named, then freed; the live ones stay", async (t) => {
  const doctor = harness('doctor');
  doctor.host.ipam.allocate(STORE, '10.50.31.2', 'ignite-0123456789abcdef', OLD);
  doctor.host.ipam.allocate(STORE, '10.50.31.3', 'ignite-fedcba9876543210', OLD);
  doctor.host.ipam.igniteVms = new Set(['0123456789abcdef']);
  const outcome = await staleAllocationsCheck.run(doctor.ctx, doctor.io);
  t.is(outcome.status, 'warn');
  t.regex(outcome.message, /^1 stale IP allocation in \/var\/lib\/cni\/networks\/cbr0 \(owner gone\): 10\.50\.31\.3 \(ignite-fedcba9876543210, since .*\); 1 kept \(1 an Ignite VM's dir\)$/);
  t.deepEqual(doctor.host.ipam.calls, [], 'doctor frees nothing');

  const init = harness('init');
  init.host.ipam.allocate(STORE, '10.50.31.2', 'ignite-0123456789abcdef', OLD);
  init.host.ipam.allocate(STORE, '10.50.31.3', 'ignite-fedcba9876543210', OLD);
  init.host.ipam.allocate(STORE, '10.50.31.4', 'fake-1', OLD);
  init.host.docker.add({ name: 'some-container' }); // id fake-1
  init.host.ipam.igniteVms = new Set(['0123456789abcdef']);
  const result = await ipamGcStep.run(init.ctx, init.io);
  t.is(result?.detail, 'freed 1 stale IP allocation: 10.50.31.3 (ignite-fedcba9876543210, since 2026-12-02 14:50 UTC)');
  t.deepEqual(init.host.ipam.calls, [`free ${STORE}/10.50.31.3`]);
  t.false(init.ctx.unchanged.has('ipam-gc'));
  t.deepEqual([...(init.host.ipam.stores.get(STORE)?.keys() ?? [])].sort(), ['10.50.31.2', '10.50.31.4']);

  // Run again: nothing stale, nothing changed.
  const again = await ipamGcStep.run(init.ctx, init.io);
  t.is(again?.detail, 'none stale (2 in use)');
  t.true(init.ctx.unchanged.has('ipam-gc'));
});

test('ipam-gc frees nothing when Docker cannot be listed, the store cannot be read or the lock cannot be taken, and says so', async (t) => {
  const noDocker = harness('init');
  noDocker.host.ipam.allocate(STORE, '10.50.31.3', 'ignite-fedcba9876543210', OLD);
  delete noDocker.ctx.docker;
  t.is((await ipamGcStep.run(noDocker.ctx, noDocker.io))?.detail, 'none stale (1 in use)');
  t.deepEqual(noDocker.progress, ['could not read Docker containers: the allocations they would decide are kept']);

  const unreadable = harness('init');
  unreadable.host.ipam.unreadable.add(STORE);
  t.is((await ipamGcStep.run(unreadable.ctx, unreadable.io))?.detail, 'store not readable, nothing freed');
  t.is(unreadable.warnings[0]?.message, `cannot read ${STORE}: EACCES: no stale IP allocation freed`);

  const locked = harness('init');
  locked.host.ipam.allocate(STORE, '10.50.31.3', 'ignite-fedcba9876543210', OLD);
  locked.host.ipam.lockProblem = `cannot take host-local's lock ${STORE}/lock within 10s`;
  t.is((await ipamGcStep.run(locked.ctx, locked.io))?.detail, 'nothing freed');
  t.regex(locked.warnings[0]?.message ?? '', /within 10s: 1 stale IP allocation not freed$/);
  t.true(locked.ctx.unchanged.has('ipam-gc'));
});

test('evaluateStale says nothing of kept allocations when none is kept', (t) => {
  const verdicts = judgeAllocations({ now: NOW, allocations: [alloc('10.50.31.3', 'ignite-fedcba9876543210')], docker: { ids: [], names: [] }, igniteVms: new Set(), netnsAddresses: new Set() });
  t.is(evaluateStale({ dir: '/d', kind: 'judged', verdicts }, 'init').message, '1 stale IP allocation in /d (owner gone): 10.50.31.3 (ignite-fedcba9876543210, since 2026-12-02 14:50 UTC)');
});
