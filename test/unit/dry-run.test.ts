/**
 * --dry-run: the recording adapters (src/adapters/dry-run) record every change and never call the
 * write of the adapter underneath; reads pass through; a step that waits for what a would-be-started
 * container does is told it cannot be observed. Against the fakes (test/_helpers/fakes.ts).
 */
import test from 'ava';
import { DryRunLedger } from '../../src/adapters/dry-run/ledger.js';
import { dryRunServices } from '../../src/adapters/dry-run/services.js';
import { flannelSpec } from '../../src/adapters/container-specs.js';
import { parseArgs } from '../../src/args.js';
import { cleanupCommand } from '../../src/commands/cleanup.js';
import { runCommand } from '../../src/commands/command.js';
import { runSteps } from '../../src/core/runner.js';
import type { DryRunChange, RunEventBody } from '../../src/core/events.js';
import type { Step } from '../../src/core/step.js';
import { CONTAINER_NAMES, ETCD_VOLUME } from '../../src/defaults.js';
import { subnetEnvPath } from '../../src/net/subnet-env.js';
import type { CommandContext } from '../../src/steps/context.js';
import { flannelStep } from '../../src/steps/flannel.js';
import { writeAllWithUndo } from '../../src/steps/pki.js';
import { createPlainReporter } from '../../src/ui/plain-reporter.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

const ENDPOINT = 'http://192.0.2.1:2379';
const whats = (changes: readonly DryRunChange[]): string[] => changes.map((c) => c.what);

test('files: writes, directories, moves and removals are recorded with their paths, never made; a written file reads back', async (t) => {
  const host = fakeServices();
  host.files.put('/etc/cni/net.d/10-ignite.conflist', '{}');
  const dry = dryRunServices(host.services);
  await dry.files.ensureDir('/run/flannel');
  await dry.files.writeFileAtomic('/var/lib/ignite-net/pki/root.json', 'S3CRET-ROOT', 0o600);
  await dry.files.moveFile('/etc/cni/net.d/10-ignite.conflist', '/etc/cni/net.d/10-ignite.conflist.ignite-net-moved');
  t.true(await dry.files.removeFile('/etc/cni/net.d/10-ignite.conflist.ignite-net-moved'));
  t.false(await dry.files.removeFile('/nowhere'), 'a file that is not there is not "would remove"');
  await dry.files.removeTree('/var/lib/cni/flannel').then((had) => t.false(had));

  t.deepEqual(whats(dry.dryRun.changes), [
    'create directory /run/flannel (mode 0755)',
    'write /var/lib/ignite-net/pki/root.json (mode 0600, 11 B)',
    'move /etc/cni/net.d/10-ignite.conflist to /etc/cni/net.d/10-ignite.conflist.ignite-net-moved',
    'remove /etc/cni/net.d/10-ignite.conflist.ignite-net-moved',
  ]);
  t.false(host.files.dirs.has('/run/flannel'), 'the directory was not made');
  t.is(host.files.read('/var/lib/ignite-net/pki/root.json'), undefined, 'nothing was written');
  t.is(host.files.read('/etc/cni/net.d/10-ignite.conflist'), '{}', 'nothing was moved');
  t.is(await dry.files.readIfExists('/var/lib/ignite-net/pki/root.json'), 'S3CRET-ROOT', 'what a step wrote reads back in the same run');
  t.is(await dry.files.readIfExists('/etc/cni/net.d/10-ignite.conflist'), undefined, 'what it moved away reads as gone');
  t.false(JSON.stringify(dry.dryRun.changes).includes('S3CRET'), 'a file is recorded by path, mode and size, never its content');
});

test('docker: volume, create and start, stop and remove are recorded, not called; the image and flags are listed, env values are not', async (t) => {
  const host = fakeServices();
  const old = host.docker.add({ name: 'ignite-etcd', image: 'etcd:old', labels: { 'io.ignite-net.role': 'etcd' } });
  const dry = dryRunServices(host.services);
  const docker = await dry.docker();
  t.is(await docker.ensureVolume(ETCD_VOLUME, {}), 'created');
  t.is(await docker.stopAndRemove(old.id, 10), 'removed');
  t.is(await docker.inspectContainer('ignite-etcd'), undefined, 'a removed container reads as gone');
  const spec = { ...flannelSpec({ image: 'flannel:test', etcdEndpoints: ENDPOINT, advertiseAddress: '192.0.2.10', runDir: '/run/flannel', name: CONTAINER_NAMES.flannel }), Env: ['FLANNELD_ETCD_PASSWORD=hunter2'] };
  const view = await docker.createAndStart(spec);
  t.true(view.running);
  t.is((await docker.inspectContainer(CONTAINER_NAMES.flannel))?.image, 'flannel:test', 'the would-be container reads back');

  t.deepEqual(host.docker.calls, [], 'no call that changes Docker reached the engine');
  t.true(host.docker.containers.has(old.id));
  t.is(host.docker.volumes.size, 0);
  t.deepEqual(whats(dry.dryRun.changes), [`create volume ${ETCD_VOLUME}`, 'stop and remove container ignite-etcd', `create and start container ${CONTAINER_NAMES.flannel}`]);
  const details = dry.dryRun.changes[2]?.details ?? [];
  t.true(details.includes('image flannel:test'), details.join('\n'));
  t.true(details.some((d) => d.startsWith('command ') && d.includes('--public-ip=192.0.2.10')), details.join('\n'));
  t.true(details.includes('env FLANNELD_ETCD_PASSWORD (values not shown)'), details.join('\n'));
  t.false(JSON.stringify(dry.dryRun.changes).includes('hunter2'));
  t.true(dry.dryRun.wouldStart(CONTAINER_NAMES.flannel));
});

test('etcd: puts, deletes, lease keys and the seed are recorded by key and read back; the fake etcd keeps its keys', async (t) => {
  const host = fakeServices();
  const leaseKey = host.etcd.putLease('10.50.31.0/24', '192.0.2.10');
  const dry = dryRunServices(host.services);
  const store = dry.etcd(ENDPOINT, { timeoutMs: 1000 });
  t.is(await store.seedConfig('{"Network":"10.50.0.0/16"}', { force: false, equal: () => false }), 'created');
  await store.put('/ignite-net/hosts/h1', '{"password":"pw-value"}');
  t.true(await store.deleteLease('10.50.31.0/24'));
  t.is(await store.get('/ignite-net/hosts/h1'), '{"password":"pw-value"}', 'read back in the same run');
  t.is(await store.get(leaseKey), undefined, 'the lease key reads as deleted');

  t.true(host.etcd.keys.has(leaseKey), 'the real lease is still there');
  t.false(host.etcd.keys.has('/coreos.com/network/config'));
  t.false(host.etcd.keys.has('/ignite-net/hosts/h1'));
  t.deepEqual(host.etcd.deleted, []);
  t.deepEqual(whats(dry.dryRun.changes), ['put etcd key /coreos.com/network/config (the network config)', 'put etcd key /ignite-net/hosts/h1', `delete etcd key ${leaseKey} (and revoke its etcd lease)`]);
  t.false(JSON.stringify(dry.dryRun.changes).includes('pw-value'), 'values are never recorded');
});

test('network, ipam and state: device, route and iptables changes, freed allocations and the state file are recorded only', async (t) => {
  const host = fakeServices();
  host.network.links = [{ ifname: 'flannel0' }];
  const dry = dryRunServices(host.services);
  t.true(await dry.network.deleteLink('flannel0'));
  t.deepEqual(await dry.network.listLinks(), [], 'the device reads as deleted');
  await dry.network.deleteRoute('10.50.32.0/24', '192.0.2.11', 'eth0');
  await dry.network.iptables('iptables', 'filter', ['-X', 'FLANNEL-FWD']);
  const freed = await dry.ipam.releaseAllocations('/var/lib/cni/networks/cbr0', [{ address: '10.50.31.5', containerId: 'abcdef0123456789', since: 0 } as never]);
  t.deepEqual(freed, { freed: ['10.50.31.5'], skipped: [] });
  await dry.state.writeState('/var/lib/ignite-net', { role: 'init' } as never);
  t.deepEqual(host.network.deletedLinks, []);
  t.deepEqual(host.network.deletedRoutes, []);
  t.deepEqual(host.network.iptablesCalls, []);
  t.is(await host.state.readState(), undefined, 'no state file written');
  t.deepEqual(whats(dry.dryRun.changes), [
    'delete network device flannel0',
    'delete route 10.50.32.0/24 via 192.0.2.11 dev eth0',
    'iptables -t filter -X FLANNEL-FWD',
    'free 10.50.31.5 (/var/lib/cni/networks/cbr0/10.50.31.5, container abcdef012345)',
    'write /var/lib/ignite-net/state.json (what this host has set up)',
  ]);
});

test('the flannel step in a dry run: the container is recorded, and the wait for its lease returns at once with a "would wait" entry', async (t) => {
  const host = fakeServices();
  const dry = dryRunServices(host.services);
  const run = stepHarness(['init'], { services: dry });
  run.ctx.docker = await dry.docker();
  run.ctx.advertise = { address: '192.0.2.10', iface: 'eth0' };
  run.ctx.etcdEndpoint = ENDPOINT;
  run.ctx.store = dry.etcd(ENDPOINT, { timeoutMs: 1000 });
  const result = await flannelStep.run(run.ctx, run.io);
  t.is(result?.detail, 'lease (the lease flannel takes)');
  t.is(host.clock.slept, 0, 'it did not wait');
  t.deepEqual(host.docker.calls, []);
  t.deepEqual(whats(dry.dryRun.changes), [
    'create directory /run/flannel (mode 0755)',
    `create and start container ${CONTAINER_NAMES.flannel}`,
    `wait for flannel (${CONTAINER_NAMES.flannel}) to take a lease and write ${subnetEnvPath('/run/flannel')} (not observable in a dry run)`,
  ]);
});

test('the runner skips a step that observes a container the dry run would start, and only then', async (t) => {
  const host = fakeServices();
  const dry = dryRunServices(host.services);
  const ran: string[] = [];
  const step = (id: string, observes?: string[]): Step<CommandContext> => ({ id, title: id, ...(observes ? { observes } : {}), run: async () => void ran.push(id) });
  const starts: Step<CommandContext> = { id: 'start', title: 'start', run: async (ctx) => void (await (await ctx.services.docker()).createAndStart({ name: 'ignite-flannel', Image: 'f' })) };
  const events: RunEventBody[] = [];
  const run = stepHarness(['init'], { services: dry });
  const dryRunSkip = (s: { observes?: readonly string[] }): string | undefined => (s.observes?.some((n) => dry.dryRun.wouldStart(n)) ? 'cannot be seen' : undefined);
  const prompter = run.io.prompter;
  await runSteps([step('before', ['ignite-flannel']), starts, step('after', ['ignite-flannel']), step('other', ['ignite-etcd'])], run.ctx, { emit: (e) => void events.push(e), prompter, signal: new AbortController().signal, dryRunSkip });
  t.deepEqual(ran, ['before', 'other']);
  t.deepEqual(events.filter((e) => e.type === 'step-skip').map((e) => e.type === 'step-skip' && `${e.id}: ${e.reason}`), ['after: cannot be seen']);
});

test('cleanup --dry-run with the fakes: no --yes needed (the confirmation is skipped), nothing removed, changes reported under their steps', async (t) => {
  const host = fakeServices();
  host.docker.add({ name: CONTAINER_NAMES.flannel, image: 'flannel:test', labels: { 'io.ignite-net.managed': 'true', 'io.ignite-net.role': 'flannel' } });
  host.files.put('/etc/cni/net.d/10-flannel.conflist', '{"name":"cbr0"}');
  const parsed = parseArgs(['cleanup', '--dry-run'], {});
  if (parsed.kind !== 'run') throw new Error(parsed.kind);
  const events: RunEventBody[] = [];
  const lines: string[] = [];
  const out = { write: (s: string) => void lines.push(...s.split('\n').filter((l) => l !== '')), isTTY: false };
  const reporter = createPlainReporter({ stdout: out as never, stderr: out as never, env: { NO_COLOR: '1' } });
  const code = await runCommand(cleanupCommand, parsed.options, {
    emit: (e) => {
      events.push(e);
      reporter.emit(e);
    },
    prompter: reporter.prompter,
    signal: new AbortController().signal,
    env: {},
    services: host.services,
  });
  t.is(code, 0, lines.join('\n'));
  t.deepEqual(host.docker.calls, [], 'Docker was not changed');
  t.is(host.files.read('/etc/cni/net.d/10-flannel.conflist'), '{"name":"cbr0"}', 'the conflist stays');
  const changes = events.flatMap((e) => (e.type === 'would-change' ? [`${e.stepId ?? ''}: ${e.change.what}`] : []));
  t.true(events.some((e) => e.type === 'step-skip' && e.id === 'confirm' && e.reason === 'dry run: nothing to confirm'));
  t.true(changes.includes('flannel: stop and remove container ignite-flannel'), changes.join('\n'));
  t.like(events.find((e) => e.type === 'command-start'), { dryRun: true });
  t.is(lines[0], 'dry run: nothing will be changed; each step lists what it would change');
  t.true(lines.some((l) => /^dry run: nothing was changed \(1 change listed above\)$/.test(l)), lines.join('\n'));
  t.true(lines.some((l) => l === 'ignite-net cleanup --dry-run: nothing was changed'), lines.join('\n'));
  t.true(lines.some((l) => l === '  would stop and remove container ignite-flannel'), lines.join('\n'));
  // The dry run's own lines (header, footer, changes and their continuations) keep to 80 columns.
  const own = lines.filter((l) => /^(dry run|  would | {4,}(?![a-z]+ {2}))/.test(l));
  t.true(own.length >= 6, own.join('\n'));
  t.false(own.some((l) => l.length > 80), own.filter((l) => l.length > 80).join('\n'));
});

test('--dry-run on a command that has none: one line naming the commands that do, and a hint', (t) => {
  const error = t.throws(() => parseArgs(['status', '--dry-run'], {}));
  t.is(error?.message, '--dry-run is not an option of status (it is for init, join, cleanup)');
  t.regex((error as { hint?: string } | undefined)?.hint ?? '', /ignite-net status --help/);
});

test('changes are listed in the order their calls were made, not the order their reads came back: the same dry run lists the same, run after run', async (t) => {
  const host = fakeServices();
  // The first file's reads come back last.
  const slow = '/var/lib/ignite-net/pki/ca.key';
  const { readIfExists, exists } = host.services.files;
  const later = <T>(path: string, value: Promise<T>): Promise<T> => (path === slow ? new Promise((resolve) => setTimeout(() => resolve(value), 30)) : value);
  host.services.files.readIfExists = (path) => later(path, readIfExists(path));
  host.services.files.exists = (path) => later(path, exists(path));
  const dry = dryRunServices(host.services);
  const { io } = stepHarness(['init']);
  await writeAllWithUndo(dry.files, io, [
    { path: slow, content: 'KEY', mode: 0o600 },
    { path: '/var/lib/ignite-net/pki/ca.pem', content: 'CERT', mode: 0o644 },
  ]);
  t.deepEqual(whats(dry.dryRun.changes), ['write /var/lib/ignite-net/pki/ca.key (mode 0600, 3 B)', 'write /var/lib/ignite-net/pki/ca.pem (mode 0644, 4 B)']);
});

test('the ledger: a call that records late keeps its place; a change recorded meanwhile waits behind it; a call inside a call takes the outer place; a failed call gives up its place', async (t) => {
  const ledger = new DryRunLedger();
  const heard: string[] = [];
  ledger.listen((c) => heard.push(c.what));
  const late = ledger.inOrder(async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    ledger.record('etcd', 'first call');
    ledger.inOrder(() => ledger.record('etcd', 'inside the first call'));
  });
  const failed = ledger.inOrder(async () => {
    await Promise.resolve();
    throw new Error('refused');
  });
  ledger.record('file', 'recorded meanwhile');
  t.deepEqual(heard, [], 'nothing is handed on while the first call is open');
  await late;
  await t.throwsAsync(failed, { message: 'refused' });
  t.deepEqual(heard, ['first call', 'inside the first call', 'recorded meanwhile']);
  t.deepEqual(whats(ledger.changes), heard);
});
