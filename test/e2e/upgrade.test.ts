/**
 * Upgrade in place from a 0.1 overlay (plain HTTP, no auth; docs/security.md slice 6) on two simulated
 * hosts, sharing them across serial tests: `init` on the 0.1 init host restarts etcd with TLS on the same
 * data volume, turns auth on and keeps every lease and the network config; `join` with the printed token
 * converts the 0.1 joined host, keeping its lease. An upgrade interrupted midway is run again.
 *
 * 0.1 data: `init --insecure` and `join` are wire-identical to 0.1 (same etcd and flannel container
 * specs, plain `--etcd-endpoints=http://…`, no TLS files, same keys), so they make it; the state files are
 * then rewritten to the exact 0.1 shape (`zeroOneState`).
 */
import test from 'ava';
import Dockerode from 'dockerode';
import { ETCD_VOLUME } from '../../src/defaults.js';
import { describe, etcdGetPrefix, joinCommandOf, runCli, TEST_FLANNEL_FLAGS, TEST_INSECURE_INIT_FLAGS, TEST_IMAGE_FLAGS } from '../_helpers/cli.js';
import { interruptAtPause, managedContainers, putMarker, readHostState, readSubnetEnv, startCli } from '../_helpers/faults.js';
import { createHosts, type SimHost, type SimHosts } from '../_helpers/hosts.js';
import { ensureTestImages } from '../_helpers/images.js';

const STATE_DIR = '/var/lib/ignite-net';
const NETWORK = '10.60.0.0/16';
const MARKER = '/ignite-net-test/upgrade-marker';

/**
 * The state file as ignite-net 0.1.0 wrote it: HostState at b39022a (the last commit before the
 * security work; src/adapters/state.ts and saveStateStep in src/steps/state.ts), i.e. exactly these
 * keys and no `security`.
 */
const ZERO_ONE_KEYS = ['version', 'role', 'etcdEndpoint', 'advertiseAddress', 'iface', 'peer', 'subnet', 'images', 'network', 'paths', 'movedAside', 'toolVersion', 'createdAt', 'updatedAt'];
function zeroOneState(current: Record<string, unknown>): Record<string, unknown> {
  return { ...Object.fromEntries(ZERO_ONE_KEYS.filter((k) => k in current).map((k) => [k, current[k]])), version: 1, toolVersion: '0.1.0' };
}

interface Shared {
  host1: SimHost;
  host2: SimHost;
  /** /coreos.com/network/… and the marker as the 0.1 etcd held them. */
  before: Map<string, string>;
  subnet1: string;
  subnet2: string;
  /** The join command the upgrade printed. */
  joinArgs?: string[];
}
let shared: Shared | undefined;
let sim: SimHosts | undefined;
test.after.always(async () => {
  await sim?.destroy();
});
const get = (): Shared => {
  if (!shared) throw new Error('the 0.1 overlay test did not run');
  return shared;
};

async function rootCredential(host: SimHost): Promise<{ username: string; password: string }> {
  return JSON.parse((await host.exec('cat', [`${STATE_DIR}/etcd-root.json`])).stdout) as { username: string; password: string };
}

/** What root reads under `prefix` over TLS, verified against the overlay's CA (as etcdGetPrefix, secure). */
async function etcdGetPrefixAsRoot(host: SimHost, prefix: string): Promise<Map<string, string>> {
  const root = await rootCredential(host);
  const result = await host.exec(
    'etcdctl',
    ['--endpoints', `https://${host.address}:2379`, '--cacert', `${STATE_DIR}/pki/ca.pem`, '--user', `${root.username}:${root.password}`, 'get', '--prefix', prefix, '-w', 'json'],
    { env: { ETCDCTL_API: '3' }, timeoutMs: 15_000 },
  );
  if (result.code !== 0) throw new Error(`etcdctl over TLS failed: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { kvs?: { key: string; value: string }[] };
  const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
  return new Map((parsed.kvs ?? []).map((kv) => [decode(kv.key), decode(kv.value)]));
}

async function readAll(host: SimHost, read: (prefix: string) => Promise<Map<string, string>>): Promise<Map<string, string>> {
  return new Map([...(await read('/coreos.com/network/')), ...(await read(MARKER))]);
}

async function flannelCmd(host: SimHost): Promise<string[]> {
  const [flannel] = (await managedContainers(host)).filter((c) => c.name === 'ignite-flannel');
  if (!flannel) return [];
  return (await host.docker.getContainer(flannel.id).inspect()).Config.Cmd ?? [];
}

const plainRefused = async (from: SimHost, to: SimHost): Promise<boolean> =>
  (await from.exec('etcdctl', ['--endpoints', `http://${to.address}:2379`, '--dial-timeout', '2s', '--command-timeout', '4s', 'get', '/coreos.com/network/config'], { env: { ETCDCTL_API: '3' }, timeoutMs: 15_000 })).code !== 0;

test.serial('a 0.1 overlay: init --insecure on host1 and join on host2 hold leases; state files in the 0.1 shape', async (t) => {
  const images = await ensureTestImages();
  sim = await createHosts(2, { images: [images.etcd, images.flannel], imagesFrom: new Dockerode(), bindDefaultPaths: true });
  const [host1, host2] = sim.hosts as [SimHost, SimHost];
  const init = await runCli(host1, ['init', ...TEST_INSECURE_INIT_FLAGS, '--network', NETWORK]);
  t.is(init.code, 0, describe(init));
  const join = await runCli(host2, ['join', host1.address, ...TEST_FLANNEL_FLAGS]);
  t.is(join.code, 0, describe(join));
  for (const host of [host1, host2]) {
    const state = (await readHostState(host)) ?? {};
    t.false('security' in state, 'init --insecure and join write what 0.1 wrote: no security field');
    await host.exec('sh', ['-c', `cat > ${STATE_DIR}/state.json`], { input: `${JSON.stringify(zeroOneState(state), null, 2)}\n` });
    t.deepEqual(Object.keys((await readHostState(host)) ?? {}).filter((k) => !ZERO_ONE_KEYS.includes(k)), []);
  }
  const cmd1 = await flannelCmd(host1);
  t.true(cmd1.includes(`--etcd-endpoints=http://${host1.address}:2379`), cmd1.join(' '));
  t.false(cmd1.some((arg) => arg.startsWith('--etcd-cafile') || arg.startsWith('--etcd-username')), 'a 0.1 flannel has no TLS files and no user');
  await putMarker(host1, host1.address, MARKER, 'kept');
  const before = await readAll(host1, (prefix) => etcdGetPrefix(host1, host1.address, prefix));
  const subnet1 = (await readSubnetEnv(host1)) ?? '';
  const subnet2 = (await readSubnetEnv(host2)) ?? '';
  t.regex(subnet1, /^10\.60\./);
  t.regex(subnet2, /^10\.60\./);
  t.is([...before.keys()].filter((k) => k.startsWith('/coreos.com/network/subnets/')).length, 2, [...before.keys()].join('\n'));
  t.true((before.get('/coreos.com/network/config') ?? '').includes(NETWORK), 'the network config is the marker network');
  shared = { host1, host2, before, subnet1, subnet2 };
});

test.serial('an upgrade interrupted after auth is on (before flannel) leaves the 0.1 state file and what opens the data', async (t) => {
  const { host1 } = get();
  const run = startCli(host1, ['init', ...TEST_IMAGE_FLAGS], 'flannel');
  const { result, output } = await interruptAtPause(t, run);
  t.regex(result.stderr, /undone\s+remove etcd user ignite-host-[a-z0-9]{6}$/m, 'the identity made by the failed run is taken back');
  const state = (await readHostState(host1)) ?? {};
  t.false('security' in state, `still the 0.1 state file\n${output}`);
  t.is(state['toolVersion'], '0.1.0');
  // etcd's data now has auth on with this root password: the undo keeps it, or no later init gets in.
  t.is((await rootCredential(host1)).username, 'root', output);
  t.true(((await host1.docker.listVolumes()).Volumes ?? []).some((v) => v.Name === ETCD_VOLUME), 'the etcd volume stays');
});

test.serial('init on the 0.1 init host converts it in place: TLS and auth on the same volume, every lease and the config kept, the join command for the others', async (t) => {
  const s = get();
  const { host1, host2 } = s;
  const init = await runCli(host1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(init.code, 0, describe(init));
  t.log(`upgrade init output:\n${init.stdout}${init.stderr}`);
  const joinArgs = joinCommandOf(init.stdout);
  t.deepEqual(joinArgs.slice(0, 2), ['join', host1.address]);
  t.regex(init.stdout, new RegExp(`Other hosts must join again[^\n]*: ${host2.address.replaceAll('.', '\\.')}`), describe(init));
  s.joinArgs = joinArgs;

  // Same data, read as root over TLS: both leases, the config, the marker.
  const after = await readAll(host1, (prefix) => etcdGetPrefixAsRoot(host1, prefix));
  t.deepEqual(after, s.before, 'every key under /coreos.com/network and the marker kept, with their values');
  t.true(await plainRefused(host2, host1), "plain HTTP is refused: host2's old flannel cannot reach etcd");
  // Auth is on: TLS without a credential gets nothing.
  const anonymous = await host1.exec('etcdctl', ['--endpoints', `https://${host1.address}:2379`, '--cacert', `${STATE_DIR}/pki/ca.pem`, 'get', '/coreos.com/network/config'], { env: { ETCDCTL_API: '3' }, timeoutMs: 15_000 });
  t.not(anonymous.code, 0, 'auth is on');

  const cmd1 = await flannelCmd(host1);
  t.true(cmd1.includes(`--etcd-endpoints=https://${host1.address}:2379`), cmd1.join(' '));
  t.true(cmd1.some((arg) => /^--etcd-username=ignite-host-[a-z0-9]{6}$/.test(arg)), cmd1.join(' '));
  t.is(await readSubnetEnv(host1), s.subnet1, "host1's flannel keeps its subnet");
  const state = (await readHostState(host1)) ?? {};
  t.regex(JSON.stringify(state['security']), /"caPin":"sha256:[0-9a-f]{64}","etcdUser":"ignite-host-[a-z0-9]{6}"/);
  t.true(String(state['etcdEndpoint']).startsWith('https://'));
  t.true((state['network'] as { Network?: string } | undefined)?.Network === NETWORK, 'the recorded network kept');

  // Run again: nothing changes.
  const again = await runCli(host1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(again.code, 0, describe(again));
  t.regex(again.stdout, /already initialised, nothing changed/);
});

test.serial('join on the 0.1 joined host: refused without a token; with the printed token it is converted in place, keeping its lease', async (t) => {
  const s = get();
  const { host1, host2 } = s;
  const noToken = await runCli(host2, ['join', host1.address, ...TEST_FLANNEL_FLAGS]);
  t.not(noToken.code, 0, describe(noToken));
  t.regex(noToken.stderr, /runs a secure overlay .*: join needs its token/);
  t.false('security' in ((await readHostState(host2)) ?? {}), 'the refused join changed nothing');

  const join = await runCli(host2, [...(s.joinArgs ?? []), ...TEST_FLANNEL_FLAGS]);
  t.is(join.code, 0, describe(join));
  t.log(`re-join output:\n${join.stdout}${join.stderr}`);
  t.is(await readSubnetEnv(host2), s.subnet2, 'host2 keeps its subnet');
  const cmd2 = await flannelCmd(host2);
  t.true(cmd2.includes(`--etcd-endpoints=https://${host1.address}:2379`), cmd2.join(' '));
  t.true(cmd2.some((arg) => /^--etcd-username=ignite-host-[a-z0-9]{6}$/.test(arg)), cmd2.join(' '));
  const state = (await readHostState(host2)) ?? {};
  t.regex(JSON.stringify(state['security']), /"caPin":"sha256:[0-9a-f]{64}","etcdUser":"ignite-host-[a-z0-9]{6}"/);
  const leases = [...(await etcdGetPrefixAsRoot(host1, '/coreos.com/network/subnets/')).keys()];
  t.deepEqual(leases.sort(), [...s.before.keys()].filter((k) => k.startsWith('/coreos.com/network/subnets/')).sort(), 'the same two leases, no new one');
  const status = await runCli(host2, ['status', '--json']);
  t.is((JSON.parse(status.stdout) as { etcd: { ok: boolean } }).etcd.ok, true, status.stdout);
});
