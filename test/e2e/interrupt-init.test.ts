/**
 * Ctrl-C (SIGINT) delivered before each step of `init`, one test per step id read from the command
 * module (a new step is covered without editing this file). The CLI is paused at the step with the
 * IGNITE_NET_TEST_PAUSE_AT hook, then interrupted. Expected: exit 130 within seconds, "interrupted",
 * each change made so far undone exactly once (newest first), the host unchanged, and `init` run
 * again completes. One more test: with --keep-on-failure the changes stay and are listed.
 */
import test from 'ava';
import Dockerode from 'dockerode';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initCommand } from '../../src/commands/init.js';
import { CNI_FILES, ETCD_VOLUME } from '../../src/defaults.js';
import { describe, runCli, TEST_INSECURE_INIT_FLAGS } from '../_helpers/cli.js';
import { assertUndoneOnceNewestFirst, flannelLinks, interruptAtPause, managedContainers, optionsFor, readHostState, readSubnetEnv, startCli, waitHealthy } from '../_helpers/faults.js';
import { createHosts, type SimHost } from '../_helpers/hosts.js';
import { ensureTestImages } from '../_helpers/images.js';

const IGNITE_CONFLIST = '{\n  "cniVersion": "0.4.0",\n  "name": "ignite-cni-bridge",\n  "plugins": [ { "type": "bridge" } ]\n}\n';

/** The undo lines a completed step leaves for the runner, in the order the step declares them. */
const UNDOS_BY_STEP: Record<string, RegExp[]> = {
  etcd: [/undone\s+remove volume ignite-etcd-data$/, /undone\s+remove container ignite-etcd$/],
  flannel: [/undone\s+remove \S*subnet\.env$/, /undone\s+remove the devices flannel created$/, /undone\s+remove container ignite-flannel$/],
  cni: [/undone\s+move 10-ignite\.conflist back$/, /undone\s+remove \S*10-flannel\.conflist$/],
  'save-state': [/undone\s+remove the state file$/],
};

const stepIds = initCommand.steps(optionsFor(['init'])).map((step) => step.id);

async function setUp(): Promise<{ host: SimHost; destroy: () => Promise<void> }> {
  const images = await ensureTestImages();
  const sim = await createHosts(1, { images: [images.etcd, images.flannel], imagesFrom: new Dockerode(), bindDefaultPaths: true });
  const host = sim.hosts[0]!;
  await writeFile(join(host.dirs.cniConfDir, CNI_FILES.ignite), IGNITE_CONFLIST);
  return { host, destroy: () => sim.destroy() };
}

/** No container, volume, conflist, subnet.env or state file of ours; Ignite's conflist back byte for byte. */
async function assertUnchanged(t: import('ava').ExecutionContext, host: SimHost, context: string): Promise<void> {
  t.deepEqual(await managedContainers(host), [], `no ignite-net containers\n${context}`);
  t.deepEqual(((await host.docker.listVolumes()).Volumes ?? []).map((v) => v.Name), [], `no volumes\n${context}`);
  t.deepEqual(await readdir(host.dirs.cniConfDir), [CNI_FILES.ignite], `only Ignite's conflist in the conf dir\n${context}`);
  t.is(await readFile(join(host.dirs.cniConfDir, CNI_FILES.ignite), 'utf8'), IGNITE_CONFLIST);
  t.is(await readSubnetEnv(host), undefined, `no subnet.env\n${context}`);
  t.is(await readHostState(host), undefined, `no state file\n${context}`);
  t.deepEqual(await flannelLinks(host), [], `no flannel device\n${context}`);
}

test('the step ids of init are known', (t) => {
  t.deepEqual(stepIds.slice(0, 1), ['state']);
  t.true(stepIds.includes('etcd') && stepIds.includes('flannel') && stepIds.includes('cni'), stepIds.join());
});

for (const [index, stepId] of stepIds.entries()) {
  test.serial(`Ctrl-C before init step "${stepId}": undone exactly once, host unchanged, init again completes`, async (t) => {
    const { host, destroy } = await setUp();
    t.teardown(destroy);

    const run = startCli(host, ['init', ...TEST_INSECURE_INIT_FLAGS], stepId);
    const { result, output } = await interruptAtPause(t, run);
    t.regex(result.stderr, /✖ init failed after .* \(exit 130\)/, output);
    t.notRegex(result.stderr, /undo failed/, output);
    t.notRegex(result.stderr, /left in place/, output);

    // Each change declared so far undone exactly once, newest first.
    const expected = stepIds.slice(0, index).flatMap((id) => UNDOS_BY_STEP[id] ?? []);
    assertUndoneOnceNewestFirst(t, result.stderr, expected, output);

    await assertUnchanged(t, host, output);

    const again = await runCli(host, ['init', ...TEST_INSECURE_INIT_FLAGS]);
    t.is(again.code, 0, describe(again));
    const subnet = await waitHealthy(host, host, 'init');
    t.is((await readHostState(host))?.['subnet'], subnet);
  });
}

test.serial('Ctrl-C before init step "save-state" with --keep-on-failure leaves everything and lists it', async (t) => {
  const { host, destroy } = await setUp();
  t.teardown(destroy);

  const run = startCli(host, ['init', ...TEST_INSECURE_INIT_FLAGS, '--keep-on-failure'], 'save-state');
  await run.paused();
  run.child.kill('SIGINT');
  const result = await run.exited;
  const output = describe({ ...result, timedOut: false });
  t.is(result.code, 130, output);
  t.notRegex(result.stderr, /undone/, output);
  const left = result.stderr.slice(result.stderr.indexOf('left in place:'));
  t.regex(result.stderr, /left in place:/, output);
  for (const item of [/- remove container ignite-flannel/, /- remove container ignite-etcd/, /- remove volume ignite-etcd-data/, /- remove \S*10-flannel\.conflist/, /- move 10-ignite\.conflist back/]) {
    t.regex(left, item, output);
  }
  // What it lists is really there.
  t.deepEqual((await managedContainers(host)).map((c) => `${c.name}:${c.state}`), ['ignite-etcd:running', 'ignite-flannel:running']);
  t.truthy(await host.docker.getVolume(ETCD_VOLUME).inspect());
  t.deepEqual((await readdir(host.dirs.cniConfDir)).sort(), [CNI_FILES.igniteMovedAside, CNI_FILES.ours].sort());
  const subnet = await waitHealthy(host, host, 'init');
  t.is(await readHostState(host), undefined, 'the interrupted step did not write the state file');

  // Running init again finishes it without recreating anything.
  const again = await runCli(host, ['init', ...TEST_INSECURE_INIT_FLAGS]);
  t.is(again.code, 0, describe(again));
  t.is(await waitHealthy(host, host, 'init'), subnet);
  t.is((await readHostState(host))?.['subnet'], subnet);
});
