import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CNI_FILES, LABELS } from '../../src/defaults.js';
import { leaseSubnet, parseSubnetEnv } from '../../src/net/subnet-env.js';
import { pkiLayout } from '../../src/pki/layout.js';
import { describe, etcdGetPrefix, HOST_STATE_DIR, hostsWithTestImages, joinCommandOf, runCli, TEST_CNI_PLUGIN_FLAGS, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS, TEST_INSECURE_INIT_FLAGS } from '../_helpers/cli.js';
import type { ExecResult, SimHost } from '../_helpers/hosts.js';
import { snapshotHost } from '../_helpers/host-snapshot.js';
import { TEST_ETCD_IMAGE, TEST_FLANNEL_IMAGE } from '../_helpers/images.js';

/** What a dry run printed (plain lines on stderr, the summary on stdout) holds each of `expected`, and none of `secrets`. */
function assertDryRunOutput(t: import('ava').ExecutionContext, result: ExecResult, expected: (string | RegExp)[], secrets: string[]): void {
  const output = result.stderr + result.stdout;
  // A long command line wraps onto indented continuation lines: match across them too.
  const flat = output.replace(/\n +/g, ' ');
  for (const e of expected) {
    if (typeof e === 'string') t.true(output.includes(e) || flat.includes(e), `${e} in:\n${output}`);
    else t.regex(flat, e);
  }
  for (const secret of secrets) t.false(secret.length > 0 && output.includes(secret), 'a secret reached the dry run\'s output');
  t.regex(output, /^dry run: nothing will be changed; each step lists what it would change$/m);
  t.regex(output, /^dry run: nothing was changed \(\d+ changes listed above\)$/m);
  // Its own lines on stderr (header, footer, each change and its details) keep to 80 columns.
  const own = result.stderr.split('\n').filter((l) => /^(dry run|  would | {6})/.test(l));
  t.true(own.length > 5);
  t.false(own.some((l) => l.length > 80), own.filter((l) => l.length > 80).join('\n'));
}

/** Everything a failed join must not have left behind on the joining host. */
async function assertUntouched(t: import('ava').ExecutionContext, host: SimHost): Promise<void> {
  const containers = await host.docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } });
  t.deepEqual(containers.map((c) => c.Names[0]), [], `no ignite-net containers on ${host.name}`);
  t.deepEqual(await readdir(host.dirs.cniConfDir), [], `${host.name}'s CNI conf dir untouched`);
  t.deepEqual(await readdir(host.dirs.runDir).catch(() => []), [], `${host.name}'s run dir untouched`);
}

test.serial('init on one host, join from another; failed joins leave the joining host unchanged', async (t) => {
  const [node1, node2, node3] = (await hostsWithTestImages(t, 3)) as [SimHost, SimHost, SimHost];

  // Nothing listens on node2 yet.
  const nobody = await runCli(node3, ['join', node2.address, ...TEST_FLANNEL_FLAGS]);
  t.is(nobody.code, 6, describe(nobody));
  t.regex(nobody.stderr, new RegExp(`cannot reach etcd at ${node2.address.replaceAll('.', '\\.')}:2379/tcp`));
  await assertUntouched(t, node3);

  // node2 runs a bare etcd that was never seeded by `ignite-net init`.
  const bare = await node2.docker.createContainer({
    name: 'bare-etcd',
    Image: TEST_ETCD_IMAGE,
    Cmd: ['/usr/local/bin/etcd', '--listen-client-urls', 'http://0.0.0.0:2379', '--advertise-client-urls', `http://${node2.address}:2379`, '--data-dir', '/tmp/etcd'],
    HostConfig: { NetworkMode: 'host' },
  });
  await bare.start();
  const uninitialised = await runCli(node3, ['join', node2.address, ...TEST_FLANNEL_FLAGS]);
  t.is(uninitialised.code, 6, describe(uninitialised));
  t.regex(uninitialised.stderr, new RegExp(`${node2.address.replaceAll('.', '\\.')} has not been initialised: run \`ignite-net init\` there first`));
  await assertUntouched(t, node3);

  // Seeded by hand, but no flannel there: its backend port rejects the probe.
  const seeded = await node2.exec('etcdctl', ['--endpoints', `http://${node2.address}:2379`, 'put', '/coreos.com/network/config', '{"Network":"10.50.0.0/16","SubnetLen":24,"Backend":{"Type":"udp","Port":8285}}'], {
    env: { ETCDCTL_API: '3' },
  });
  t.is(seeded.code, 0, seeded.stderr);
  const rejected = await runCli(node3, ['join', node2.address, ...TEST_FLANNEL_FLAGS]);
  t.is(rejected.code, 6, describe(rejected));
  t.regex(rejected.stderr, new RegExp(`nothing is listening on ${node2.address.replaceAll('.', '\\.')}:8285/udp — is flannel running there, is a firewall rejecting\\?`));
  await assertUntouched(t, node3);
  await bare.remove({ force: true });

  // init --dry-run on the clean host: every check runs, each step says what it would change, and the
  // host stays byte for byte as it was (files, Docker, links, routes, iptables).
  const clean = await snapshotHost(node1);
  const dryInit = await runCli(node1, ['init', '--dry-run', ...TEST_IMAGE_FLAGS, ...TEST_CNI_PLUGIN_FLAGS]);
  t.is(dryInit.code, 0, describe(dryInit));
  t.log(`init --dry-run on ${node1.name}:\n${dryInit.stderr}${dryInit.stdout}`);
  t.deepEqual(await snapshotHost(node1), clean, 'init --dry-run changed nothing on the host');
  assertDryRunOutput(t, dryInit, [
    '  would create volume ignite-etcd-data',
    '  would create and start container ignite-etcd',
    `      image ${TEST_ETCD_IMAGE}`,
    `--advertise-client-urls https://${node1.address}:2379`,
    '  would create and start container ignite-flannel',
    `      image ${TEST_FLANNEL_IMAGE}`,
    /would wait for etcd at https:\/\/[\d.]+:2379 to answer/,
    '  would put etcd key /coreos.com/network/config (the network config)',
    /would create etcd user ignite-host-[a-z0-9]+ \(roles ignite-host-[a-z0-9]+; password not shown\)/,
    /would write \/var\/lib\/ignite-net\/pki\/ca-key\.pem \(mode 0600/,
    /would write \/etc\/cni\/net\.d\/10-flannel\.conflist \(mode 0644/,
    /would install \/opt\/cni\/bin\/flannel \(mode 0755/,
    /would wait for flannel \(ignite-flannel\) to take a lease/,
    /Check flannel's backend — skipped: dry run: ignite-flannel is not started/,
    'ignite-net init --dry-run: nothing was changed',
  ], []);
  t.notRegex(dryInit.stdout + dryInit.stderr, /--token|[a-z0-9]{6}\.[a-z0-9]{16}/, 'no join command with a token that was never made');

  // The real thing, secure by default: node2 joins with the command init printed.
  const init = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(init.code, 0, describe(init));
  const joinArgs = joinCommandOf(init.stdout);
  const tokenSecret = (joinArgs[joinArgs.indexOf('--token') + 1] ?? '').split('.')[1] ?? '';
  const rootPassword = (JSON.parse((await node1.exec('cat', [`${HOST_STATE_DIR}/etcd-root.json`])).stdout) as { password: string }).password;

  // join --dry-run against the running init host: node2 and node1's etcd (keys, revision, users,
  // roles) unchanged, and the token not used up: the real join below takes it.
  const etcdOf1 = { via: node1, endpointHost: node1.address };
  const before2 = await snapshotHost(node2, etcdOf1);
  const dryJoin = await runCli(node2, [...joinArgs, '--dry-run', ...TEST_FLANNEL_FLAGS]);
  t.is(dryJoin.code, 0, describe(dryJoin));
  t.deepEqual(await snapshotHost(node2, etcdOf1), before2, 'join --dry-run changed nothing on the host nor in the init host\'s etcd');
  assertDryRunOutput(t, dryJoin, [
    /would take \(read and delete\) etcd key \S+/,
    '  would create and start container ignite-flannel',
    `      image ${TEST_FLANNEL_IMAGE}`,
    `--etcd-endpoints=https://${node1.address}:2379`,
    /would write \/etc\/cni\/net\.d\/10-flannel\.conflist/,
    /would write \/var\/lib\/ignite-net\/state\.json/,
    /Verify the overlay — skipped: dry run: ignite-flannel is not started/,
  ], [tokenSecret, rootPassword]);
  const joined = await runCli(node2, [...joinArgs, ...TEST_FLANNEL_FLAGS]);
  t.is(joined.code, 0, describe(joined));
  t.regex(joined.stderr + joined.stdout, /Verify the overlay/);
  t.regex(joined.stderr + joined.stdout, /answered in (<1|\d+)ms \(overlay up after /);
  await assertLeases(t, node1, [node1, node2]);
  // cleanup --dry-run on the joined host (before a VM's veth makes cni0's carrier change by itself):
  // its lease in node1's etcd, its flannel, its files all stay.
  const flannelPassword = (await node2.exec('cat', [pkiLayout(HOST_STATE_DIR).flannelTls.password])).stdout;
  t.true(flannelPassword.length > 0);
  const set2 = await snapshotHost(node2, etcdOf1);
  const dryClean = await runCli(node2, ['cleanup', '--dry-run']);
  t.is(dryClean.code, 0, describe(dryClean));
  t.deepEqual(await snapshotHost(node2, etcdOf1), set2, 'cleanup --dry-run changed nothing');
  assertDryRunOutput(t, dryClean, [
    '  would stop and remove container ignite-flannel',
    /would delete etcd key \/coreos\.com\/network\/subnets\/10\.50\.\d+\.0-24 \(and revoke its etcd lease\)/,
    '  would remove /etc/cni/net.d/10-flannel.conflist',
    /would remove \/var\/lib\/ignite-net\/state\.json/,
    /would remove +container ignite-flannel/,
  ], [flannelPassword.trim(), rootPassword, tokenSecret]);


  // Joining again changes nothing; a host cannot join itself; the init host cannot join.
  const again = await runCli(node2, ['join', node1.address, ...TEST_FLANNEL_FLAGS]);
  t.is(again.code, 0, describe(again));
  t.regex(again.stdout, /already joined/);
  const self = await runCli(node1, ['join', node1.address, ...TEST_FLANNEL_FLAGS]);
  t.is(self.code, 2, describe(self));
  t.regex(self.stderr, /cannot join itself/);
  const initHost = await runCli(node1, ['join', node2.address, ...TEST_FLANNEL_FLAGS]);
  t.is(initHost.code, 2, describe(initHost));
  t.regex(initHost.stderr, /it is an init host and cannot join another/);

  // Cleanup on both, joined host first.
  for (const host of [node2, node1]) {
    const clean = await runCli(host, ['cleanup', '--yes', '--purge']);
    t.is(clean.code, 0, describe(clean));
  }

  // --insecure stays a supported mode: a token is refused by a plain-HTTP overlay, a join without one works.
  const insecure = await runCli(node1, ['init', ...TEST_INSECURE_INIT_FLAGS]);
  t.is(insecure.code, 0, describe(insecure));
  t.regex(insecure.stdout, new RegExp(`On every other host: sudo ignite-net join ${node1.address.replaceAll('.', '\\.')}\n`));
  const withToken = await runCli(node2, [...joinArgs, ...TEST_FLANNEL_FLAGS]);
  t.is(withToken.code, 2, describe(withToken));
  t.regex(withToken.stderr, new RegExp(`${node1.address.replaceAll('.', '\\.')} serves etcd over plain HTTP: its overlay is insecure .* and a token is for a secure one`));
  await assertUntouched(t, node2);
  const plainJoin = await runCli(node2, ['join', node1.address, ...TEST_FLANNEL_FLAGS]);
  t.is(plainJoin.code, 0, describe(plainJoin));
  t.regex(plainJoin.stdout, /security +none: the overlay is insecure/);
  await assertLeases(t, node1, [node1, node2]);
  for (const host of [node2, node1]) {
    const clean = await runCli(host, ['cleanup', '--yes', '--purge']);
    t.is(clean.code, 0, describe(clean));
  }
});

/** One lease per host in etcd (read on the init host), each naming its host and matching its subnet.env; our conflist in place. */
async function assertLeases(t: import('ava').ExecutionContext, initHost: SimHost, hosts: SimHost[]): Promise<void> {
  const leases = await etcdGetPrefix(initHost, initHost.address, '/coreos.com/network/subnets/');
  const publicIps = [...leases.values()].map((v) => (JSON.parse(v) as { PublicIP: string }).PublicIP).sort();
  t.deepEqual(publicIps, hosts.map((h) => h.address).sort());
  for (const host of hosts) {
    const env = parseSubnetEnv(await readFile(join(host.dirs.runDir, 'subnet.env'), 'utf8'));
    const lease = leases.get(`/coreos.com/network/subnets/${leaseSubnet(env).replace('/', '-')}`);
    t.is((JSON.parse(lease ?? '{}') as { PublicIP?: string }).PublicIP, host.address, `${host.name}'s subnet.env matches its lease`);
    t.truthy(await readFile(join(host.dirs.cniConfDir, CNI_FILES.ours), 'utf8'));
  }
}
