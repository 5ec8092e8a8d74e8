/**
 * The resolve steps (docker, advertise) and the checks that report them, run against fake services:
 * resolving happens before the checks, and a check only reads.
 */
import test from 'ava';
import { parseArgs } from '../../src/args.js';
import { runCommand } from '../../src/commands/command.js';
import { initCommand } from '../../src/commands/init.js';
import { IgniteError } from '../../src/core/errors.js';
import type { RunEventBody } from '../../src/core/events.js';
import { release } from 'node:os';
import { NOT_A_DIRECTORY } from '../../src/adapters/host-files.js';
import { resolvePeer } from '../../src/steps/peer.js';
import { advertiseCheck, backendPortCheck, cniConfDirCheck, dockerCheck, etcdDataCheck, hostGwLayer2Check, initChecks, joinChecks, pass, preflightStep, vxlanCheck, warn, wireguardCheck, type Check, type Outcome } from '../../src/steps/preflight.js';
import { advertiseStep, dockerStep } from '../../src/steps/resolve.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

function harness(argv: string[]) {
  const host = fakeServices();
  return { host, ...stepHarness(['init', ...argv], { services: host.services }) };
}

test('defect: an advertise address not on this host stops init with exit 3 even under --ignore-preflight-errors=all, no crash', async (t) => {
  const host = fakeServices();
  const parsed = parseArgs(['init', '--advertise-address', '203.0.113.9', '--ignore-preflight-errors=all', '--yes'], {});
  if (parsed.kind !== 'run') throw new Error(parsed.kind);
  const events: RunEventBody[] = [];
  const prompter = { interactive: false, select: () => Promise.reject(new Error('no prompt')), confirm: () => Promise.reject(new Error('no prompt')), text: () => Promise.reject(new Error('no prompt')) };
  const code = await runCommand(initCommand, parsed.options, { emit: (e) => void events.push(e), prompter, signal: new AbortController().signal, env: {}, services: host.services });
  const end = events.find((e) => e.type === 'command-end');
  t.is(code, 3);
  t.like(end, { type: 'command-end', exitCode: 3, error: { kind: 'preflight', message: 'preflight found an error: AdvertiseAddress: 203.0.113.9 is not an address of this host' } });
  t.regex(end?.type === 'command-end' ? (end.error?.hint ?? '') : '', /^Pass one of: 192\.0\.2\.10\. .*behind NAT/);
  t.false(events.some((e) => e.type === 'step-start' && e.id === 'etcd'), 'nothing after preflight ran');
  t.deepEqual(host.docker.calls, [], 'Docker was not asked to change anything');
});

test('the AdvertiseAddress check cannot be ignored; its failure is not offered to --ignore-preflight-errors', async (t) => {
  const { ctx, io } = harness(['--advertise-address', '203.0.113.9']);
  await advertiseStep.run(ctx, io);
  t.true(advertiseCheck.fatal);
  const error = await t.throwsAsync(preflightStep([advertiseCheck]).run(ctx, io), { instanceOf: IgniteError });
  t.is(error?.exitCode, 3);
  t.notRegex(error?.hint ?? '', /ignore-preflight-errors/);
});

test('the advertise step chooses; the check reports the same and writes nothing', async (t) => {
  const { host, ctx, io } = harness([]);
  host.network.addresses.push({ iface: 'eth1', address: '198.51.100.7', cidr: '198.51.100.0/24', family: 'IPv4' });
  const result = await advertiseStep.run(ctx, io);
  t.deepEqual(ctx.advertise, { address: '192.0.2.10', iface: 'eth0' }, 'the default route wins without a terminal');
  t.is(result?.detail, '192.0.2.10 (eth0)');
  const before = JSON.stringify({ advertise: ctx.advertise, options: ctx.options });
  const outcome = await advertiseCheck.run(ctx, io);
  t.like(outcome, { status: 'warn', message: 'picked 192.0.2.10 (eth0, default route); also possible: 198.51.100.7 (eth1)' });
  t.is(JSON.stringify({ advertise: ctx.advertise, options: ctx.options }), before);
});

test('the advertise step asks when a terminal can answer, and not with --yes', async (t) => {
  const asked: string[] = [];
  for (const yes of [false, true]) {
    const { host, ctx, io } = harness(yes ? ['--yes'] : []);
    host.network.addresses.push({ iface: 'eth1', address: '198.51.100.7', cidr: '198.51.100.0/24', family: 'IPv4' });
    const select = async <T,>(question: string, choices: { value: T }[]): Promise<T> => {
      asked.push(question);
      return choices[1]!.value;
    };
    await advertiseStep.run(ctx, { ...io, prompter: { ...io.prompter, interactive: true, select } });
    t.is(ctx.advertise?.address, yes ? '192.0.2.10' : '198.51.100.7');
  }
  t.is(asked.length, 1);
});

test('the docker step keeps a failure for the DockerEngine check, which reports it as today', async (t) => {
  const { host, ctx, io } = harness([]);
  host.dockerProblem = new IgniteError('docker', 'Docker Engine is not reachable at unix:///x.sock (no such socket)', { hint: 'Start dockerd.' });
  const result = await dockerStep.run(ctx, io);
  t.is(ctx.docker, undefined);
  t.regex(result?.detail ?? '', /not reachable/);
  t.deepEqual(await dockerCheck.run(ctx, io), { status: 'fail', message: 'Docker Engine is not reachable at unix:///x.sock (no such socket)', hint: 'Start dockerd.' });
});

test('every init check runs against the fakes and passes on a clean fake host, changing nothing', async (t) => {
  const { host, ctx, io, checks } = harness([]);
  await dockerStep.run(ctx, io);
  await advertiseStep.run(ctx, io);
  const snapshot = JSON.stringify({ ...ctx, unchanged: [...ctx.unchanged], services: undefined });
  await preflightStep(initChecks()).run(ctx, io);
  t.deepEqual(checks.filter((c) => c.status !== 'pass').map((c) => c.name), []);
  t.is(JSON.stringify({ ...ctx, unchanged: [...ctx.unchanged], services: undefined }), snapshot, 'the checks wrote nothing to the context');
  t.deepEqual(host.docker.calls, []);
});

test('the checks run side by side and are reported in their order; one that throws ends the step, the ones before it reported', async (t) => {
  const { ctx, io, checks } = harness([]);
  let running = 0;
  let mostAtOnce = 0;
  const slow = (name: string, ms: number, outcome: () => Outcome): Check => ({
    name,
    async run() {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running -= 1;
      return outcome();
    },
  });
  await preflightStep([slow('First', 30, () => pass('a')), slow('Second', 1, () => warn('b', 'h')), slow('Third', 10, () => pass('c'))]).run(ctx, io);
  t.is(mostAtOnce, 3);
  t.deepEqual(checks.map((c) => `${c.name} ${c.status}`), ['First pass', 'Second warn', 'Third pass']);

  const again = harness([]);
  const error = await t.throwsAsync(
    preflightStep([slow('Before', 5, () => pass('ok')), slow('Broken', 1, () => { throw new Error('check crashed'); }), slow('After', 1, () => pass('ok'))]).run(again.ctx, again.io),
  );
  t.is(error?.message, 'check crashed');
  t.deepEqual(again.checks.map((c) => c.name), ['Before']);
});

test('a busy port fails its check through the fake probes', async (t) => {
  const { host, ctx, io, checks } = harness(['--ignore-preflight-errors', 'Port-2379']);
  host.probes.busyTcp.add(2379);
  await dockerStep.run(ctx, io);
  await advertiseStep.run(ctx, io);
  await preflightStep(initChecks()).run(ctx, io);
  t.like(checks.find((c) => c.name === 'Port-2379'), { status: 'warn', message: '2379/tcp is already in use on this host (ignored)' });
});

test('EtcdData (join --control-plane): no volume, or this host\'s own member\'s, passes; data of no member fails and cannot be ignored', async (t) => {
  const { host, ctx, io } = harness(['--ignore-preflight-errors', 'all']);
  await dockerStep.run(ctx, io);
  await advertiseStep.run(ctx, io);
  const address = ctx.advertise?.address ?? '?';
  t.like(await etcdDataCheck.run(ctx, io), { status: 'pass', message: 'no ignite-etcd-data volume yet' });
  host.docker.volumes.set('ignite-etcd-data', {});
  ctx.members = [{ id: '1', name: 's1', peerUrls: ['https://192.0.2.1:2380'], clientUrls: ['https://192.0.2.1:2379'], isLearner: false }];
  const stale = await etcdDataCheck.run(ctx, io);
  t.like(stale, { status: 'fail' });
  t.regex(stale.message, /holds etcd data from before, of no member/);
  t.true(etcdDataCheck.fatal);
  ctx.members.push({ id: '2', name: '', peerUrls: [`https://${address}:2380`], clientUrls: [], isLearner: true });
  t.like(await etcdDataCheck.run(ctx, io), { status: 'pass' });
});

test('--backend wireguard on a kernel without wireguard: WireguardKernel refuses before any change, with the reason and a way on', async (t) => {
  const { host, ctx, io, checks } = harness(['--backend', 'wireguard']);
  await dockerStep.run(ctx, io);
  await advertiseStep.run(ctx, io);
  const error = await t.throwsAsync(preflightStep((c) => initChecks(c.network.Backend.Type)).run(ctx, io), { instanceOf: IgniteError });
  t.is(error?.message, `preflight found an error: WireguardKernel: this kernel (${release()}) has no wireguard support: /sys/module/wireguard is absent and /lib/modules/${release()} lists no wireguard module`);
  t.regex(error?.hint ?? '', /^Use a kernel with WireGuard .* or choose another --backend, e\.g\. vxlan\. Or pass --ignore-preflight-errors=WireguardKernel to go on anyway\.$/);
  t.like(checks.find((c) => c.name === 'Port-backend-udp'), { status: 'pass', message: '51820/udp is free on 192.0.2.10' });
  t.deepEqual(host.docker.calls, []);
});

test('WireguardKernel passes on a kernel that has it loaded or as a module; other backends do not run it', async (t) => {
  const { host, ctx, io } = harness(['--backend', 'wireguard']);
  host.files.put(`/lib/modules/${release()}/modules.dep`, 'kernel/drivers/net/wireguard/wireguard.ko: kernel/lib/crypto/libcurve25519.ko\n');
  t.like(await wireguardCheck.run(ctx, io), { status: 'pass', message: `wireguard is available as a module of ${release()}` });
  host.files.put('/sys/module/wireguard/version', '1.0.0\n');
  t.like(await wireguardCheck.run(ctx, io), { status: 'pass', message: 'wireguard is in the kernel (/sys/module/wireguard)' });
  t.true(initChecks('wireguard').includes(wireguardCheck));
  t.true(joinChecks(false, 'wireguard').includes(wireguardCheck));
  for (const backend of ['udp', 'vxlan', 'host-gw']) t.false(initChecks(backend).includes(wireguardCheck), backend);
});

test('host-gw uses no UDP port: the backend port check says so instead of probing one', async (t) => {
  const { host, ctx, io } = harness(['--backend', 'host-gw']);
  host.probes.busyUdp.add(8285);
  t.deepEqual(await backendPortCheck.run(ctx, io), { status: 'pass', message: 'host-gw uses no UDP port' });
});

test('CNIConfDir: a directory that does not exist yet will be created; a file there is not a directory to fix', async (t) => {
  const { host, ctx, io } = harness(['--cni-conf-dir', '/etc/cni/net.d']);
  t.like(await cniConfDirCheck.run(ctx, io), { status: 'pass', message: '/etc/cni/net.d does not exist yet: it will be created' });
  await host.services.files.ensureDir('/etc/cni/net.d');
  t.like(await cniConfDirCheck.run(ctx, io), { status: 'pass', message: '/etc/cni/net.d is writable' });
  const file = harness(['--cni-conf-dir', '/etc/passwd']);
  file.host.files.unwritable.set('/etc/passwd', `/etc/passwd ${NOT_A_DIRECTORY}`);
  const outcome = await cniConfDirCheck.run(file.ctx, file.io);
  t.like(outcome, { status: 'fail', message: '/etc/passwd exists but is not a directory', hint: 'Choose a directory with --cni-conf-dir <dir>.' });
  t.notRegex(outcome.hint ?? '', /Fix \/etc\/passwd/);
});

test('join itself: only a host set up with init is said to be one', async (t) => {
  for (const role of [undefined, 'joined', 'init'] as const) {
    const { ctx } = harness([]);
    if (role !== undefined) ctx.state = { version: 1, role, advertiseAddress: '192.0.2.10' } as unknown as NonNullable<typeof ctx.state>;
    const error = await t.throwsAsync(resolvePeer(ctx, '127.0.0.1'), { instanceOf: IgniteError });
    t.is(error?.message, '127.0.0.1 is this host: a host cannot join itself');
    if (role === 'init') t.regex(error?.hint ?? '', /this one is set up with `ignite-net init`/);
    else t.is(error?.hint, "Pass the address of the init host (the one that ran `sudo ignite-net init`), not one of this host's.", String(role));
  }
});

test('KernelVxlan: passes with /sys/module/vxlan or a vxlan module, else refuses with the reason; only vxlan runs it', async (t) => {
  const { host, ctx, io } = harness(['--backend', 'vxlan']);
  const refused = await vxlanCheck.run(ctx, io);
  t.like(refused, { status: 'fail', message: `this kernel (${release()}) has no vxlan support: /sys/module/vxlan is absent and /lib/modules/${release()} lists no vxlan module` });
  t.regex(refused.hint ?? '', /modprobe vxlan/);
  host.files.put(`/lib/modules/${release()}/modules.dep`, 'kernel/drivers/net/vxlan/vxlan.ko: kernel/net/ipv4/udp_tunnel.ko\n');
  t.like(await vxlanCheck.run(ctx, io), { status: 'pass', message: `vxlan is available as a module of ${release()}` });
  host.files.put('/sys/module/vxlan/refcnt', '0\n');
  t.like(await vxlanCheck.run(ctx, io), { status: 'pass', message: 'vxlan is in the kernel (/sys/module/vxlan)' });
  t.true(initChecks('vxlan').includes(vxlanCheck));
  t.true(joinChecks(false, 'vxlan').includes(vxlanCheck));
  for (const backend of ['udp', 'wireguard', 'host-gw']) t.false(joinChecks(false, backend).includes(vxlanCheck), backend);
});

test('HostGwLayer2: a host-gw join to a peer behind a router is refused before any change, naming the router', async (t) => {
  const { host, ctx, io } = harness([]);
  ctx.peer = { host: 'node1', address: '172.31.252.7' };
  ctx.advertise = { address: '172.31.251.1', iface: 'd0' };
  host.network.routeGets.set('172.31.252.7', '[{"dst":"172.31.252.7","gateway":"172.31.251.254","dev":"d0","prefsrc":"172.31.251.1","flags":[],"uid":0,"cache":[]}]');
  const error = await t.throwsAsync(preflightStep([hostGwLayer2Check]).run(ctx, io), { instanceOf: IgniteError });
  t.is(error?.message, "preflight found an error: HostGwLayer2: host-gw needs every host on this host's layer-2 segment, but node1 (172.31.252.7) is reached through the router 172.31.251.254 (dev d0)");
  t.is(error?.exitCode, 3);
  t.deepEqual(host.docker.calls, []);
  host.network.routeGets.set('172.31.252.7', '[{"dst":"172.31.252.7","dev":"d0","prefsrc":"172.31.251.1","flags":[],"uid":0,"cache":[]}]');
  t.like(await hostGwLayer2Check.run(ctx, io), { status: 'pass', message: 'host-gw: node1 (172.31.252.7) on d0 directly connected' });
  t.true(joinChecks(false, 'host-gw').includes(hostGwLayer2Check));
  t.false(joinChecks(false, 'vxlan').includes(hostGwLayer2Check));
});
