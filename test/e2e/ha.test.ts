/**
 * A highly available control store (docs/ha.md, issue 10) on five simulated hosts, secure by default,
 * one set for the whole file: init on node1, `join --control-plane` on node2 (through node1) and node3
 * (through node2, with a token node2 made), a plain join on node4 through node2: 3 voting members, 4
 * leases, and node4's flannel given every member's client URL. Refused before anything changes, node4
 * left as it was: a wrong certificate key, a plain token with --control-plane, a control-plane join to
 * an insecure overlay (node5's), and a control-plane join interrupted once its learner runs. Each host
 * records the endpoints its flannel got (/ignite-net/hosts/<user>); init again refreshes node1's. Needs root, Docker and the test images (scripts/test-setup.sh).
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import Dockerode from 'dockerode';
import { memberNameFor } from '../../src/ha/members.js';
import { describe, etcdctl, etcdctlEnv, etcdGetPrefix, HOST_STATE_DIR, joinCommandOf, runCli, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS, TEST_INSECURE_INIT_FLAGS } from '../_helpers/cli.js';
import { eventually, interruptAtPause, leases, managedContainers, readHostState, readSubnetEnv, startCli, waitHealthy } from '../_helpers/faults.js';
import { createHosts, type SimHost, type SimHosts } from '../_helpers/hosts.js';
import { ensureTestImages } from '../_helpers/images.js';

let sim: SimHosts | undefined;

test.before(async () => {
  const images = await ensureTestImages();
  sim = await createHosts(5, { images: [images.etcd, images.flannel, images.cniPlugin], imagesFrom: new Dockerode(), bindDefaultPaths: true });
});

test.after.always(async () => {
  await sim?.destroy();
});

function nodes(): [SimHost, SimHost, SimHost, SimHost, SimHost] {
  const [a, b, c, d, e] = sim?.hosts ?? [];
  if (!a || !b || !c || !d || !e) throw new Error('hosts not created');
  return [a, b, c, d, e];
}

/** `token create --control-plane` on `host`: the printed join command as argv, and its certificate key. */
async function controlPlaneToken(t: ExecutionContext, host: SimHost): Promise<{ args: string[]; key: string }> {
  const created = await runCli(host, ['token', 'create', '--control-plane']);
  t.is(created.code, 0, describe(created));
  const args = joinCommandOf(created.stdout);
  t.is(args[1], host.address, 'the command names the host that made the token');
  return { args, key: args[args.indexOf('--certificate-key') + 1] ?? '' };
}

interface Member {
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner?: boolean;
}

/** The member list on `via`'s own member; retried for a while on etcd's "leader changed" (a leader just left). */
async function memberList(via: SimHost): Promise<Member[]> {
  const listed = await eventually(`member list on ${via.name}`, async () => {
    const run = await etcdctl(via, via.address, ['member', 'list', '-w', 'json']);
    if (run.code !== 0 && /leader changed/.test(run.stderr)) return undefined;
    if (run.code !== 0) throw new Error(`member list: ${run.stderr}`);
    return run;
  }, 10_000);
  return ((JSON.parse(listed.stdout) as { members: Member[] }).members ?? []).sort((a, b) => a.name.localeCompare(b.name));
}

/** What a host refused a join on must still look like: nothing of ignite-net's but the lock. */
async function assertUntouched(t: ExecutionContext, host: SimHost, what: string): Promise<void> {
  t.deepEqual(await managedContainers(host), [], `${what}: no container`);
  t.false((await host.docker.listVolumes()).Volumes?.some((v) => v.Name === 'ignite-etcd-data') ?? false, `${what}: no etcd volume`);
  t.is(await readSubnetEnv(host), undefined, what);
  const left = (await host.exec('ls', ['-A', HOST_STATE_DIR])).stdout.split('\n').filter((name) => name !== '' && !name.startsWith('lock'));
  t.deepEqual(left, [], `${what}: no state, key or certificate`);
}

/** The --etcd-endpoints flannel runs with. */
const flannelEndpointsOf = (flannel: Dockerode.ContainerInspectInfo): string | undefined =>
  (flannel.Config.Cmd ?? []).find((arg) => arg.startsWith('--etcd-endpoints='))?.slice('--etcd-endpoints='.length);

/** The client URLs of the three members, as flannel gets them (sorted). */
const allEndpoints = (): string =>
  nodes()
    .slice(0, 3)
    .map((n) => `https://${n.address}:2379`)
    .sort()
    .join(',');

/** status --json's endpointLists on `host`. */
async function endpointLists(host: SimHost): Promise<{ scope: string; current: string[]; hosts: { address: string; state: string; missing: string[] }[] }> {
  const status = await runCli(host, ['status', '--json']);
  const doc = JSON.parse(status.stdout) as { endpointLists?: { scope: string; current: string[]; hosts: { address: string; state: string; missing: string[] }[] } };
  if (!doc.endpointLists) throw new Error(`no endpointLists in status on ${host.name}:\n${describe(status)}`);
  return doc.endpointLists;
}

/** The addresses of the hosts that have a record under /ignite-net/hosts/ (read as root on `via`). */
const recordedAddresses = async (via: SimHost): Promise<string[]> =>
  [...(await etcdGetPrefix(via, via.address, '/ignite-net/hosts/')).values()].map((text) => (JSON.parse(text) as { address: string }).address).sort();

const mode = async (host: SimHost, path: string): Promise<string> => (await host.exec('stat', ['-c', '%a', `${HOST_STATE_DIR}/${path}`])).stdout.trim();

test.serial('init, then two control-plane joins (the second through a joined member, with its token): 3 voting members', async (t) => {
  const [node1, node2, node3] = nodes();
  const init = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(init.code, 0, describe(init));

  const first = await controlPlaneToken(t, node1);
  const joined2 = await runCli(node2, [...first.args, ...TEST_IMAGE_FLAGS]);
  t.is(joined2.code, 0, describe(joined2));
  t.regex(joined2.stderr + joined2.stdout, new RegExp(`joined ${node1.address.replaceAll('.', '\\.')} as a control-plane member`), describe(joined2));
  t.false(`${joined2.stdout}${joined2.stderr}`.includes(first.key), 'the certificate key is in no output');

  // node2 is a control-plane host now: it makes control-plane tokens and accepts joins.
  const second = await controlPlaneToken(t, node2);
  const joined3 = await runCli(node3, [...second.args, ...TEST_IMAGE_FLAGS]);
  t.is(joined3.code, 0, describe(joined3));

  const members = await memberList(node3);
  t.deepEqual(
    members.map((m) => [m.name, m.isLearner === true, m.peerURLs.join(), m.clientURLs.join()]),
    [
      [memberNameFor(node2.address), false, `https://${node2.address}:2380`, `https://${node2.address}:2379`],
      [memberNameFor(node3.address), false, `https://${node3.address}:2380`, `https://${node3.address}:2379`],
      ['s1', false, `https://${node1.address}:2380`, `https://${node1.address}:2379`],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
  for (const node of [node2, node3]) {
    t.deepEqual((await managedContainers(node)).map((c) => [c.name, c.state]), [['ignite-etcd', 'running'], ['ignite-flannel', 'running']], node.name);
    const state = await readHostState(node);
    t.like(state, { role: 'joined', etcdEndpoint: `https://${node.address}:2379`, controlPlane: { memberName: memberNameFor(node.address) } });
    // The CA key and root's credential, root only (docs/security.md).
    t.deepEqual(await Promise.all(['pki', 'pki/ca-key.pem', 'etcd-root.json', 'etcd-tls', 'etcd-tls/member-key.pem'].map((p) => mode(node, p))), ['700', '600', '600', '700', '600'], node.name);
  }
  // Both bundles were taken: the tokens are used up.
  const tokens = await runCli(node3, ['token', 'list']);
  t.is(tokens.code, 0, describe(tokens));
  t.regex(tokens.stdout, new RegExp(`${second.args[3]?.split('.')[0] ?? '?'} +control-plane, created .*; used by ${node3.address.replaceAll('.', '\\.')}`), tokens.stdout);

  // node2's flannel was started when there were 2 members: status on a control-plane host names it
  // (and node1, initialised with one), a plain host that cannot read the records only itself.
  const lists = await endpointLists(node3);
  t.deepEqual(lists.hosts.map((h) => [h.address, h.state]), [[node1.address, 'stale'], [node2.address, 'stale'], [node3.address, 'current']].sort());
  t.deepEqual(lists.hosts.find((h) => h.address === node2.address)?.missing, [`https://${node3.address}:2379`]);
  // `join <any member>` again, without the token, refreshes it (keeping its lease and its member);
  // node3's re-run as printed changes nothing. The members stay as they are.
  const subnet2 = await readSubnetEnv(node2);
  const again2 = await runCli(node2, ['join', node3.address, ...TEST_FLANNEL_FLAGS]);
  t.is(again2.code, 0, describe(again2));
  t.like(await readHostState(node2), { etcdEndpoint: `https://${node2.address}:2379`, controlPlane: { memberName: memberNameFor(node2.address) } });
  t.is(flannelEndpointsOf(await node2.docker.getContainer('ignite-flannel').inspect()), allEndpoints());
  t.is(await readSubnetEnv(node2), subnet2);
  const again3 = await runCli(node3, [...second.args, ...TEST_IMAGE_FLAGS]);
  t.is(again3.code, 0, describe(again3));
  t.regex(again3.stdout + again3.stderr, /already joined, nothing changed/, describe(again3));
  t.is((await memberList(node1)).length, 3);
});

test.serial('refused before anything changes: a wrong certificate key, a plain token, an insecure overlay', async (t) => {
  const [, node2, node3, node4, node5] = nodes();
  const { args, key } = await controlPlaneToken(t, node3);
  const wrongKey = args.map((a) => (a === key ? `${key.slice(0, 63)}${key.endsWith('0') ? '1' : '0'}` : a));
  const wrong = await runCli(node4, [...wrongKey, ...TEST_IMAGE_FLAGS]);
  t.is(wrong.code, 9, describe(wrong));
  t.regex(wrong.stderr, /the certificate key does not open the control-plane bundle of token [a-z0-9]{6}\.…/);
  await assertUntouched(t, node4, 'wrong certificate key');
  // The bundle is still there: the right key opens it (not run here: that would make a fourth member).
  t.regex((await runCli(node3, ['token', 'list'])).stdout, new RegExp(`${args[3]?.split('.')[0] ?? '?'} +control-plane, created .*; unused`));

  const plain = joinCommandOf((await runCli(node2, ['token', 'create'])).stdout);
  const plainCp = await runCli(node4, [...plain, '--control-plane', '--certificate-key', key, ...TEST_IMAGE_FLAGS]);
  t.is(plainCp.code, 9, describe(plainCp));
  t.regex(plainCp.stderr, /is not a control-plane token/);
  await assertUntouched(t, node4, 'plain token');

  const insecure = await runCli(node5, ['init', ...TEST_INSECURE_INIT_FLAGS]);
  t.is(insecure.code, 0, describe(insecure));
  const toInsecure = await runCli(node4, ['join', node5.address, ...args.slice(2), ...TEST_IMAGE_FLAGS]);
  t.is(toInsecure.code, 2, describe(toInsecure));
  t.regex(toInsecure.stderr, /serves etcd over plain HTTP: a control-plane join needs a secure overlay/);
  await assertUntouched(t, node4, 'insecure overlay');
  t.false(`${wrong.stdout}${wrong.stderr}${plainCp.stderr}${toInsecure.stderr}`.includes(key), 'the certificate key is in no output');
});

test.serial('Ctrl-C once the learner runs (before promote): the learner removed, the bundle and the token unused again, the host unchanged', async (t) => {
  const [node1, , , node4] = nodes();
  const { args } = await controlPlaneToken(t, node1);
  const run = startCli(node4, [...args, ...TEST_IMAGE_FLAGS], 'promote');
  const { result, output } = await interruptAtPause(t, run);
  t.notRegex(result.stderr, /undo failed|left in place/, output);
  t.regex(result.stderr, /undone\s+remove the etcd learner [0-9a-f]+ \(https:\/\/[\d.]+:2380\)/, output);
  t.regex(result.stderr, /undone\s+give the control-plane bundle of token [a-z0-9]{6}\.… back/, output);
  await assertUntouched(t, node4, 'interrupted');
  t.deepEqual((await memberList(node1)).map((m) => m.peerURLs.join()).filter((url) => url.includes(node4.address)), [], 'no member for node4');
  t.regex((await runCli(node1, ['token', 'list'])).stdout, new RegExp(`${args[3]?.split('.')[0] ?? '?'} +control-plane, created .*; unused`));
});

test.serial('a plain join through a joined member: flannel gets every member\'s client URL; 4 leases', async (t) => {
  const [node1, node2, node3, node4] = nodes();
  const plain = joinCommandOf((await runCli(node2, ['token', 'create'])).stdout);
  t.is(plain[1], node2.address);
  const joined = await runCli(node4, [...plain, ...TEST_FLANNEL_FLAGS]);
  t.is(joined.code, 0, describe(joined));
  const endpoints = allEndpoints();
  t.is(flannelEndpointsOf(await node4.docker.getContainer('ignite-flannel').inspect()), endpoints);
  t.deepEqual((await readHostState(node4))?.['flannelEndpoints'], endpoints.split(','));
  t.deepEqual((await managedContainers(node4)).map((c) => c.name), ['ignite-flannel']);

  const held = await leases(node1, node1.address);
  t.deepEqual([...held.values()].sort(), [node1, node2, node3, node4].map((n) => n.address).sort(), JSON.stringify([...held]));
});

test.serial('each host records the endpoints its flannel was given; init again on node1 gives its flannel every member too', async (t) => {
  const [node1, node2, node3, node4] = nodes();
  const recorded = async (): Promise<Map<string, string[]>> => {
    const records = await etcdGetPrefix(node1, node1.address, '/ignite-net/hosts/');
    return new Map([...records.values()].map((text) => JSON.parse(text) as { address: string; endpoints: string[] }).map((r) => [r.address, r.endpoints]));
  };
  const all = allEndpoints().split(',');
  const before = await recorded();
  t.deepEqual([...before.keys()].sort(), [node1, node2, node3, node4].map((n) => n.address).sort());
  for (const node of [node2, node3, node4]) t.deepEqual(before.get(node.address), all, node.name);
  t.deepEqual(before.get(node1.address), [`https://${node1.address}:2379`], 'init ran when there was one member');

  const subnet = await readSubnetEnv(node1);
  const again = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(again.code, 0, describe(again));
  t.is(flannelEndpointsOf(await node1.docker.getContainer('ignite-flannel').inspect()), all.join(','));
  t.is(await readSubnetEnv(node1), subnet, 'the lease is kept');
  t.deepEqual((await recorded()).get(node1.address), all);
  t.deepEqual((await endpointLists(node2)).hosts.map((h) => h.state), ['current', 'current', 'current', 'current']);
  const mine = await endpointLists(node4);
  t.like(mine, { scope: 'this host', hosts: [{ address: node4.address, state: 'current' }] });
});

test.serial('status and doctor on a control-plane host: 3 members, 2 needed, 3 healthy; every other member over peer TLS with its clock', async (t) => {
  const [node1, node2, node3] = nodes();
  const run = await runCli(node2, ['status', '--json']);
  const doc = JSON.parse(run.stdout) as { controlPlane?: { quorum?: { line: string }; members: { name: string; peerUrl: string; leader: boolean; healthy: boolean; thisHost: boolean }[]; warnings: string[] } };
  const cp = doc.controlPlane;
  t.is(cp?.quorum?.line, '3 members, 2 needed, 3 healthy', describe(run));
  t.deepEqual(cp?.warnings, []);
  t.deepEqual(
    cp?.members.map((m) => [m.peerUrl, m.healthy, m.thisHost]),
    [node1, node2, node3].map((n) => [`https://${n.address}:2380`, true, n === node2]).sort(),
  );
  t.is(cp?.members.filter((m) => m.leader).length, 1);
  const text = await runCli(node2, ['status']);
  t.regex(text.stdout, /^control plane: 3 members, 2 needed, 3 healthy$/m, describe(text));
  t.regex(text.stdout, new RegExp(`^ {2}${memberNameFor(node2.address)} +https://${node2.address.replaceAll('.', '\\.')}:2380 +(leader|follower), this host +healthy +\\d+ +\\d+ kB$`, 'm'));

  const doctor = await runCli(node2, ['doctor']);
  t.is(doctor.code, 0, describe(doctor));
  for (const [other, name] of [[node1, 's1'], [node3, memberNameFor(node3.address)]] as const) {
    t.regex(doctor.stdout, new RegExp(`^ {2}EtcdPeer-${name} +ok {4}https://${other.address.replaceAll('.', '\\.')}:2380 \\(member ${name}\\) answers over peer TLS \\(2380/tcp\\), round trip .*; its clock is .* (ahead of|behind) this host's$`, 'm'), doctor.stdout);
  }
  t.notRegex(doctor.stdout, new RegExp(`EtcdPeer-${memberNameFor(node2.address)}`), 'not itself');
  t.regex(doctor.stdout, /^ {2}HostRole +ok {4}this host's ignite-etcd is a member of the overlay it joined \(--control-plane\)$/m);
});

interface ControlPlaneDoc {
  verdict?: string;
  problems?: { severity: string; code: string; subject?: string }[];
  controlPlane?: { quorum?: { line: string }; members: { id: string; name: string; peerUrl: string; healthy: boolean; raftIndex?: number }[]; warnings: string[] };
}

async function controlPlaneOf(host: SimHost): Promise<ControlPlaneDoc> {
  const run = await runCli(host, ['status', '--json']);
  try {
    return JSON.parse(run.stdout) as ControlPlaneDoc;
  } catch {
    throw new Error(`status --json on ${host.name} printed no JSON:\n${describe(run)}`);
  }
}

/** The TTL left on the etcd lease of `publicIP`'s subnet key, read on `via`'s own member. */
async function leaseTtlOf(via: SimHost, publicIP: string): Promise<number> {
  const listed = await etcdctl(via, via.address, ['get', '--prefix', '/coreos.com/network/subnets/', '-w', 'json']);
  const kvs = (JSON.parse(listed.stdout) as { kvs?: { value: string; lease?: string | number }[] }).kvs ?? [];
  // The lease ID is a uint64: JSON.parse would round it, so it is taken from the raw text by position.
  const ids = [...listed.stdout.matchAll(/"lease":(\d+)/g)].map((m) => m[1]);
  const index = kvs.findIndex((kv) => (JSON.parse(Buffer.from(kv.value, 'base64').toString()) as { PublicIP: string }).PublicIP === publicIP);
  const id = ids[index];
  if (index < 0 || id === undefined) throw new Error(`no lease of ${publicIP}:\n${listed.stdout}`);
  const live = await etcdctl(via, via.address, ['lease', 'timetolive', BigInt(id).toString(16), '-w', 'json']);
  return (JSON.parse(live.stdout) as { ttl: number }).ttl;
}

test.serial("a member lost: node1's etcd and flannel stopped, node4's flannel still renews, node5 joins through node2, 2/3 healthy with quorum; node1 started again rejoins with its data", async (t) => {
  const [node1, node2, node3, node4, node5] = nodes();
  const before = await controlPlaneOf(node2);
  const s1 = before.controlPlane?.members.find((m) => m.name === 's1');
  t.truthy(s1, JSON.stringify(before.controlPlane));
  const ttlBefore = await leaseTtlOf(node2, node4.address);

  const containers = ['ignite-flannel', 'ignite-etcd'].map((name) => node1.docker.getContainer(name));
  for (const container of containers) await container.stop({ t: 5 });
  t.teardown(async () => {
    for (const container of [...containers].reverse()) await container.start().catch(() => undefined);
  });

  // node4's flannel renews through its own etcd client, given all three members' URLs (one refuses now).
  const flannel4 = node4.docker.getContainer('ignite-flannel');
  const since = Math.floor(Date.now() / 1000) - 1;
  await flannel4.kill({ signal: 'SIGUSR2' });
  const renewals = await eventually(
    "node4's renewal",
    async () => {
      const text = (await flannel4.logs({ stdout: true, stderr: true, since })).toString();
      if (/Lease renewed, new expiration/.test(text)) return text;
      // Thrown, not returned: eventually's timeout then quotes the stand-in's log since the signal.
      throw new Error(`node4's flannel since SIGUSR2:\n${text}`);
    },
    20_000,
  );
  t.regex(renewals, /SIGUSR2: renewing the lease now/);
  const ttlAfter = await leaseTtlOf(node2, node4.address);
  t.true(ttlAfter > ttlBefore && ttlAfter >= 86_390, `TTL ${ttlBefore} s before, ${ttlAfter} s after the renewal`);

  // node5 leaves its insecure overlay and joins this one through node2.
  const cleaned = await runCli(node5, ['cleanup', '--yes', '--purge']);
  t.is(cleaned.code, 0, describe(cleaned));
  const plain = joinCommandOf((await runCli(node2, ['token', 'create'])).stdout);
  t.is(plain[1], node2.address);
  const joined = await runCli(node5, [...plain, ...TEST_FLANNEL_FLAGS]);
  t.is(joined.code, 0, describe(joined));
  t.is(flannelEndpointsOf(await node5.docker.getContainer('ignite-flannel').inspect()), allEndpoints(), 'node1 down is still a member: its URL stays in the list');
  t.true([...(await leases(node2, node2.address)).values()].includes(node5.address), 'node5 holds a lease');

  const lost = await controlPlaneOf(node2);
  t.is(lost.controlPlane?.quorum?.line, '3 members, 2 needed, 2 healthy', JSON.stringify(lost));
  t.deepEqual(lost.controlPlane?.members.filter((m) => !m.healthy).map((m) => m.name), ['s1']);
  t.true(lost.problems?.some((p) => p.code === 'etcd-member-unhealthy' && p.severity === 'warning' && p.subject === s1?.id), JSON.stringify(lost.problems));
  // The errors are node1's flannel, stopped (its lease stays, nothing answers on it), none the store's
  // (and these hosts have no CNI plugins installed, which status says on every host here).
  const key1 = [...(await leases(node2, node2.address))].find(([, ip]) => ip === node1.address)?.[0].replace('/', '-') ?? '?';
  const errors = lost.problems?.filter((p) => p.severity === 'error' && p.code !== 'cni-plugins-missing') ?? [];
  t.deepEqual([...new Set(errors.map((p) => p.subject))], [`/coreos.com/network/subnets/${key1}`], JSON.stringify(errors));

  // Started again (its data volume kept), node1's member catches up by itself: same member, node5's lease in its own copy.
  for (const container of [...containers].reverse()) await container.start();
  const back = await eventually(
    'node1 healthy again',
    async () => {
      const doc = await controlPlaneOf(node2);
      return doc.controlPlane?.quorum?.line === '3 members, 2 needed, 3 healthy' ? doc : undefined;
    },
    30_000,
  );
  t.deepEqual(back.controlPlane?.members.map((m) => m.id).sort(), before.controlPlane?.members.map((m) => m.id).sort(), 'the same three members');
  const local = await node1.exec('etcdctl', ['get', '--prefix', '/coreos.com/network/subnets/', '--consistency=s', '--print-value-only'], {
    env: { ...(await etcdctlEnv(node1, node1.address)) },
    timeoutMs: 10_000,
  });
  t.regex(local.stdout, new RegExp(`"PublicIP":"${node5.address.replaceAll('.', '\\.')}"`), `node1's own member serves node5's lease\n${local.stdout}${local.stderr}`);
  await waitHealthy(node1, node1, 'init');
});

test.serial('cleanup on a control-plane host removes its member first (2 left, status says so); one that would cost quorum is refused, the host unchanged', async (t) => {
  const [node1, node2, node3] = nodes();
  const left = await runCli(node3, ['cleanup', '--yes']);
  t.is(left.code, 0, describe(left));
  t.regex(left.stdout, new RegExp(`removed +etcd member ${memberNameFor(node3.address)} \\(https://${node3.address.replaceAll('.', '\\.')}:2380\\) from etcd's member list`), describe(left));
  t.regex(left.stdout, /removed +volume ignite-etcd-data \(the removed member's data\)/);
  const out = left.stdout + left.stderr;
  t.true(out.indexOf('✔ lease') < out.indexOf('✔ member ') && out.indexOf('✔ member ') < out.indexOf('✔ etcd'), `order lease, member, etcd\n${out}`);
  t.deepEqual(await managedContainers(node3), []);
  t.false((await node3.docker.listVolumes()).Volumes?.some((v) => v.Name === 'ignite-etcd-data') ?? false, 'no volume');
  t.is((await node3.exec('sh', ['-c', `ls -A ${HOST_STATE_DIR} | grep -v '^lock' || true`])).stdout.trim(), '', 'no pki/, etcd-root.json or state');
  t.deepEqual((await memberList(node1)).map((m) => m.name).sort(), ['s1', memberNameFor(node2.address)].sort());
  t.false((await recordedAddresses(node1)).includes(node3.address), "node3's record of its flannel's endpoints went with it (deleted as root)");
  const status = JSON.parse((await runCli(node2, ['status', '--json'])).stdout) as { controlPlane?: { quorum?: { line: string }; warnings: string[] } };
  t.is(status.controlPlane?.quorum?.line, '2 members, 2 needed, 2 healthy');
  t.regex(status.controlPlane?.warnings[0] ?? '', /^2 etcd members tolerate 0 failures/);

  // node1's etcd down: removing node2's member would leave one member of two voting, no quorum.
  const etcd1 = node1.docker.getContainer('ignite-etcd');
  await etcd1.stop({ t: 5 });
  t.teardown(() => etcd1.start().catch(() => undefined));
  const before = await managedContainers(node2);
  const refused = await runCli(node2, ['cleanup', '--yes']);
  t.is(refused.code, 8, describe(refused));
  // node2's own member counts as healthy while it still knows a leader: itself, until it steps down (etcd's check-quorum).
  t.regex(refused.stderr, /error: cleanup refused: the cluster has no quorum now \(2 members, 2 needed, [01] healthy\), so removing a member cannot be committed/);
  t.regex(refused.stderr, /hint: Bring the stopped members back first\. Pass --force to remove it anyway/);
  t.deepEqual(await managedContainers(node2), before, 'node2 unchanged');
  await etcd1.start();
});

test.serial("the last member is not removed while other hosts hold leases: node4 and node2 leave, node1's cleanup is refused with the reason and --force, node1 unchanged", async (t) => {
  const [node1, node2, , node4, node5] = nodes();
  // node1's etcd was started again at the end of the test before: both members healthy first.
  await eventually('2 healthy members', async () => ((await controlPlaneOf(node2)).controlPlane?.quorum?.line === '2 members, 2 needed, 2 healthy' ? true : undefined), 30_000);

  const plain = await runCli(node4, ['cleanup', '--yes']);
  t.is(plain.code, 0, describe(plain));
  t.regex(plain.stdout, /removed +this host's record \/ignite-net\/hosts\/\S+ in etcd/, 'a plain host deletes its own record with its own identity');
  t.deepEqual(await recordedAddresses(node1), [node1.address, node2.address, node5.address].sort());

  // etcd refuses a member change for 5 s after a member reconnected: cleanup waits that out.
  const left = await runCli(node2, ['cleanup', '--yes']);
  t.is(left.code, 0, describe(left));
  t.deepEqual((await memberList(node1)).map((m) => m.name), ['s1']);
  t.deepEqual(await recordedAddresses(node1), [node1.address, node5.address].sort());

  const before = { containers: await managedContainers(node1), state: await readHostState(node1), subnet: await readSubnetEnv(node1) };
  const refused = await runCli(node1, ['cleanup', '--yes']);
  t.is(refused.code, 8, describe(refused));
  t.regex(refused.stderr, /error: cleanup refused: this is the overlay's last etcd member and 1 other host holds a lease in it/);
  t.regex(refused.stderr, /hint: Clean up the other hosts first \(or `join --control-plane` another host to take over\)\. Pass --force to remove it anyway\./);
  t.deepEqual({ containers: await managedContainers(node1), state: await readHostState(node1), subnet: await readSubnetEnv(node1) }, before, 'node1 unchanged');
  t.deepEqual([...(await leases(node1, node1.address)).values()].sort(), [node1.address, node5.address].sort());
});
