/**
 * The secure default end to end on simulated hosts: init makes a CA, serves etcd over TLS with auth,
 * and prints the join command; join with it pins the CA and takes its own identity; every wrong join
 * is refused before anything on the joining host changes; no secret leaks into output or containers.
 */
import test from 'ava';
import { readdir } from 'node:fs/promises';
import { LABELS } from '../../src/defaults.js';
import { describe, etcdGetPrefix, hostsWithTestImages, joinCommandOf, runCli, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../_helpers/cli.js';
import type { SimHost } from '../_helpers/hosts.js';

async function assertUntouched(t: import('ava').ExecutionContext, host: SimHost): Promise<void> {
  const containers = await host.docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } });
  t.deepEqual(containers.map((c) => c.Names[0]), [], `no ignite-net containers on ${host.name}`);
  t.deepEqual(await readdir(host.dirs.cniConfDir), [], `${host.name}'s CNI conf dir untouched`);
}

const STATE_DIR = '/var/lib/ignite-net';
const cat = async (host: SimHost, path: string): Promise<string> => (await host.exec('cat', [`${STATE_DIR}/${path}`])).stdout;

test.serial('secure by default: init prints a join command that pins the CA; join works with it and every wrong one is refused', async (t) => {
  const [node1, node2, node3] = (await hostsWithTestImages(t, 3)) as [SimHost, SimHost, SimHost];
  const init = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(init.code, 0, describe(init));
  const joinArgs = joinCommandOf(init.stdout);
  t.deepEqual(joinArgs.slice(0, 2), ['join', node1.address]);
  t.regex(joinArgs.join(' '), /--token [a-z0-9]{6}\.[a-z0-9]{16} --ca-cert-hash sha256:[0-9a-f]{64}$/);
  const tokenIndex = joinArgs.indexOf('--token') + 1;
  const pinIndex = joinArgs.indexOf('--ca-cert-hash') + 1;

  // Without a token, with a wrong pin, with a garbled token: refused, node3 unchanged.
  const noToken = await runCli(node3, ['join', node1.address, ...TEST_FLANNEL_FLAGS]);
  t.not(noToken.code, 0, describe(noToken));
  t.regex(noToken.stderr, /runs a secure overlay .*: join needs its token/);
  const wrongPin = [...joinArgs];
  wrongPin[pinIndex] = `sha256:${'0'.repeat(64)}`;
  const pinned = await runCli(node3, [...wrongPin, ...TEST_FLANNEL_FLAGS]);
  t.is(pinned.code, 6, describe(pinned));
  t.regex(pinned.stderr, /the CA at .*:2379 is not the one in the token: sha256:0{64} expected, sha256:[0-9a-f]{64} found/);
  const garbled = [...joinArgs];
  garbled[tokenIndex] = `${joinArgs[tokenIndex]?.slice(0, -1)}`;
  const bad = await runCli(node3, [...garbled, ...TEST_FLANNEL_FLAGS]);
  t.is(bad.code, 2, describe(bad));
  t.regex(bad.stderr, /--token is not a join token/);
  const unknown = [...joinArgs];
  unknown[tokenIndex] = `zzzzzz.${joinArgs[tokenIndex]?.split('.')[1] ?? ''}`;
  const deleted = await runCli(node3, [...unknown, ...TEST_FLANNEL_FLAGS]);
  t.is(deleted.code, 9, describe(deleted));
  t.regex(deleted.stderr, /the token zzzzzz\.… is not known to the overlay/);
  await assertUntouched(t, node3);

  // doctor --peer needs no token against a secure overlay: the ports, the TLS pin, authentication on.
  const pin = joinArgs[pinIndex] ?? '';
  const peerCheck = await runCli(node3, ['doctor', '--peer', node1.address, '--ca-cert-hash', pin]);
  t.is(peerCheck.code, 0, describe(peerCheck));
  t.regex(peerCheck.stdout, new RegExp(`^ {2}PeerEtcd +ok {4}etcd v3 answers at https://${node1.address.replaceAll('.', '\\.')}:2379 \\(.*\\), TLS with the CA ${pin}, the one given with --ca-cert-hash$`, 'm'));
  t.regex(peerCheck.stdout, /^ {2}PeerAuth +ok {4}authentication is on \(etcd refuses a call without credentials\): joining needs a token/m);
  t.regex(peerCheck.stdout, /^ {2}PeerNetworkConfig +not run \(readable with a token only: authentication is on\)$/m);
  t.regex(peerCheck.stdout, /^ {2}PeerBackendPort +ok {4}8285\/udp /m);
  const peerWrongPin = await runCli(node3, ['doctor', '--peer', node1.address, '--ca-cert-hash', `sha256:${'0'.repeat(64)}`]);
  t.is(peerWrongPin.code, 3, describe(peerWrongPin));
  t.regex(peerWrongPin.stderr, /\[ERROR PeerEtcd\] the CA at .*:2379 is not the one given with --ca-cert-hash: sha256:0{64} expected/);
  await assertUntouched(t, node3);

  // The real join, then the same token again from another host.
  const joined = await runCli(node2, [...joinArgs, ...TEST_FLANNEL_FLAGS]);
  t.is(joined.code, 0, describe(joined));
  t.regex(joined.stdout + joined.stderr, /answered in (<1|\d+)ms \(overlay up after /);
  const reused = await runCli(node3, [...joinArgs, ...TEST_FLANNEL_FLAGS]);
  t.is(reused.code, 9, describe(reused));
  t.regex(reused.stderr, /has expired or was already used by another host/);
  await assertUntouched(t, node3);

  // token create makes another one-host token; a deleted one opens nothing; list says who used which.
  const created = await runCli(node1, ['token', 'create', '--ttl', '2h']);
  t.is(created.code, 0, describe(created));
  const second = joinCommandOf(created.stdout);
  const secondId = second[second.indexOf('--token') + 1]?.split('.')[0] ?? '';
  const removed = await runCli(node1, ['token', 'delete', secondId]);
  t.is(removed.code, 0, describe(removed));
  const afterDelete = await runCli(node3, [...second, ...TEST_FLANNEL_FLAGS]);
  t.is(afterDelete.code, 9, describe(afterDelete));
  t.regex(afterDelete.stderr, new RegExp(`the token ${secondId}\\.… is not known to the overlay`));
  await assertUntouched(t, node3);
  const third = joinCommandOf((await runCli(node1, ['token', 'create'])).stdout);
  const joined3 = await runCli(node3, [...third, ...TEST_FLANNEL_FLAGS]);
  t.is(joined3.code, 0, describe(joined3));
  const list = await runCli(node1, ['token', 'list']);
  t.is(list.code, 0, describe(list));
  t.regex(list.stdout, new RegExp(`${joinArgs[tokenIndex]?.split('.')[0] ?? ''} +created .*; used by ${node2.address.replaceAll('.', '\\.')}`));
  t.regex(list.stdout, new RegExp(`${third[third.indexOf('--token') + 1]?.split('.')[0] ?? ''} +created .*; used by ${node3.address.replaceAll('.', '\\.')}`));
  t.false(list.stdout.includes(secondId), 'a deleted token is not listed');
  const onJoined = await runCli(node2, ['token', 'create']);
  t.is(onJoined.code, 2, describe(onJoined));
  t.regex(onJoined.stderr, /token runs on the init host: this host has no etcd root credential/);

  // A control-plane token (docs/ha.md): the command alone on its line is the only place its certificate key appears.
  const cp = await runCli(node1, ['token', 'create', '--control-plane']);
  t.is(cp.code, 0, describe(cp));
  const cpLines = cp.stdout.split('\n').map((l) => l.trim()).filter((l) => l.includes('ignite-net join'));
  t.is(cpLines.length, 1, describe(cp));
  const cpMatch = new RegExp(`^sudo ignite-net join ${node1.address.replaceAll('.', '\\.')} --token ([a-z0-9]{6})\\.[a-z0-9]{16} --ca-cert-hash ${pin} --control-plane --certificate-key ([0-9a-f]{64})$`).exec(cpLines[0] ?? '');
  t.truthy(cpMatch, describe(cp));
  const [, cpId = '', certificateKey = 'missing'] = cpMatch ?? [];
  t.is(`${cp.stdout}${cp.stderr}`.split(certificateKey).length, 2, 'the certificate key appears once: in the command');
  const cpList = await runCli(node1, ['token', 'list']);
  t.regex(cpList.stdout, new RegExp(`${cpId} +control-plane, created .*; unused, expires`), describe(cpList));
  t.notRegex(cpList.stdout, new RegExp(`${secondId} +control-plane|${third[third.indexOf('--token') + 1]?.split('.')[0] ?? ''} +control-plane`), 'plain tokens are not marked');
  const stored = [...(await etcdGetPrefix(node1, node1.address, '/')).entries()].flat().join('\n');
  t.true(stored.includes(`/ignite-net/control-plane/${cpId}`), 'the sealed bundle is in etcd');
  t.false(stored.includes(certificateKey), 'etcd never holds the certificate key');
  t.false(stored.includes('PRIVATE KEY'), 'nor the CA key in clear');
  const tooLong = await runCli(node1, ['token', 'create', '--control-plane', '--ttl', '3h']);
  t.is(tooLong.code, 2, describe(tooLong));
  t.regex(tooLong.stderr, /--ttl 3h is too long for a control-plane token \(at most 2h\)/);
  const cpOnJoined = await runCli(node2, ['token', 'create', '--control-plane']);
  t.is(cpOnJoined.code, 2, describe(cpOnJoined));
  t.regex(cpOnJoined.stderr, /this host has no etcd root credential/);
  const cpJoin = await runCli(node3, ['join', node1.address, '--control-plane']);
  t.is(cpJoin.code, 2, describe(cpJoin));
  t.regex(cpJoin.stderr, /join --control-plane needs --token and --ca-cert-hash/);

  // etcd answers nothing over plain HTTP.
  const plain = await node3.exec('etcdctl', ['--endpoints', `http://${node1.address}:2379`, '--dial-timeout', '2s', 'get', '/coreos.com/network/config'], { env: { ETCDCTL_API: '3' }, timeoutMs: 15_000 });
  t.not(plain.code, 0, 'plain HTTP gets nothing');

  // Secrets: never in any output, nor in the containers' command lines or environment; their files are 0600.
  const secrets = [joinArgs[tokenIndex]?.split('.')[1] ?? '', (await cat(node1, 'etcd-root.json')).match(/"password":"([^"]+)"/)?.[1] ?? ''];
  for (const node of [node1, node2, node3]) secrets.push(await cat(node, 'flannel-tls/etcd-password'));
  t.true(secrets.every((s) => s.length >= 16), 'found the secrets to look for');
  const outputs = [init.stderr, joined.stdout, joined.stderr, noToken.stderr, pinned.stderr, bad.stderr, deleted.stderr, reused.stderr, list.stdout, list.stderr, afterDelete.stderr, joined3.stdout, joined3.stderr];
  secrets.push(third[third.indexOf('--token') + 1]?.split('.')[1] ?? '');
  for (const node of [node1, node2]) {
    for (const info of await node.docker.listContainers({ all: true })) {
      const inspected = await node.docker.getContainer(info.Id).inspect();
      outputs.push(JSON.stringify({ cmd: inspected.Config.Cmd, env: inspected.Config.Env, entrypoint: inspected.Config.Entrypoint }));
    }
    const logs = await runCli(node, ['logs', '--tail', '200']);
    outputs.push(logs.stdout, logs.stderr);
    // status reads the secure etcd with this host's credentials (root on the init host, its identity elsewhere).
    const status = await runCli(node, ['status', '--json']);
    t.true(status.code === 0 || status.code === 10, describe(status));
    t.is((JSON.parse(status.stdout) as { etcd: { ok: boolean } }).etcd.ok, true, status.stdout);
    outputs.push(status.stdout);
  }
  // --json carries no secret either (join again and doctor, each as its own identity).
  for (const node of [node1, node2]) {
    for (const args of [['join', node1.address, ...TEST_FLANNEL_FLAGS, '--json'], ['doctor', '--json']]) {
      if (node === node1 && args[0] === 'join') continue;
      const json = await runCli(node, args);
      outputs.push(json.stdout, json.stderr);
    }
  }
  // The password of node2's own flannel shows in its own start-up log line only as [redacted].
  for (const secret of secrets) t.false(outputs.some((o) => o.includes(secret)), 'a secret leaked into an output');
  // On disk a secret is only in files of mode 0600 (under the state dir, the CNI dirs, flannel's run dir).
  let secretFiles = 0;
  for (const node of [node1, node2, node3]) {
    for (const secret of secrets) {
      const found = await node.exec('grep', ['-rlF', '--', secret, STATE_DIR, '/etc/cni', '/run/flannel']);
      const files = found.stdout.trim().split('\n').filter(Boolean);
      if (files.length === 0) continue;
      secretFiles += files.length;
      const modes = await node.exec('stat', ['-c', '%a %n', ...files]);
      for (const line of modes.stdout.trim().split('\n')) t.true(line.startsWith('600 '), `a secret in a file that is not 0600: ${line}`);
    }
  }
  t.true(secretFiles >= 4, `the scan found the secrets' own files (root's credential, each host's password): ${secretFiles}`);
  for (const node of [node1, node2]) {
    const modes = await node.exec('stat', ['-c', '%a %n', `${STATE_DIR}/flannel-tls/etcd-password`, `${STATE_DIR}/flannel-tls/client-key.pem`, `${STATE_DIR}/flannel-tls`]);
    t.deepEqual(modes.stdout.trim().split('\n').map((l) => l.split(' ')[0]), ['600', '600', '700'], modes.stdout);
  }

  // A joined host reaches the overlay again with its own identity: join again needs no token, doctor's peer checks pass.
  const again = await runCli(node2, ['join', node1.address, ...TEST_FLANNEL_FLAGS]);
  t.is(again.code, 0, describe(again));
  t.regex(again.stdout, /already joined, nothing changed/);
  const text = await runCli(node2, ['status']);
  t.regex(text.stdout, /security +TLS, auth on, CA sha256:[0-9a-f]{16}…, certificate until \d{4}-\d\d-\d\d, this host is ignite-host-[a-z0-9]{6}/, describe(text));
  const doctor = await runCli(node2, ['doctor']);
  t.log(doctor.stdout);
  t.is(doctor.code, 0, describe(doctor));
  t.regex(doctor.stdout, /PeerEtcd +ok +etcd v3 answers at https:.*, TLS with the CA sha256:[0-9a-f]{64}, the one this host recorded$/m, describe(doctor));
  t.regex(doctor.stdout, /^ {2}EtcdTls +ok {4}etcd at [\d.]+:2379 serves TLS with the CA sha256:[0-9a-f]{64}, the one this host recorded$/m);
  t.regex(doctor.stdout, /^ {2}EtcdCert +ok {4}etcd's certificate is valid until \d{4}-\d\d-\d\d \(\d+ days\)$/m);
  t.regex(doctor.stdout, /^ {2}EtcdAuth +ok {4}authentication is on: a call without credentials is refused \(user name is empty\)$/m);
  t.regex(doctor.stdout, /^ {2}EtcdIdentity +ok {4}this host is ignite-host-[a-z0-9]{6} \(flannel's identity, reads the network config\)$/m);
  const doctorInit = await runCli(node1, ['doctor', '--json']);
  const initChecks = doctorInit.stdout.trim().split('\n').map((l) => JSON.parse(l) as { check?: { name: string; status: string; message: string } }).flatMap((e) => (e.check ? [e.check] : []));
  t.deepEqual(initChecks.filter((c) => c.name.startsWith('Etcd')).map((c) => `${c.name}:${c.status}`), ['EtcdTls:pass', 'EtcdCert:pass', 'EtcdAuth:pass', 'EtcdIdentity:pass'], doctorInit.stdout);
  t.regex(initChecks.find((c) => c.name === 'EtcdIdentity')?.message ?? '', /; ignite-net's own commands use root \(etcd-root\.json\)$/);

  // hosts list names every identity; revoking node3 shuts it out of etcd and leaves node2 alone.
  const hostsList = await runCli(node1, ['hosts', 'list']);
  t.is(hostsList.code, 0, describe(hostsList));
  for (const node of [node1, node2, node3]) t.regex(hostsList.stdout, new RegExp(`${node.address.replaceAll('.', '\\.')} \\(`));
  t.false(hostsList.stdout.includes(`ignite-host-${secondId}`), 'a deleted unused token takes its host identity with it');
  const revoked = await runCli(node1, ['hosts', 'revoke', node3.address]);
  t.is(revoked.code, 0, describe(revoked));
  t.regex(revoked.stdout, /etcd refuses it from its next call; its lease 10\.50\.\d+\.0\/24 stays until flannel fails to renew it/);
  const addr3 = node3.address.replaceAll('.', '\\.');
  const marked = await runCli(node1, ['status']);
  t.log(marked.stdout);
  t.regex(marked.stdout, new RegExp(`^ {2}10\\.50\\.\\d+\\.0/24 +${addr3} +udp +\\d+h \\d\\dm +revoked `, 'm'), describe(marked));
  t.regex(marked.stdout, new RegExp(`! ${addr3} \\(ignite-host-[a-z0-9]{6}\\) is revoked: its lease 10\\.50\\.\\d+\\.0/24 runs out at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC, no renewal possible`));
  const markedJson = JSON.parse((await runCli(node1, ['status', '--json'])).stdout) as { hosts: { publicIP: string; health: string; revoked?: { user: string } }[]; problems: { code: string }[] };
  const row3 = markedJson.hosts.find((h) => h.publicIP === node3.address);
  t.regex(row3?.revoked?.user ?? '', /^ignite-host-[a-z0-9]{6}$/);
  t.is(row3?.health, 'warning');
  t.true(markedJson.problems.some((p) => p.code === 'host-revoked'));
  t.is(markedJson.hosts.find((h) => h.publicIP === node2.address)?.revoked, undefined, 'node2 is not revoked');
  const doctor3 = await runCli(node3, ['doctor']);
  t.is(doctor3.code, 3, describe(doctor3));
  t.regex(doctor3.stdout, /^ {2}EtcdIdentity +FAIL {2}etcd refuses this host's identity ignite-host-[a-z0-9]{6} \(authentication failed\): it was revoked/m);
  const shutOut = await runCli(node3, ['status', '--json']);
  t.is((JSON.parse(shutOut.stdout) as { etcd?: { ok: boolean } }).etcd?.ok ?? false, false, shutOut.stdout);
  const stillIn = await runCli(node2, ['status', '--json']);
  t.is((JSON.parse(stillIn.stdout) as { etcd: { ok: boolean } }).etcd.ok, true, stillIn.stdout);
  t.is((await runCli(node1, ['hosts', 'revoke', node1.address])).code, 2, 'the init host cannot revoke itself');

  // cleanup over TLS: a joined host releases its own lease with its identity (a revoked one cannot,
  // and says so); the init host with --purge leaves no key, certificate or credential behind.
  const leaving = await runCli(node3, ['cleanup', '--yes']);
  t.is(leaving.code, 0, describe(leaving));
  t.regex(leaving.stderr, /stays in etcd until it expires by itself/);
  const left2 = await runCli(node2, ['cleanup', '--yes']);
  t.is(left2.code, 0, describe(left2));
  t.regex(left2.stdout, /removed +lease 10\.50\.\d+\.0\/24 in etcd at https:/);
  const purged = await runCli(node1, ['cleanup', '--yes', '--purge']);
  t.is(purged.code, 0, describe(purged));
  for (const node of [node1, node2, node3]) {
    const left = await node.exec('sh', ['-c', `find ${STATE_DIR} -type f 2>/dev/null || true`]);
    t.is(left.stdout.trim(), '', `nothing left in ${STATE_DIR} on ${node.name}`);
  }
});
