/**
 * Ctrl-C (SIGINT) delivered before each step of a secure `join` (the command init printed, with its
 * token), one test per step id read from the command module (a new step is covered without editing the
 * tests), and inside the identity step right after the token's box is taken and once the join is
 * recorded. Two test files register half of the points each (interrupt-join-a/-b.test.ts).
 *
 * node1 is initialised (once per file: the hosts are shared, node2 cleaned with --purge after each
 * test) and makes a token per test; node2's join is paused there with the IGNITE_NET_TEST_PAUSE_AT hook, then
 * interrupted. Expected: exit 130, each change undone exactly once (newest first) — the token given
 * back unused when it was taken —, node2 unchanged (no flannel-tls/ either), node1 untouched, and the
 * same join command run again completes with a single lease for node2.
 */
import type { TestFn } from 'ava';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { joinCommand } from '../../src/commands/join.js';
import { CNI_FILES } from '../../src/defaults.js';
import { describe, HOST_STATE_DIR, joinCommandOf, runCli, sharedHostsWithTestImages, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from './cli.js';
import { assertUndoneOnceNewestFirst, flannelLinks, interruptAtPause, leases, managedContainers, optionsFor, readHostState, readSubnetEnv, startCli, waitHealthy } from './faults.js';
import type { SimHost } from './hosts.js';

const IGNITE_CONFLIST = '{\n  "cniVersion": "0.4.0",\n  "name": "ignite-cni-bridge",\n  "plugins": [ { "type": "bridge" } ]\n}\n';

const inState = (path: string): RegExp => new RegExp(`undone\\s+remove ${HOST_STATE_DIR}/${path.replaceAll('.', '\\.')}$`);

/** The undo lines a completed step leaves for the runner, in the order the step declares them. */
const UNDOS_BY_STEP: Record<string, RegExp[]> = {
  identity: [
    /undone\s+give the token [a-z0-9]{6}\.… back \(unused\)$/,
    ...['flannel-tls', 'flannel-tls/ca.pem', 'flannel-tls/client-key.pem', 'flannel-tls/client.pem', 'flannel-tls/etcd-password', 'flannel-tls/etcd-username'].map(inState),
  ],
  flannel: [/undone\s+remove \S*subnet\.env$/, /undone\s+remove the devices flannel created$/, /undone\s+remove the routes flannel added$/, /undone\s+remove container ignite-flannel$/],
  cni: [/undone\s+move 10-ignite\.conflist back$/, /undone\s+remove \S*10-flannel\.conflist$/],
  'save-state': [/undone\s+remove the state file$/],
};

export const joinStepIds = joinCommand.steps(optionsFor(['join', '192.0.2.1'])).map((step) => step.id);

/** Inside the identity step: the token's box taken (nothing recorded or written yet); the join recorded and flannel-tls/ made, empty. */
export const JOIN_INSIDE = ['identity:1', 'identity:2'];

/** Every interruption point: before each step, then inside identity. */
export const joinPoints = [...joinStepIds, ...JOIN_INSIDE];

function undosBefore(point: string): RegExp[] {
  const [stepId = '', change] = point.split(':');
  const inside = change === undefined ? [] : (UNDOS_BY_STEP[stepId] ?? []).slice(0, Number(change));
  return [...joinStepIds.slice(0, joinStepIds.indexOf(stepId)).flatMap((id) => UNDOS_BY_STEP[id] ?? []), ...inside];
}

export function registerJoinInterruptTests(test: TestFn, include: (index: number) => boolean): void {
  // node1 stays initialised across the file's tests; node2 starts each test clean (`cleanup --purge`).
  const sharedHosts = sharedHostsWithTestImages(test, 2, async ([, node2]) => node2 !== undefined && (await runCli(node2, ['cleanup', '--purge', '--yes'])).code === 0);
  for (const [index, point] of joinPoints.entries()) {
    if (!include(index)) continue;
    const where = point.includes(':') ? `inside join step "${point.split(':')[0]}" after change ${point.split(':')[1]}` : `before join step "${point}"`;
    test.serial(`Ctrl-C ${where}: undone exactly once, host unchanged, the same join command completes`, async (t) => {
      const [node1, node2] = (await sharedHosts()) as [SimHost, SimHost];
      await writeFile(join(node2.dirs.cniConfDir, CNI_FILES.ignite), IGNITE_CONFLIST);
      if ((await readHostState(node1)) === undefined) {
        const init = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS]);
        t.is(init.code, 0, describe(init));
      }
      // A token of its own per test, as an operator makes one for each host.
      const created = await runCli(node1, ['token', 'create']);
      t.is(created.code, 0, describe(created));
      const joinArgs = [...joinCommandOf(created.stdout), ...TEST_FLANNEL_FLAGS];
      const tokenId = joinArgs[joinArgs.indexOf('--token') + 1]?.split('.')[0] ?? '';
      const node1Subnet = await waitHealthy(node1, node1, 'init');
      const node1Containers = (await managedContainers(node1)).map((c) => c.id);

      const run = startCli(node2, joinArgs, point);
      const { result, output } = await interruptAtPause(t, run);
      t.notRegex(result.stderr, /undo failed|left in place/, output);

      assertUndoneOnceNewestFirst(t, result.stderr, undosBefore(point), output);

      // node2 as before the join.
      t.deepEqual(await managedContainers(node2), [], output);
      t.deepEqual(await readdir(node2.dirs.cniConfDir), [CNI_FILES.ignite], output);
      t.is(await readFile(join(node2.dirs.cniConfDir, CNI_FILES.ignite), 'utf8'), IGNITE_CONFLIST);
      t.is(await readSubnetEnv(node2), undefined, output);
      t.is(await readHostState(node2), undefined, output);
      t.deepEqual(await flannelLinks(node2), [], output);
      const left = (await node2.exec('ls', ['-A', HOST_STATE_DIR])).stdout.split('\n').filter((name) => name !== '' && !name.startsWith('lock'));
      t.deepEqual(left, [], `no identity, key or certificate on node2\n${output}`);
      // node1 untouched; the token unused (given back if the join had taken it).
      t.deepEqual((await managedContainers(node1)).map((c) => c.id), node1Containers);
      t.is(await waitHealthy(node1, node1, 'init'), node1Subnet);
      const tokens = await runCli(node1, ['token', 'list']);
      t.regex(tokens.stdout, new RegExp(`${tokenId} +created .*; unused, expires`), `${tokens.stdout}\n${output}`);

      const again = await runCli(node2, joinArgs);
      t.is(again.code, 0, describe(again));
      const subnet = await waitHealthy(node2, node1, 'joined');
      t.is((await readHostState(node2))?.['subnet'], subnet);
      const held = [...(await leases(node1, node1.address)).entries()].filter(([, ip]) => ip === node2.address);
      t.deepEqual(held, [[subnet, node2.address]], 'node2 holds exactly one lease (a lease kept by the undone flannel is reused)');
      t.regex((await runCli(node1, ['token', 'list'])).stdout, new RegExp(`${tokenId} +created .*; used by ${node2.address.replaceAll('.', '\\.')}`));
    });
  }
}
