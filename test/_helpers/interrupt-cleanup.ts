/**
 * Ctrl-C (SIGINT) delivered before each step of `cleanup`, one test per step id read from the command
 * module (cleanup's steps change: new ones are covered without editing the tests). Two test files
 * register half of the ids each (interrupt-cleanup-a/-b.test.ts).
 *
 * The host is initialised with the secure default (Ignite's own conflist moved aside), then cleanup is
 * paused at the step with the IGNITE_NET_TEST_PAUSE_AT hook and interrupted. Expected: exit 130 within
 * seconds, "interrupted" and what to run next; before the first removal step the host is unchanged
 * (same containers, same lease, the keys and credentials in place); and `cleanup` run again completes:
 * nothing of ignite-net left but the etcd data volume (no --purge) and the CA and root credential that
 * open it, Ignite's conflist back byte for byte.
 */
import type { TestFn } from 'ava';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupCommand } from '../../src/commands/cleanup.js';
import { CNI_FILES, ETCD_VOLUME } from '../../src/defaults.js';
import { describe, HOST_STATE_DIR, runCli, sharedHostsWithTestImages, TEST_IMAGE_FLAGS } from './cli.js';
import { interruptAtPause, managedContainers, optionsFor, readHostState, readSubnetEnv, startCli, waitHealthy } from './faults.js';
import type { SimHost } from './hosts.js';

const IGNITE_CONFLIST = '{\n  "cniVersion": "0.4.0",\n  "name": "ignite-cni-bridge",\n  "plugins": [ { "type": "bridge" } ]\n}\n';

/** Steps that never change the host: interrupted before any later one, the host is as it was. */
const READ_ONLY = new Set(['state', 'confirm']);

/** The state dir's entries besides the lock, sorted. */
async function stateDirEntries(host: SimHost): Promise<string[]> {
  const r = await host.exec('ls', ['-A', HOST_STATE_DIR]);
  return r.stdout.split('\n').filter((name) => name !== '' && !name.startsWith('lock')).sort();
}

export const cleanupStepIds = cleanupCommand.steps(optionsFor(['cleanup', '--yes'])).map((step) => step.id);

export function registerCleanupInterruptTests(test: TestFn, include: (index: number) => boolean): void {
  // One host for the file's tests, each starting from a clean one (`cleanup --purge` after each).
  const sharedHost = sharedHostsWithTestImages(test, 1, async ([host]) => host !== undefined && (await runCli(host, ['cleanup', '--purge', '--yes'])).code === 0);
  for (const [index, stepId] of cleanupStepIds.entries()) {
    if (!include(index)) continue;
    test.serial(`Ctrl-C before cleanup step "${stepId}": stops at once, cleanup again completes`, async (t) => {
      const host = (await sharedHost())[0] as SimHost;
      t.is(await readHostState(host), undefined, 'a clean host to start from');
      await writeFile(join(host.dirs.cniConfDir, CNI_FILES.ignite), IGNITE_CONFLIST);
      const init = await runCli(host, ['init', ...TEST_IMAGE_FLAGS]);
      t.is(init.code, 0, describe(init));
      const subnet = await waitHealthy(host, host, 'init');
      const containers = (await managedContainers(host)).map((c) => c.id);

      const run = startCli(host, ['cleanup', '--yes'], stepId);
      const { result, output } = await interruptAtPause(t, run);
      t.regex(result.stderr, /hint: .*ignite-net cleanup/, output);
      t.regex(result.stderr, /✖ cleanup failed after .* \(exit 130\)/, output);
      t.notRegex(result.stderr, /undo failed/, output);
      // The step it was paused before never ran.
      t.notRegex(result.stderr, new RegExp(`^✔ ${stepId} `, 'm'), output);

      if (cleanupStepIds.slice(0, index + 1).every((id) => READ_ONLY.has(id))) {
        t.deepEqual((await managedContainers(host)).map((c) => c.id), containers, `unchanged\n${output}`);
        t.is(await waitHealthy(host, host, 'init'), subnet);
        t.truthy(await readHostState(host));
        t.deepEqual(await stateDirEntries(host), ['etcd-root.json', 'etcd-tls', 'flannel-tls', 'pki', 'state.json'], output);
      }

      const again = await runCli(host, ['cleanup', '--yes']);
      t.is(again.code, 0, describe(again));
      t.deepEqual(await managedContainers(host), [], describe(again));
      t.deepEqual(await readdir(host.dirs.cniConfDir), [CNI_FILES.ignite], describe(again));
      t.is(await readFile(join(host.dirs.cniConfDir, CNI_FILES.ignite), 'utf8'), IGNITE_CONFLIST);
      t.is(await readSubnetEnv(host), undefined);
      t.is(await readHostState(host), undefined);
      t.truthy(await host.docker.getVolume(ETCD_VOLUME).inspect(), 'the etcd data volume is kept without --purge');
      t.deepEqual(await stateDirEntries(host), ['etcd-root.json', 'pki'], `only the CA and root credential that open the kept data\n${describe(again)}`);
    });
  }
}
