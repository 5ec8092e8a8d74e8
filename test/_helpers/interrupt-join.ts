/**
 * Ctrl-C (SIGINT) delivered before each step of `join`, one test per step id read from the command
 * module (a new step is covered without editing the tests). Two test files register half of the ids
 * each (interrupt-join-a/-b.test.ts), so each file stays well under a minute and a half.
 *
 * node1 is initialised; node2's join is paused at the step with the IGNITE_NET_TEST_PAUSE_AT hook, then
 * interrupted. Expected: exit 130, each change undone exactly once (newest first), node2 unchanged,
 * node1 untouched, and `join` run again completes with a single lease for node2.
 */
import type { TestFn } from 'ava';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { joinCommand } from '../../src/commands/join.js';
import { CNI_FILES } from '../../src/defaults.js';
import { describe, hostsWithTestImages, runCli, TEST_FLANNEL_FLAGS, TEST_INSECURE_INIT_FLAGS } from './cli.js';
import { assertUndoneOnceNewestFirst, flannelLinks, interruptAtPause, leases, managedContainers, optionsFor, readHostState, readSubnetEnv, startCli, waitHealthy } from './faults.js';
import type { SimHost } from './hosts.js';

const IGNITE_CONFLIST = '{\n  "cniVersion": "0.4.0",\n  "name": "ignite-cni-bridge",\n  "plugins": [ { "type": "bridge" } ]\n}\n';

/** The undo lines a completed step leaves for the runner, in the order the step declares them. */
const UNDOS_BY_STEP: Record<string, RegExp[]> = {
  flannel: [/undone\s+remove \S*subnet\.env$/, /undone\s+remove the devices flannel created$/, /undone\s+remove container ignite-flannel$/],
  cni: [/undone\s+move 10-ignite\.conflist back$/, /undone\s+remove \S*10-flannel\.conflist$/],
  'save-state': [/undone\s+remove the state file$/],
};

export const joinStepIds = joinCommand.steps(optionsFor(['join', '192.0.2.1'])).map((step) => step.id);

export function registerJoinInterruptTests(test: TestFn, include: (index: number) => boolean): void {
  for (const [index, stepId] of joinStepIds.entries()) {
    if (!include(index)) continue;
    test.serial(`Ctrl-C before join step "${stepId}": undone exactly once, host unchanged, join again completes`, async (t) => {
      const [node1, node2] = (await hostsWithTestImages(t, 2)) as [SimHost, SimHost];
      await writeFile(join(node2.dirs.cniConfDir, CNI_FILES.ignite), IGNITE_CONFLIST);
      const init = await runCli(node1, ['init', ...TEST_INSECURE_INIT_FLAGS]);
      t.is(init.code, 0, describe(init));
      const node1Subnet = await waitHealthy(node1, node1, 'init');
      const node1Containers = (await managedContainers(node1)).map((c) => c.id);

      const run = startCli(node2, ['join', node1.address, ...TEST_FLANNEL_FLAGS], stepId);
      const { result, output } = await interruptAtPause(t, run);
      t.notRegex(result.stderr, /undo failed|left in place/, output);

      const expected = joinStepIds.slice(0, index).flatMap((id) => UNDOS_BY_STEP[id] ?? []);
      assertUndoneOnceNewestFirst(t, result.stderr, expected, output);

      // node2 as before the join.
      t.deepEqual(await managedContainers(node2), [], output);
      t.deepEqual(await readdir(node2.dirs.cniConfDir), [CNI_FILES.ignite], output);
      t.is(await readFile(join(node2.dirs.cniConfDir, CNI_FILES.ignite), 'utf8'), IGNITE_CONFLIST);
      t.is(await readSubnetEnv(node2), undefined, output);
      t.is(await readHostState(node2), undefined, output);
      t.deepEqual(await flannelLinks(node2), [], output);
      // node1 untouched.
      t.deepEqual((await managedContainers(node1)).map((c) => c.id), node1Containers);
      t.is(await waitHealthy(node1, node1, 'init'), node1Subnet);

      const again = await runCli(node2, ['join', node1.address, ...TEST_FLANNEL_FLAGS]);
      t.is(again.code, 0, describe(again));
      const subnet = await waitHealthy(node2, node1, 'joined');
      t.is((await readHostState(node2))?.['subnet'], subnet);
      const held = [...(await leases(node1, node1.address)).entries()].filter(([, ip]) => ip === node2.address);
      t.deepEqual(held, [[subnet, node2.address]], 'node2 holds exactly one lease (a lease kept by the undone flannel is reused)');
    });
  }
}
