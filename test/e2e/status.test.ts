import test from 'ava';
import { CNI_PLUGINS } from '../../src/defaults.js';
import { installCniPlugins } from '../_helpers/faults.js';
import { describe, hostsWithTestImages, joinCommandOf, runCli, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../_helpers/cli.js';
import type { SimHost } from '../_helpers/hosts.js';

interface StatusDoc {
  schema: string;
  verdict: string;
  exitCode: number;
  etcd: { ok: boolean; endpoint: string; source: string };
  security: { tls: boolean; auth?: boolean; identity?: string };
  hosts: { subnet: string; publicIP: string; thisHost: boolean; etcdHost: boolean; reserved: boolean; expiresAt?: string; backendReach: { state: string; text: string }; overlayReach: { state: string; text: string; rttMs?: number } }[];
  thisHost: { subnet?: string; containers: { name: string; role?: string; state: string; running: boolean; restartCount: number; image: string; uptimeSeconds?: number }[]; subnetEnv: { kind: string }; cni: { ours?: { written: boolean }; firstPick?: string; missingPlugins: string[]; cniVersion?: string; plugins?: { name: string; path: string; present: boolean; version?: string; supportedVersions?: string[]; error?: string }[] } };
  problems: { severity: string; code: string; message: string }[];
  controlPlane?: {
    ok: boolean;
    members: { name: string; peerUrl: string; leader: boolean; healthy: boolean; learner: boolean; thisHost: boolean; raftIndex?: number; dbSizeBytes?: number }[];
    quorum?: { members: number; needed: number; healthy: number; ok: boolean; line: string };
    warnings: string[];
  };
  error?: { kind: string; message: string };
}

const parse = (stdout: string): StatusDoc => JSON.parse(stdout) as StatusDoc;

test.serial('status on the init host and on a joined host; a stopped flannel is unhealthy; no state file', async (t) => {
  const [node1, node2, node3] = (await hostsWithTestImages(t, 3)) as [SimHost, SimHost, SimHost];

  // A host where nothing was set up: a clear message and its own exit code, in text and JSON.
  const bare = await runCli(node3, ['status']);
  t.is(bare.code, 11, describe(bare));
  t.regex(bare.stderr, /ignite-net is not set up on this host: no state file at \/var\/lib\/ignite-net\/state\.json/);
  t.regex(bare.stderr, /hint: Run `ignite-net init`/);
  const bareJson = await runCli(node3, ['status', '--json']);
  t.is(bareJson.code, 11, describe(bareJson));
  t.is(parse(bareJson.stdout).error?.kind, 'notSetUp');

  // A real host has the CNI plugins installed; status names missing ones, and ones that do not answer VERSION, as errors.
  await installCniPlugins([node1, node2]);

  const init = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(init.code, 0, describe(init));
  const joined = await runCli(node2, [...joinCommandOf(init.stdout), ...TEST_FLANNEL_FLAGS]);
  t.is(joined.code, 0, describe(joined));

  const expected = [node1.address, node2.address].sort();
  for (const [host, other] of [
    [node1, node2],
    [node2, node1],
  ] as const) {
    const run = await runCli(host, ['status', '--json']);
    t.is(run.code, 0, `${host.name}: ${describe(run)}`);
    const doc = parse(run.stdout);
    t.is(doc.schema, 'ignite-net/status/v1');
    t.is(doc.verdict, 'healthy', JSON.stringify(doc.problems));
    t.true(doc.etcd.ok);
    t.is(doc.etcd.source, 'state');
    t.is(doc.etcd.endpoint, `https://${node1.address}:2379`);
    t.is(doc.security.tls, true);
    t.is(doc.security.auth, true, `${host.name} saw etcd refuse a call without credentials`);
    t.regex(doc.security.identity ?? '', /^ignite-host-[a-z0-9]{6}$/, `${host.name} reads etcd as its own identity`);
    t.deepEqual(doc.hosts.map((h) => h.publicIP).sort(), expected, `${host.name} lists both hosts`);
    const self = doc.hosts.find((h) => h.thisHost);
    t.is(self?.publicIP, host.address, `${host.name}'s own row`);
    t.is(doc.hosts.filter((h) => h.thisHost).length, 1);
    t.is(doc.hosts.find((h) => h.etcdHost)?.publicIP, node1.address);
    for (const h of doc.hosts) {
      t.false(h.reserved);
      t.truthy(h.expiresAt);
    }
    const peer = doc.hosts.find((h) => h.publicIP === other.address);
    t.is(peer?.backendReach.state, 'ok', `${host.name} → ${other.name} backend port: ${JSON.stringify(peer?.backendReach)}`);
    if (other === node1) {
      // From the joined host, the init host's flannel address answers on 2379 through the overlay.
      t.is(peer?.overlayReach.state, 'ok', JSON.stringify(peer?.overlayReach));
      t.is(typeof peer?.overlayReach.rttMs, 'number');
    } else {
      t.is(peer?.overlayReach.state, 'not-checked');
    }
    const roles = doc.thisHost.containers.map((c) => c.role).sort();
    t.deepEqual(roles, host === node1 ? ['etcd', 'flannel'] : ['flannel']);
    t.true(doc.thisHost.containers.every((c) => c.running && c.state === 'running' && typeof c.uptimeSeconds === 'number'));
    t.is(doc.thisHost.subnetEnv.kind, 'ok');
    t.is(doc.thisHost.subnet, self?.subnet);
    t.true(doc.thisHost.cni.ours?.written);
    t.is(doc.thisHost.cni.firstPick, '10-flannel.conflist');
    // Each plugin ran its VERSION command (the stand-in scripts answer as flannel's plugin v1.9.1 does).
    t.is(doc.thisHost.cni.cniVersion, '0.4.0');
    t.deepEqual(
      doc.thisHost.cni.plugins?.map((p) => `${p.name} ${p.path} ${p.version ?? p.error ?? '-'} ${p.supportedVersions?.includes('0.4.0') ?? false}`),
      CNI_PLUGINS.map((name) => `${name} /opt/cni/bin/${name} 1.0.0 true`),
    );
    // The control plane: the init host's member alone, asked without a credential from either host.
    const cp = doc.controlPlane;
    t.like(cp?.quorum, { members: 1, needed: 1, healthy: 1, ok: true, line: '1 member, 1 needed, 1 healthy' }, JSON.stringify(cp));
    t.is(cp?.members.length, 1);
    t.like(cp?.members[0], { name: 's1', peerUrl: `https://${node1.address}:2380`, leader: true, healthy: true, learner: false, thisHost: host === node1 });
    t.true((cp?.members[0]?.raftIndex ?? 0) > 0);
    t.true((cp?.members[0]?.dbSizeBytes ?? 0) > 0);
    t.is(cp?.warnings.length, 1);
    t.regex(cp?.warnings[0] ?? '', /^etcd runs on one host only and 2 hosts depend on it/);
  }

  // The plain table (not a terminal here) shows the same, for the README and for people.
  const text = await runCli(node2, ['status']);
  t.is(text.code, 0, describe(text));
  t.regex(text.stdout, /^✔ ignite-net status: healthy/m);
  t.regex(text.stdout, /CNI plugins +flannel, portmap, firewall, bridge, host-local \(CNI 1\.0\.0\) in \/opt\/cni\/bin, all speak the conflist's CNI 0\.4\.0$/m);
  t.regex(text.stdout, /SUBNET +PUBLIC IP +BACKEND +LEASE +ROLE +BACKEND PORT +OVERLAY/);
  t.regex(text.stdout, new RegExp(`${node1.address.replaceAll('.', '\\.')} +udp +23h 5\\dm +etcd +not rejected +answered \\((<1|\\d+)ms\\)`));
  t.regex(text.stdout, new RegExp(`${node2.address.replaceAll('.', '\\.')} +udp +23h 5\\dm +this host`));
  t.regex(text.stdout, /^control plane: 1 member, 1 needed, 1 healthy$/m);
  t.regex(text.stdout, new RegExp(`^ {2}s1 +https://${node1.address.replaceAll('.', '\\.')}:2380 +leader +healthy +\\d+ +\\d+ kB$`, 'm'));
  t.regex(text.stdout, /^ {2}! etcd runs on one host only and 2 hosts depend on it/m);
  t.log(`status on ${node2.name}:\n${text.stdout}`);

  // Stop flannel on the joined host through the Docker API: status there says so and fails.
  const flannel = node2.docker.getContainer('ignite-flannel');
  await flannel.stop({ t: 5 });
  const stopped = await runCli(node2, ['status', '--json']);
  t.is(stopped.code, 10, describe(stopped));
  const doc = parse(stopped.stdout);
  t.is(doc.verdict, 'unhealthy');
  const problem = doc.problems.find((p) => p.code === 'flannel-not-running');
  t.regex(problem?.message ?? '', /flannel is not running: ignite-flannel is exited/);
  t.false(doc.thisHost.containers.find((c) => c.role === 'flannel')?.running);
  const stoppedText = await runCli(node2, ['status']);
  t.is(stoppedText.code, 10, describe(stoppedText));
  t.regex(stoppedText.stdout, /✖ flannel is not running: ignite-flannel is exited/);
  t.log(`status on ${node2.name} with flannel stopped:\n${stoppedText.stdout}`);

  // From the init host, the stopped peer's backend port now rejects: seen there too.
  const fromInit = await runCli(node1, ['status', '--json']);
  t.is(fromInit.code, 10, describe(fromInit));
  const peerRow = parse(fromInit.stdout).hosts.find((h) => h.publicIP === node2.address);
  t.is(peerRow?.backendReach.text, 'rejected');
  t.log(`status on ${node1.name} with flannel stopped on ${node2.name}:\n${(await runCli(node1, ['status'])).stdout}`);
});
