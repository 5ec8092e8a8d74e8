/**
 * Ctrl-C (SIGINT) delivered before each step of the secure default `init`, one test per step id read
 * from the command module (a new step is covered without editing this file), and inside the secure
 * steps right after a chosen change (INSIDE). The CLI is paused there with the IGNITE_NET_TEST_PAUSE_AT
 * hook, then interrupted. Expected: exit 130 within seconds, "interrupted", each change made so far
 * undone exactly once (newest first), the host unchanged — no CA, certificate or credential of the
 * interrupted run either (no join command was printed, so a new CA is right) — and `init` run again
 * completes with a join command that pins the CA it made. More tests: with --keep-on-failure the
 * changes stay and are listed; an init on a kept volume (after cleanup) interrupted after its token
 * leaves no token behind, and keeps the CA.
 */
import test from 'ava';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initCommand } from '../../src/commands/init.js';
import { CNI_FILES, ETCD_VOLUME } from '../../src/defaults.js';
import { caPin } from '../../src/pki/inspect.js';
import { describe, etcdGetPrefix, HOST_STATE_DIR, joinCommandOf, runCli, sharedHostsWithTestImages, TEST_IMAGE_FLAGS } from '../_helpers/cli.js';
import { assertUndoneOnceNewestFirst, flannelLinks, interruptAtPause, managedContainers, optionsFor, readHostState, readSubnetEnv, startCli, waitHealthy } from '../_helpers/faults.js';
import type { SimHost } from '../_helpers/hosts.js';

const IGNITE_CONFLIST = '{\n  "cniVersion": "0.4.0",\n  "name": "ignite-cni-bridge",\n  "plugins": [ { "type": "bridge" } ]\n}\n';

const inState = (path: string): RegExp => new RegExp(`undone\\s+remove ${HOST_STATE_DIR}/${path.replaceAll('.', '\\.')}$`);

/** The undo lines a completed step leaves for the runner on a fresh host, in the order the step declares them. */
const UNDOS_BY_STEP: Record<string, RegExp[]> = {
  pki: [
    ...['pki', 'etcd-tls', 'flannel-tls'].map(inState),
    ...['pki/ca-key.pem', 'pki/ca.pem', 'etcd-tls/member-key.pem', 'etcd-tls/member.pem', 'etcd-tls/ca.pem'].map(inState),
    ...['flannel-tls/client-key.pem', 'flannel-tls/client.pem', 'flannel-tls/ca.pem'].map(inState),
  ],
  etcd: [/undone\s+remove volume ignite-etcd-data$/, /undone\s+remove container ignite-etcd$/],
  auth: [inState('etcd-root.json'), /undone\s+remove etcd role ignite-host-[a-z0-9]{6}$/, /undone\s+remove etcd user ignite-host-[a-z0-9]{6}$/, ...['flannel-tls/etcd-password', 'flannel-tls/etcd-username'].map(inState)],
  token: [/undone\s+take back the unused token [a-z0-9]{6} \(its users, roles and keys in etcd\)$/],
  flannel: [/undone\s+remove \S*subnet\.env$/, /undone\s+remove the devices flannel created$/, /undone\s+remove the routes flannel added$/, /undone\s+remove container ignite-flannel$/],
  cni: [/undone\s+move 10-ignite\.conflist back$/, /undone\s+remove \S*10-flannel\.conflist$/],
  'save-state': [/undone\s+remove the state file$/],
};

const stepIds = initCommand.steps(optionsFor(['init'])).map((step) => step.id);

/**
 * Inside the secure steps, right after their n-th change: the CA made (member certificate not yet);
 * etcd's TLS container started (not yet answering); auth on, root's credential, the flannel role and
 * this host's user made (its files not yet written); the token's host identity made (its own user,
 * role and sealed box not yet).
 */
const INSIDE = ['pki:5', 'etcd:2', 'auth:3', 'token:1'];

/** Every interruption point: before each step, then inside the secure ones. */
const points = [...stepIds, ...INSIDE];

/** The undos a run interrupted at `point` must have run, oldest first. */
function undosBefore(point: string): RegExp[] {
  const [stepId = '', change] = point.split(':');
  const index = stepIds.indexOf(stepId);
  const inside = change === undefined ? [] : (UNDOS_BY_STEP[stepId] ?? []).slice(0, Number(change));
  return [...stepIds.slice(0, index).flatMap((id) => UNDOS_BY_STEP[id] ?? []), ...inside];
}

/** What the state dir holds besides the lock: nothing of an init that did not complete. */
async function stateDirEntries(host: SimHost): Promise<string[]> {
  const r = await host.exec('ls', ['-A', HOST_STATE_DIR]);
  return r.stdout.split('\n').filter((name) => name !== '' && !name.startsWith('lock'));
}

/** The join command init printed pins the CA now on the host, and etcd holds its token's sealed identity. */
async function assertJoinCommandValid(t: import('ava').ExecutionContext, host: SimHost, stdout: string): Promise<string> {
  const args = joinCommandOf(stdout);
  const ca = await host.exec('cat', [`${HOST_STATE_DIR}/pki/ca.pem`]);
  t.is(args[args.indexOf('--ca-cert-hash') + 1], caPin(ca.stdout), 'the join command pins the CA on the host');
  const id = args[args.indexOf('--token') + 1]?.split('.')[0] ?? '';
  t.true((await etcdGetPrefix(host, host.address, `/ignite-net/bootstrap/${id}`)).size === 1, `token ${id} can be used`);
  return id;
}

/** One host for the file's tests, each starting from a clean host: `cleanup --purge` after each. */
const sharedHost = sharedHostsWithTestImages(test, 1, async ([host]) => host !== undefined && (await runCli(host, ['cleanup', '--purge', '--yes'])).code === 0);

async function setUp(): Promise<SimHost> {
  const [host] = (await sharedHost()) as [SimHost];
  await writeFile(join(host.dirs.cniConfDir, CNI_FILES.ignite), IGNITE_CONFLIST);
  return host;
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
  t.deepEqual(await stateDirEntries(host), [], `no CA, certificate, key or credential in ${HOST_STATE_DIR}\n${context}`);
}

test('the step ids of init are known', (t) => {
  t.deepEqual(stepIds.slice(0, 1), ['state']);
  t.true(['pki', 'etcd', 'auth', 'flannel', 'cni', 'token'].every((id) => stepIds.includes(id)), stepIds.join());
  for (const point of INSIDE) t.true(stepIds.includes(point.split(':')[0] ?? ''), point);
});

for (const point of points) {
  const where = point.includes(':') ? `inside init step "${point.split(':')[0]}" after change ${point.split(':')[1]}` : `before init step "${point}"`;
  test.serial(`Ctrl-C ${where}: undone exactly once, host unchanged, init again completes`, async (t) => {
    const host = await setUp();
    await assertUnchanged(t, host, 'before the test: a clean host');

    const run = startCli(host, ['init', ...TEST_IMAGE_FLAGS], point);
    const { result, output } = await interruptAtPause(t, run);
    t.regex(result.stderr, /✖ init failed after .* \(exit 130\)/, output);
    t.notRegex(result.stderr, /undo failed/, output);
    t.notRegex(result.stderr, /left in place/, output);
    t.notRegex(result.stdout + result.stderr, /sudo ignite-net join/, 'no join command printed');

    // Each change declared so far undone exactly once, newest first.
    assertUndoneOnceNewestFirst(t, result.stderr, undosBefore(point), output);

    await assertUnchanged(t, host, output);

    const again = await runCli(host, ['init', ...TEST_IMAGE_FLAGS]);
    t.is(again.code, 0, describe(again));
    const subnet = await waitHealthy(host, host, 'init');
    t.is((await readHostState(host))?.['subnet'], subnet);
    await assertJoinCommandValid(t, host, again.stdout);

    if (point === 'save-state') {
      // An init on the data cleanup kept (and the CA and root credential with it), interrupted after
      // its token: the token is taken back, the CA and the first token stay; init again completes.
      const first = await assertJoinCommandValid(t, host, again.stdout);
      const cleaned = await runCli(host, ['cleanup', '--yes']);
      t.is(cleaned.code, 0, describe(cleaned));
      const pin = caPin((await host.exec('cat', [`${HOST_STATE_DIR}/pki/ca.pem`])).stdout);
      const kept = await interruptAtPause(t, startCli(host, ['init', ...TEST_IMAGE_FLAGS], 'save-state'));
      const made = /✔ .*token ([a-z0-9]{6}), valid until/.exec(kept.result.stderr)?.[1];
      const user = /✔ .*this host is (ignite-host-[a-z0-9]{6})/.exec(kept.result.stderr)?.[1];
      t.truthy(made && user, kept.output);
      t.regex(kept.result.stderr, new RegExp(`undone\\s+remove etcd user ${user ?? '?'}$`, 'm'), kept.output);
      t.regex(kept.result.stderr, new RegExp(`undone\\s+take back the unused token ${made ?? '?'} `), kept.output);
      t.notRegex(kept.result.stderr, /undo failed|left in place/, kept.output);
      t.truthy(await host.docker.getVolume(ETCD_VOLUME).inspect(), 'the kept volume stays');
      const third = await runCli(host, ['init', ...TEST_IMAGE_FLAGS]);
      t.is(third.code, 0, describe(third));
      await waitHealthy(host, host, 'init');
      const last = await assertJoinCommandValid(t, host, third.stdout);
      t.is(joinCommandOf(third.stdout).at(-1), pin, 'the CA kept with the data: same pin');
      const tokens = await runCli(host, ['token', 'list']);
      t.is(tokens.code, 0, describe(tokens));
      t.regex(tokens.stdout, new RegExp(`${first} +created`), tokens.stdout);
      t.regex(tokens.stdout, new RegExp(`${last} +created`), tokens.stdout);
      t.false(tokens.stdout.includes(made ?? '?'), `the interrupted run's token ${made ?? '?'} is gone\n${tokens.stdout}`);
      const hosts = await runCli(host, ['hosts', 'list']);
      t.is(hosts.code, 0, describe(hosts));
      for (const gone of [user ?? '?', `ignite-host-${made ?? '?'}`]) t.false(hosts.stdout.includes(gone), `no identity ${gone} of the interrupted run\n${hosts.stdout}`);
    }
  });
}

test.serial('Ctrl-C before init step "save-state" with --keep-on-failure leaves everything and lists it', async (t) => {
  const host = await setUp();

  const run = startCli(host, ['init', ...TEST_IMAGE_FLAGS, '--keep-on-failure'], 'save-state');
  await run.paused();
  run.child.kill('SIGINT');
  const result = await run.exited;
  const output = describe({ ...result, timedOut: false });
  t.is(result.code, 130, output);
  t.notRegex(result.stderr, /undone/, output);
  const left = result.stderr.slice(result.stderr.indexOf('left in place:'));
  t.regex(result.stderr, /left in place:/, output);
  for (const item of [/- take back the unused token/, /- remove container ignite-flannel/, /- remove container ignite-etcd/, /- remove volume ignite-etcd-data/, /- remove \S*10-flannel\.conflist/, /- move 10-ignite\.conflist back/, /- remove \S*\/etcd-root\.json/, /- remove \S*\/pki\/ca-key\.pem/]) {
    t.regex(left, item, output);
  }
  // What it lists is really there.
  t.deepEqual((await managedContainers(host)).map((c) => `${c.name}:${c.state}`), ['ignite-etcd:running', 'ignite-flannel:running']);
  t.truthy(await host.docker.getVolume(ETCD_VOLUME).inspect());
  t.deepEqual((await readdir(host.dirs.cniConfDir)).sort(), [CNI_FILES.igniteMovedAside, CNI_FILES.ours].sort());
  const subnet = await waitHealthy(host, host, 'init');
  t.is(await readHostState(host), undefined, 'the interrupted step did not write the state file');

  // Running init again finishes it without recreating anything.
  const again = await runCli(host, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(again.code, 0, describe(again));
  t.is(await waitHealthy(host, host, 'init'), subnet);
  await assertJoinCommandValid(t, host, again.stdout);
  t.is((await readHostState(host))?.['subnet'], subnet);
});
