/** init/join's summary carries Ignite's findings (steps/ignite.ts): an error with its fix, a stale ignited; nothing without Ignite. */
import test from 'ava';
import { initCommand } from '../../src/commands/init.js';
import { joinCommand } from '../../src/commands/join.js';
import { restartIgnitedNote } from '../../src/commands/command.js';
import { igniteStep } from '../../src/steps/ignite.js';
import { fakeKernel, fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

const NOW = Date.UTC(2026, 11, 2, 15, 0);
const CONFLIST = '/etc/cni/net.d/10-flannel.conflist';

function setUp(command: 'init' | 'join', ignite: { config?: string; ignitedStartedAt?: number }) {
  const host = fakeServices();
  host.clock.current = NOW;
  host.files.put(CONFLIST, '{}');
  if (ignite.config !== undefined) host.files.put('/etc/ignite/config.yaml', ignite.config);
  const services = { ...host.services, kernel: { ...fakeKernel, processStartedAt: async () => ignite.ignitedStartedAt } };
  const { ctx, io } = stepHarness(command === 'init' ? ['init'] : ['join', '192.0.2.1'], { services });
  return { ctx, run: () => igniteStep.run(ctx, io), summary: () => (command === 'init' ? initCommand : joinCommand).summary(ctx) };
}

const igniteLines = (lines: { label: string; value: string }[]) => lines.filter((l) => l.label.startsWith('Ignite'));

test('init: networkPlugin flannel is an error line with the fix; an ignited older than the conflist a warning naming systemctl restart ignited', async (t) => {
  const { run, summary } = setUp('init', { config: 'spec:\n  networkPlugin: flannel\n', ignitedStartedAt: NOW - 3_600_000 });
  t.is((await run())?.detail, '1 error, 1 warning (in the summary)');
  const { lines, next } = summary();
  t.deepEqual(igniteLines(lines), [
    { label: 'Ignite ERROR', value: '/etc/ignite/config.yaml sets networkPlugin: flannel: Ignite fails every VM start with "Unknown Network Plugin". Fix: Set `networkPlugin: cni` under spec: in /etc/ignite/config.yaml, then `systemctl restart ignited`.' },
    { label: 'Ignite warning', value: `ignited started 2026-12-02 14:00:00 UTC, before ${CONFLIST} was last written (2026-12-02 15:00:00 UTC): it still uses the CNI config it read at start. Fix: Run \`systemctl restart ignited\`.` },
  ]);
  t.false(next.includes(restartIgnitedNote), 'the warning says it; the generic note is not repeated');
});

test('join: the same lines; a good config and a fresh ignited say nothing; no Ignite says nothing', async (t) => {
  const bad = setUp('join', { config: 'spec:\n  networkPlugin: docker-bridge\n' });
  await bad.run();
  t.deepEqual(igniteLines(bad.summary().lines).map((l) => l.label), ['Ignite ERROR']);
  t.regex(igniteLines(bad.summary().lines)[0]?.value ?? '', /networkPlugin: docker-bridge: VMs get Docker's bridge, not the overlay\. Fix: Set `networkPlugin: cni`/);

  const good = setUp('join', { config: 'spec:\n  networkPlugin: cni\n', ignitedStartedAt: NOW + 1_000 });
  t.is((await good.run())?.detail, 'fine: networkPlugin cni, ignited started after the CNI config');
  t.deepEqual(igniteLines(good.summary().lines), []);

  for (const command of ['init', 'join'] as const) {
    const none = setUp(command, {});
    t.is((await none.run())?.detail, 'no Ignite here (no config file, no ignited)');
    const { lines, next } = none.summary();
    t.deepEqual(igniteLines(lines), [], command);
    t.true(next.includes(restartIgnitedNote), `${command}: the usual note stays`);
  }
});

test('init and join run the Ignite check after the conflist is written and stale allocations freed', (t) => {
  for (const spec of [initCommand, joinCommand]) {
    const ids = spec.steps(stepHarness(spec === initCommand ? ['init'] : ['join', '192.0.2.1']).ctx.options).map((s) => s.id);
    t.is(ids.indexOf('ignite'), ids.indexOf('ipam-gc') + 1, spec.name);
    t.true(ids.indexOf('cni') < ids.indexOf('ignite'), spec.name);
  }
});
