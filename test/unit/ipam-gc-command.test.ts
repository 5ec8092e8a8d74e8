/** `ipam gc [--yes]` against fakes: the dry run lists the stale one and why, --yes frees it; its bad input. */
import test from 'ava';
import { parseArgs } from '../../src/args.js';
import { ipamGcReport, staleReason } from '../../src/cni/ipam-gc-report.js';
import { judgeAllocations } from '../../src/cni/ipam-stale.js';
import { ipamCommand } from '../../src/commands/ipam.js';
import { IgniteError } from '../../src/core/errors.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

const NOW = Date.UTC(2026, 11, 2, 15, 0);
const OLD = NOW - 10 * 60_000;
const STORE = '/var/lib/cni/networks/cbr0';
const LIVE_VM = 'ignite-0123456789abcdef';
const DEAD_VM = 'ignite-fedcba9876543210';

function setUp(argv: string[]) {
  const host = fakeServices();
  host.clock.current = NOW;
  const run = stepHarness(['ipam', 'gc', ...argv], { services: host.services });
  run.ctx.docker = host.docker;
  host.ipam.allocate(STORE, '10.50.31.2', LIVE_VM, OLD);
  host.ipam.allocate(STORE, '10.50.31.3', DEAD_VM, OLD);
  host.ipam.allocate(STORE, '10.50.31.4', 'abc', OLD);
  host.ipam.allocate(STORE, '10.50.31.5', 'new-one', NOW - 30_000);
  host.ipam.igniteVms = new Set(['0123456789abcdef']);
  const gc = ipamCommand.steps(run.ctx.options).at(-1);
  if (gc === undefined) throw new Error('no gc step');
  return { host, ...run, gc: () => gc.run(run.ctx, run.io), summary: () => ipamCommand.summary(run.ctx) };
}

test('ipam gc (dry run) lists each stale allocation with its owner, since when and why, frees nothing, says how', async (t) => {
  const { host, gc, summary } = setUp([]);
  t.is((await gc())?.detail, '2 stale');
  t.deepEqual(host.ipam.calls, [], 'a dry run frees nothing');
  t.is(host.ipam.stores.get(STORE)?.size, 4);
  const { title, lines, next, exitCode } = summary();
  t.is(title, 'ignite-net ipam gc: 2 stale IP allocations (dry run, nothing freed)');
  t.is(exitCode, undefined, 'exit 0');
  t.deepEqual(lines, [
    { label: 'store', value: STORE },
    { label: '10.50.31.3', value: `${DEAD_VM}, since 2026-12-02 14:50 UTC: stale (no /var/lib/firecracker/vm/fedcba9876543210 (Ignite VM gone), no Docker container ${DEAD_VM}, 10.50.31.3 is in no netns in use, older than 2 min)` },
    { label: '10.50.31.4', value: "abc, since 2026-12-02 14:50 UTC: stale (no Docker container is abc, not an Ignite VM's ID, 10.50.31.4 is in no netns in use, older than 2 min)" },
    { label: 'kept', value: "2 kept (1 an Ignite VM's dir, 1 just allocated)" },
  ]);
  t.deepEqual(next, ['Run with --yes to free them: sudo ignite-net ipam gc --yes']);
});

test('ipam gc --yes frees the stale ones through the ipam-gc step\'s code (lock, re-read); the live and the recent stay', async (t) => {
  const { host, gc, summary, progress } = setUp(['--yes']);
  // Released meanwhile (another gc, a CNI DEL): the re-read says so and it is not counted as freed.
  const releaseAllocations = host.ipam.releaseAllocations;
  host.ipam.releaseAllocations = async (dir, allocations) => {
    host.ipam.stores.get(dir)?.delete('10.50.31.4');
    return releaseAllocations(dir, allocations);
  };
  t.is((await gc())?.detail, 'freed 1');
  t.deepEqual(host.ipam.calls, [`free ${STORE}/10.50.31.3`]);
  t.deepEqual([...(host.ipam.stores.get(STORE)?.keys() ?? [])].sort(), ['10.50.31.2', '10.50.31.5']);
  t.deepEqual(progress, ['10.50.31.4 kept: already released']);
  const { title, lines, next } = summary();
  t.is(title, 'ignite-net ipam gc: freed 1 stale IP allocation of 2');
  t.regex(lines.find((l) => l.label === '10.50.31.3')?.value ?? '', / — freed$/);
  t.regex(lines.find((l) => l.label === '10.50.31.4')?.value ?? '', / — kept: already released$/);
  t.deepEqual(next, []);

  // Again: nothing stale, nothing freed.
  host.ipam.calls.length = 0;
  t.is((await gc())?.detail, '0 stale');
  t.is(summary().title, 'ignite-net ipam gc: no stale IP allocations (2 kept)');
  t.deepEqual(host.ipam.calls, []);
});

test('ipam gc: an unreadable store or a lock it cannot take is an error naming the fix; no store, nothing to do', async (t) => {
  const unreadable = setUp(['--yes']);
  unreadable.host.ipam.unreadable.add(STORE);
  const denied = await t.throwsAsync(unreadable.gc(), { instanceOf: IgniteError });
  t.is(denied?.message, `cannot read ${STORE}: EACCES: no allocation checked`);
  t.is(denied?.exitCode, 9);
  t.is(denied?.hint, 'Run it as root: sudo ignite-net ipam gc.');

  const locked = setUp(['--yes']);
  locked.host.ipam.lockProblem = `cannot take host-local's lock ${STORE}/lock within 10s`;
  const busy = await t.throwsAsync(locked.gc(), { instanceOf: IgniteError });
  t.regex(busy?.message ?? '', /within 10s: 2 stale IP allocations not freed$/);
  t.is(locked.host.ipam.stores.get(STORE)?.size, 4, 'nothing freed');

  const none = setUp([]);
  none.host.ipam.stores.clear();
  t.is((await none.gc())?.detail, 'no allocations');
  t.is(none.summary().title, 'ignite-net ipam gc: no IP allocations');
});

test('ipam gc without Docker keeps what Docker would decide and says it was not read', (t) => {
  const verdicts = judgeAllocations({ now: NOW, allocations: [{ address: '10.50.31.3', containerId: DEAD_VM, since: OLD }], igniteVms: new Set(), netnsAddresses: new Set() });
  const report = ipamGcReport({ found: { dir: STORE, kind: 'judged', verdicts } }, '/vm');
  t.is(report.title, 'ignite-net ipam gc: no stale IP allocations (1 kept)');
  t.deepEqual(report.lines.slice(1), [{ label: 'kept', value: '1 kept (1 owner could not be checked)' }, { label: 'not read', value: 'Docker containers: what they decide is kept' }]);
  t.is(staleReason({ address: '10.50.31.9', containerId: '', since: OLD }, '/vm'), "no Docker container is its owner, not an Ignite VM's ID, 10.50.31.9 is in no netns in use, older than 2 min");
});

test('ipam bad input: one line and a hint, exit 2', (t) => {
  const cases: [string[], string][] = [
    [['ipam'], 'ipam needs what to do: gc'],
    [['ipam', 'free'], 'unknown ipam action "free"'],
    [['ipam', 'gc', 'extra'], 'ipam gc takes no more arguments (got "extra")'],
    [['ipam', 'gc', '--frobnicate'], 'unknown option --frobnicate'],
    [['ipam', 'gc', '--purge'], '--purge is not an option of ipam (it is for cleanup)'],
  ];
  for (const [argv, message] of cases) {
    const error = t.throws(() => parseArgs(argv, {}), { instanceOf: IgniteError }, argv.join(' '));
    t.is(error?.message, message, argv.join(' '));
    t.is(error?.exitCode, 2);
    t.false((error?.message ?? '').includes('\n'));
    t.regex(error?.hint ?? '', /ignite-net ipam/, argv.join(' '));
  }
  const ok = parseArgs(['ipam', 'gc', '--yes', '--json'], {});
  t.true(ok.kind === 'run' && ok.options.yes && ok.options.json);
});
