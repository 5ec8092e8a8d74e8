import { randomBytes } from 'node:crypto';
import test from 'ava';
import Dockerode from 'dockerode';
import { copyFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTemplate } from '../../src/adapters/templates.js';
import { renderConflist } from '../../src/cni/conflist.js';
import { ABORT_GRACE_MS } from '../../src/core/runner.js';
import { CNI_FILES, ETCD_VOLUME, LABELS } from '../../src/defaults.js';
import { leaseSubnet, parseSubnetEnv } from '../../src/net/subnet-env.js';
import { CLI, describe, etcdGetPrefix, hostsWithTestImages, runCli, TEST_CNI_PLUGIN_FLAGS, TEST_INSECURE_INIT_FLAGS } from '../_helpers/cli.js';
import { createHosts, type SimHost } from '../_helpers/hosts.js';
import { ensureTestImages } from '../_helpers/images.js';

// Ignite's own conflist, as it writes it when /etc/cni/net.d is empty: init must move it aside and
// cleanup must bring it back byte for byte.
const IGNITE_CONFLIST = '{\n  "cniVersion": "0.4.0",\n  "name": "ignite-cni-bridge",\n  "plugins": [ { "type": "bridge" } ]\n}\n';

async function managed(host: SimHost): Promise<{ name: string; id: string; state: string; restart: string | undefined }[]> {
  const list = await host.docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } });
  return Promise.all(
    list.map(async (c) => {
      const info = await host.docker.getContainer(c.Id).inspect();
      return { name: info.Name.replace(/^\//, ''), id: c.Id, state: c.State, restart: info.HostConfig.RestartPolicy?.Name };
    }),
  );
}

test.serial('init, init again, cleanup and cleanup again on one simulated host', async (t) => {
  const host = (await hostsWithTestImages(t, 1))[0]!;
  const ignitePath = join(host.dirs.cniConfDir, CNI_FILES.ignite);
  await writeFile(ignitePath, IGNITE_CONFLIST);

  // init
  const first = await runCli(host, ['init', ...TEST_INSECURE_INIT_FLAGS]);
  t.is(first.code, 0, describe(first));
  t.regex(first.stdout, new RegExp(`ignite-net join ${host.address.replaceAll('.', '\\.')}`));
  t.regex(first.stdout, /restart/i, 'the summary reminds to restart ignited');
  const containers = await managed(host);
  t.deepEqual(containers.map((c) => c.name).sort(), ['ignite-etcd', 'ignite-flannel']);
  t.true(containers.every((c) => c.state === 'running' && c.restart === 'unless-stopped'));

  const env = parseSubnetEnv(await readFile(join(host.dirs.runDir, 'subnet.env'), 'utf8'));
  t.is(env.network, '10.50.0.0/16');
  const subnet = leaseSubnet(env);
  const leases = await etcdGetPrefix(host, host.address, '/coreos.com/network/');
  t.deepEqual(JSON.parse(leases.get('/coreos.com/network/config') ?? '{}'), {
    Network: '10.50.0.0/16',
    SubnetLen: 24,
    SubnetMin: '10.50.10.0',
    SubnetMax: '10.50.99.0',
    Backend: { Type: 'udp', Port: 8285 },
  });
  const leaseValue = leases.get(`/coreos.com/network/subnets/${subnet.replace('/', '-')}`);
  t.truthy(leaseValue, `lease for ${subnet} in ${[...leases.keys()].join(', ')}`);
  t.is((JSON.parse(leaseValue ?? '{}') as { PublicIP?: string }).PublicIP, host.address);
  t.regex(first.stdout, new RegExp(subnet.replaceAll('.', '\\.')));

  const conflist = await readFile(join(host.dirs.cniConfDir, CNI_FILES.ours), 'utf8');
  t.is(conflist, renderConflist(await loadTemplate(), {}));
  await t.throwsAsync(readFile(ignitePath, 'utf8'), { code: 'ENOENT' }, '10-ignite.conflist moved aside');

  // An insecure overlay: every command touching it says so with one warning, which status does not
  // count against its verdict (security is not health).
  const INSECURE = /etcd serves plain HTTP without authentication \(init --insecure\): anyone who reaches 2379\/tcp can read and rewrite the overlay/;
  t.regex(first.stderr, new RegExp(`\\[WARN state\\] ${INSECURE.source}`));
  const status = await runCli(host, ['status']);
  t.regex(status.stdout, new RegExp(`^ {2}! ${INSECURE.source}$`, 'm'), describe(status));
  const statusJson = JSON.parse((await runCli(host, ['status', '--json'])).stdout) as { security: { warning?: { message: string } }; problems: { message: string }[] };
  t.regex(statusJson.security.warning?.message ?? '', INSECURE);
  t.false(statusJson.problems.some((p) => INSECURE.test(p.message)), 'not one of the problems the verdict counts');
  const doctor = await runCli(host, ['doctor', '--json']);
  const doctorEvents = doctor.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; check?: { name: string; status: string; message: string } });
  t.like(doctorEvents.find((e) => e.check?.name === 'EtcdTls')?.check, { status: 'warn' }, doctor.stdout);
  t.regex(doctorEvents.find((e) => e.check?.name === 'EtcdTls')?.check?.message ?? '', INSECURE);
  t.regex((await runCli(host, ['logs', '--tail', '1'])).stderr, new RegExp(`^\\[WARN\\] ${INSECURE.source}`, 'm'));

  // init again: nothing restarted
  const again = await runCli(host, ['init', ...TEST_INSECURE_INIT_FLAGS]);
  t.is(again.code, 0, describe(again));
  t.regex(again.stdout, /already initialised/);
  t.deepEqual((await managed(host)).map((c) => c.id).sort(), containers.map((c) => c.id).sort());

  // a different network config is refused with the difference, and nothing is restarted
  const other = await runCli(host, ['init', ...TEST_INSECURE_INIT_FLAGS, '--network', '10.60.0.0/16']);
  t.is(other.code, 8, describe(other));
  t.regex(other.stderr, /etcd already holds a different network config/);
  t.regex(other.stderr, /Network: 10\.50\.0\.0\/16 → 10\.60\.0\.0\/16/);
  t.regex(other.stderr, /--force/);
  t.deepEqual((await managed(host)).map((c) => c.id).sort(), containers.map((c) => c.id).sort());

  // a dead flannel is recreated and gets the same subnet back (its lease matches this PublicIP)
  const flannel = containers.find((c) => c.name === 'ignite-flannel')!;
  await host.docker.getContainer(flannel.id).remove({ force: true });
  const repair = await runCli(host, ['init', ...TEST_INSECURE_INIT_FLAGS]);
  t.is(repair.code, 0, describe(repair));
  t.notRegex(repair.stdout, /already initialised/);
  const repaired = await managed(host);
  t.is(repaired.find((c) => c.name === 'ignite-etcd')?.id, containers.find((c) => c.name === 'ignite-etcd')?.id, 'etcd kept');
  t.not(repaired.find((c) => c.name === 'ignite-flannel')?.id, flannel.id, 'flannel recreated');
  t.is(leaseSubnet(parseSubnetEnv(await readFile(join(host.dirs.runDir, 'subnet.env'), 'utf8'))), subnet);

  // the CNI plugins: missing without --install-cni-plugins (a warning), installed with it, removed by cleanup
  t.regex(first.stderr, /CNI plugins missing from \/opt\/cni\/bin: flannel, portmap, firewall, bridge, host-local .*--install-cni-plugins/);
  // (a plugin of the operator's own, `loopback`, sits in the bin dir: never touched, kept by cleanup)
  await copyFile('/usr/lib/cni/loopback', join(host.dirs.cniBinDir, 'loopback'));
  const plugins = await runCli(host, ['init', ...TEST_INSECURE_INIT_FLAGS, ...TEST_CNI_PLUGIN_FLAGS]);
  t.is(plugins.code, 0, describe(plugins));
  t.regex(plugins.stderr, /✔ cni-plugins .* — installed flannel, portmap, firewall, bridge, host-local \(CNI 1\.0\.0\)$/m, describe(plugins));
  t.notRegex(plugins.stdout, /already initialised/);
  t.deepEqual((await readdir(host.dirs.cniBinDir)).sort(), ['bridge', 'firewall', 'flannel', 'host-local', 'loopback', 'portmap']);
  const binStat = async (): Promise<string[]> =>
    Promise.all((await readdir(host.dirs.cniBinDir)).sort().map(async (f) => { const s = await stat(join(host.dirs.cniBinDir, f)); return `${f} ${s.ino} ${s.mtimeMs} ${s.mode}`; }));
  const installed = await binStat();
  t.regex((await runCli(host, ['init', ...TEST_INSECURE_INIT_FLAGS, ...TEST_CNI_PLUGIN_FLAGS])).stdout, /already initialised/);
  t.deepEqual(await binStat(), installed, 'a second install rewrites nothing (same inode, mtime, mode)');

  // cleanup
  const clean = await runCli(host, ['cleanup', '--yes']);
  t.is(clean.code, 0, describe(clean));
  t.regex(clean.stderr, INSECURE);
  t.deepEqual(await managed(host), []);
  t.deepEqual(await readdir(host.dirs.cniBinDir), ['loopback'], 'the plugins init installed are gone, the operator\'s own kept');
  await t.throwsAsync(readFile(join(host.dirs.cniConfDir, CNI_FILES.ours), 'utf8'), { code: 'ENOENT' });
  await t.throwsAsync(readFile(join(host.dirs.runDir, 'subnet.env'), 'utf8'), { code: 'ENOENT' });
  t.is(await readFile(ignitePath, 'utf8'), IGNITE_CONFLIST, '10-ignite.conflist restored byte for byte');
  t.regex(clean.stdout, new RegExp(`${ETCD_VOLUME}.*--purge`), 'says the data volume is kept and how to remove it');
  t.truthy(await host.docker.getVolume(ETCD_VOLUME).inspect());

  // cleanup again, then with --purge
  const cleanAgain = await runCli(host, ['cleanup', '--yes']);
  t.is(cleanAgain.code, 0, describe(cleanAgain));
  t.regex(cleanAgain.stdout, /nothing to clean up|left/);
  const purge = await runCli(host, ['cleanup', '--yes', '--purge']);
  t.is(purge.code, 0, describe(purge));
  await t.throwsAsync(host.docker.getVolume(ETCD_VOLUME).inspect());
});

test.serial('cleanup without --yes and without a TTY refuses and changes nothing', async (t) => {
  const sim = await createHosts(1, { bindDefaultPaths: true });
  t.teardown(() => sim.destroy());
  const host = sim.hosts[0]!;
  const result = await runCli(host, ['cleanup']);
  t.is(result.code, 2, describe(result));
  t.regex(result.stderr, /--yes/);

  // Same host: this machine's kernel has no wireguard, so `init --backend wireguard` stops at
  // preflight with the reason, before any change.
  const listing = async (): Promise<string[][]> => Promise.all([host.dirs.cniConfDir, host.dirs.runDir, host.dirs.stateDir].map((d) => readdir(d)));
  const before = await listing();
  const wg = await runCli(host, ['init', '--backend', 'wireguard', ...TEST_INSECURE_INIT_FLAGS]);
  t.is(wg.code, 3, describe(wg));
  t.regex(wg.stderr, /preflight found an error: WireguardKernel: this kernel \(\S+\) has no wireguard support: \/sys\/module\/wireguard is absent/, describe(wg));
  t.regex(wg.stderr, /choose another --backend, e\.g\. vxlan/);
  t.deepEqual(await managed(host), [], 'no container was created');
  t.deepEqual(await listing(), before, 'the CNI conf dir, run dir and state dir are as they were');

  // The pre-shared key file: one others can read is refused (naming the file, never the key); a 0600
  // one is read, and init still stops at WireguardKernel before any change, the key in no output.
  const key = randomBytes(32).toString('base64');
  const pskFile = `/tmp/ignite-net-test-${process.pid}.psk`;
  t.teardown(() => host.exec('rm', ['-f', pskFile]).then(() => undefined));
  await host.exec('sh', ['-c', `umask 022; printf '%s\\n' "$PSK" > ${pskFile}`], { env: { PSK: key } });
  const open = await runCli(host, ['init', '--backend', 'wireguard', '--wireguard-psk-file', pskFile, ...TEST_INSECURE_INIT_FLAGS]);
  t.is(open.code, 2, describe(open));
  t.regex(open.stderr, new RegExp(`--wireguard-psk-file ${pskFile.replaceAll('.', '\\.')} can be read by others \\(mode 0644\\)`));
  await host.exec('chmod', ['600', pskFile]);
  const sealed = await runCli(host, ['init', '--backend', 'wireguard', '--wireguard-mode', 'ipv4', '--wireguard-psk-file', pskFile, ...TEST_INSECURE_INIT_FLAGS]);
  t.is(sealed.code, 3, describe(sealed));
  t.regex(sealed.stderr, /wireguard-psk .*\(0600\): the key goes into the network config as PSK/);
  t.regex(sealed.stderr, /WireguardKernel: this kernel/);
  for (const r of [open, sealed]) t.false(r.stdout.includes(key) || r.stderr.includes(key), 'the key is in no output');
  t.deepEqual(await listing(), before);
});

test.serial('Ctrl-C while waiting for etcd stops promptly, undoes what init created and says so', async (t) => {
  const images = await ensureTestImages();
  const sim = await createHosts(1, { images: [images.flannel], imagesFrom: new Dockerode(), bindDefaultPaths: true });
  t.teardown(() => sim.destroy());
  const host = sim.hosts[0]!;
  // An "etcd" image that never answers (the flannel stand-in refuses etcd's flags and restarts), so
  // init sits in its wait when the SIGINT arrives.
  const child = host.spawn(process.execPath, [CLI, 'init', '--pull', 'never', '--etcd-image', images.flannel, '--flannel-image', images.flannel], {
    env: { CI: 'true', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stepFailedAt: number | undefined;
  const waiting = new Promise<void>((resolve) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('waiting for etcd')) resolve();
      if (stepFailedAt === undefined && /✖ etcd/.test(stderr)) stepFailedAt = Date.now();
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waiting;
  const sent = Date.now();
  child.kill('SIGINT');
  t.is(await exited, 130, stderr);
  // Undo stops the container with Docker's 10 s grace: a process that was still starting as PID 1
  // may not have its SIGTERM handler yet and is then killed when the grace runs out.
  const took = Date.now() - sent;
  t.true(took < 20_000, `stops within seconds (took ${took} ms)\n${stderr}`);
  // The step's own duration also counts creating the container; what must be short is the wait
  // between Ctrl-C and the step ending.
  t.regex(stderr, /✖ etcd\s+Start etcd \(/);
  // The step stops by itself: the runner did not have to abandon it when its grace ran out (it would
  // then say so, and the step would end ABORT_GRACE_MS after Ctrl-C).
  t.notRegex(stderr, /did not stop within/);
  const stepEnded = (stepFailedAt ?? Number.POSITIVE_INFINITY) - sent;
  t.true(stepEnded < ABORT_GRACE_MS, `the running step ends before the runner would abandon it (${stepEnded} ms after Ctrl-C)\n${stderr}`);
  t.regex(stderr, /interrupted/);
  t.regex(stderr, /undone\s+remove container ignite-etcd/);
  t.regex(stderr, /undone\s+remove volume ignite-etcd-data/);
  t.deepEqual(await managed(host), []);
  t.deepEqual((await host.docker.listVolumes()).Volumes ?? [], []);
});
