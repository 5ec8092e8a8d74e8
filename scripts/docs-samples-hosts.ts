/**
 * The doc samples that need hosts (scripts/docs-samples.ts has the cheap ones and the block format).
 * Usage: npm run build && sudo npx tsx scripts/docs-samples-hosts.ts   (root and a Docker Engine; on a
 * shared machine under the heavy-test lock). One pair of simulated hosts, as examples/two-hosts.ts
 * (the test images, CNI plugins installed), and the commands in the order that gives each state:
 * node1 `init --dry-run`, `doctor` broken (a CNI config first, IP forwarding off; mended after), `init`
 * refused by preflight (NetworkOverlap), `init` interrupted by SIGINT (paused in etcd's step by the
 * IGNITE_NET_TEST_PAUSE_AT hook; all undone), `init`; node2 the join init printed; `status` on each,
 * and node2's again in an 80-column terminal; node2 `doctor`; node1 `token create`, `token list`,
 * `hosts list`, `logs`, `ipam gc` (and `--yes`) with a stale host-local allocation, `status` with
 * node2's flannel stopped (started again); node2 `cleanup`, then (joined again with token create's
 * token) `cleanup` with node1's etcd stopped; node1 `cleanup --purge` (etcd still stopped), then
 * `init` in a 100-column terminal. The terminal runs
 * go through `script` (a pseudo-terminal) and are shown as the screen ends (terminal-screen.ts). It
 * rewrites every HOST_SAMPLES block and removes
 * the hosts. Secrets are masked before anything is written: a token's secret half becomes
 * `<secret>`, and the run fails if any secret the hosts hold (token secrets, etcd passwords) is left.
 * Their output holds addresses, lease times and durations, so no test compares them with a fresh
 * run: run this again after changing what these commands print.
 */
import { readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Dockerode from 'dockerode';
import { TEST_PAUSE_ENV } from '../src/commands/command.js';
import { CLI, joinCommandOf, runCli, TEST_CNI_PLUGIN_FLAGS, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../test/_helpers/cli.js';
import { startCli } from '../test/_helpers/faults.js';
import { createHosts, type SimHost } from '../test/_helpers/hosts.js';
import { ensureTestImages } from '../test/_helpers/images.js';
import { HOST_SAMPLES, docFiles, renderSample, replaceBlocks, type Sample } from './docs-samples.js';
import { screenText } from './terminal-screen.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** A join token as printed: `<6-char id>.<16-char secret>`. */
const TOKEN = /\b([a-z0-9]{6})\.([a-z0-9]{16})\b/g;

async function cli(host: SimHost, args: string[], allowed: number[] = [0]): Promise<{ code: number; output: string; stdout: string }> {
  const result = await runCli(host, args);
  const code = result.code ?? -1;
  if (!allowed.includes(code)) throw new Error(`ignite-net ${args.join(' ')} on ${host.name} exited with ${code}:\n${result.stderr}${result.stdout}`);
  return { code, output: `${result.stderr}${result.stdout}`, stdout: result.stdout };
}

const quote = (a: string): string => `'${a.replaceAll("'", "'\\''")}'`;

/**
 * The CLI in a terminal `columns` wide: under `script` (a pseudo-terminal; stty sets its size, 200 rows
 * so ink never clears the screen for a frame taller than it), not in CI, so it draws the interactive
 * UI; the output is what the screen shows at the end (screenText), colours and cursor moves gone.
 */
async function inTerminal(host: SimHost, args: string[], columns: number): Promise<{ code: number; output: string }> {
  const command = `stty cols ${columns} rows 200 && exec ${[process.execPath, CLI, ...args, '--timeout', '40s'].map(quote).join(' ')}`;
  const result = await host.exec('script', ['-qfec', command, '/dev/null'], { timeoutMs: 120_000, env: { CI: undefined, NO_COLOR: '1', TERM: 'xterm-256color' } });
  const code = result.code ?? -1;
  if (code !== 0) throw new Error(`ignite-net ${args.join(' ')} in a terminal on ${host.name} exited with ${code}:\n${result.stderr}${result.stdout}`);
  return { code, output: screenText(result.stdout, columns) };
}

/** Only the lines matching `keep`; each run of lines left out is one `…`. */
function elide(output: string, keep: RegExp): string {
  const shown: string[] = [];
  for (const line of output.replace(/\n$/, '').split('\n')) {
    if (keep.test(line)) shown.push(line);
    else if (shown[shown.length - 1] !== '…') shown.push('…');
  }
  return `${shown.join('\n')}\n`;
}

/** The secrets a host holds (etcd root's and flannel's passwords), to check no sample shows one. */
async function secretsOf(host: SimHost): Promise<string[]> {
  const found: string[] = [];
  const flannel = await host.exec('cat', ['/var/lib/ignite-net/flannel-tls/etcd-password']);
  if (flannel.code === 0 && flannel.stdout.trim() !== '') found.push(flannel.stdout.trim());
  const rootCredential = await host.exec('cat', ['/var/lib/ignite-net/etcd-root.json']);
  if (rootCredential.code === 0) {
    for (const value of Object.values(JSON.parse(rootCredential.stdout) as Record<string, unknown>)) {
      if (typeof value === 'string' && value.length >= 12) found.push(value);
    }
  }
  return found;
}

const images = await ensureTestImages(new Dockerode(), (line) => process.stdout.write(`${line}\n`));
const sim = await createHosts(2, { images: [images.etcd, images.flannel, images.cniPlugin], imagesFrom: new Dockerode(), bindDefaultPaths: true });
let failed = false;
try {
  const [node1, node2] = sim.hosts as [SimHost, SimHost];
  const bodies = new Map<string, string>();
  const secrets = new Set<string>();
  const sample = async (
    name: string,
    host: SimHost,
    args: string[],
    options: Pick<Sample, 'stdoutOnly'> & { allowed?: number[]; run?: () => Promise<{ code: number; output: string; stdout?: string }>; keep?: RegExp } = {},
  ) => {
    const run = await (options.run ?? (() => cli(host, args, options.allowed)))();
    for (const m of run.output.matchAll(TOKEN)) secrets.add(m[2] ?? '');
    const output = options.stdoutOnly ? (run.stdout ?? '') : run.output;
    const body = renderSample({ name, args, on: host.name, stdoutOnly: options.stdoutOnly }, { code: run.code, output: options.keep ? elide(output, options.keep) : output });
    bodies.set(name, body.replace(TOKEN, '$1.<secret>'));
    return run;
  };
  /** Several commands in one block: each as `sample` renders it, one fence around them all. */
  const samples = async (name: string, runs: (() => Promise<unknown>)[]) => {
    const parts: string[] = [];
    for (const [i, run] of runs.entries()) {
      await run();
      const lines = (bodies.get(`${name}#${i}`) ?? '').split('\n');
      bodies.delete(`${name}#${i}`);
      parts.push(...lines.slice(i === 0 ? 0 : 1, i === runs.length - 1 ? lines.length : -1));
    }
    bodies.set(name, parts.join('\n'));
  };
  const init = [...TEST_IMAGE_FLAGS, ...TEST_CNI_PLUGIN_FLAGS];
  await sample('init-dry-run', node1, ['init', '--dry-run', ...init]);
  // doctor on the host about to init, broken two ways (a CNI config sorting first, IP forwarding off), then mended.
  const otherConflist = join(node1.dirs.cniConfDir, '00-other.conflist');
  await writeFile(otherConflist, '{ "cniVersion": "0.4.0", "name": "other", "plugins": [ { "type": "bridge", "bridge": "other0" } ] }\n');
  const forward = (await node1.exec('sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout.trim();
  await node1.exec('sysctl', ['-w', 'net.ipv4.ip_forward=0']);
  await sample('doctor-failed-checks', node1, ['doctor'], { allowed: [3] });
  await rm(otherConflist);
  await node1.exec('sysctl', ['-w', `net.ipv4.ip_forward=${forward === '' ? '1' : forward}`]);
  // init refused by preflight: an overlay over the hosts' own segment.
  const [a, b] = node1.address.split('.');
  await sample('init-preflight-error', node1, ['init', '--network', `${a}.${b}.0.0/16`, ...init], { allowed: [3] });
  // Ctrl-C in init: paused (the test hook) right after etcd's container started, then SIGINT to the
  // CLI's pid; everything is undone, so the init after it starts from a clean host.
  await sample('init-interrupted', node1, ['init', ...init], {
    run: async () => {
      const started = startCli(node1, ['init', ...init], 'etcd:2');
      await started.paused();
      started.child.kill('SIGINT');
      const result = await started.exited;
      if (result.code !== 130) throw new Error(`interrupted init exited with ${result.code}:\n${result.stderr}${result.stdout}`);
      // The hook's own line ("paused …, SIGUSR2 continues") is no part of what a user sees.
      const output = `${result.stderr}${result.stdout}`.split('\n').filter((l) => !l.includes(TEST_PAUSE_ENV)).join('\n');
      return { code: 130, output };
    },
  });
  const initRun = await sample('init-plain', node1, ['init', ...init]);
  await sample('join-plain', node2, [...joinCommandOf(initRun.output), ...TEST_FLANNEL_FLAGS, ...TEST_CNI_PLUGIN_FLAGS]);
  await sample('status-init-host', node1, ['status'], { allowed: [0, 10] });
  await sample('status-joined-host', node2, ['status'], { allowed: [0, 10] });
  await sample('status-terminal', node2, ['status'], { run: () => inTerminal(node2, ['status'], 80) });
  await sample('doctor-joined-host', node2, ['doctor'], { stdoutOnly: true, allowed: [0, 3] });
  const created = await sample('token-create', node1, ['token', 'create', '--ttl', '2h']);
  await sample('token-list', node1, ['token', 'list']);
  await sample('hosts-list', node1, ['hosts', 'list']);
  await sample('logs-json', node1, ['logs', 'flannel', '--tail', '1', '--json']);
  await sample('logs-tail', node1, ['logs', '--tail', '4']);
  // ipam gc on the init host: host-local's allocation for a container that is gone, older than the grace period.
  const vm = 'ignite-fedcba9876543210';
  const add = await node1.exec('/usr/lib/cni/host-local', [], { env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: vm, CNI_NETNS: '/proc/self/ns/net', CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' }, input: JSON.stringify({ cniVersion: '0.4.0', name: 'cbr0', ipam: { type: 'host-local', subnet: '10.50.200.0/24' } }) });
  if (add.code !== 0) throw new Error(`host-local ADD: ${add.stdout}${add.stderr}`);
  const address = ((JSON.parse(add.stdout) as { ips: { address: string }[] }).ips[0]?.address ?? '').replace(/\/\d+$/, '');
  const old = new Date(Date.now() - 10 * 60_000);
  await utimes(join(node1.dirs.cniStateDir, 'networks', 'cbr0', address), old, old);
  await samples('ipam-gc-stale', [
    () => sample('ipam-gc-stale#0', node1, ['ipam', 'gc']),
    () => sample('ipam-gc-stale#1', node1, ['ipam', 'gc', '--yes']),
  ]);
  // status on the init host with flannel stopped on the joined one; flannel started again after.
  const flannel2 = node2.docker.getContainer('ignite-flannel');
  await flannel2.stop();
  await sample('status-unhealthy', node1, ['status'], { allowed: [10] });
  await flannel2.start();
  for (const host of [node1, node2]) for (const secret of await secretsOf(host)) secrets.add(secret);
  await sample('cleanup-joined-host', node2, ['cleanup', '--yes']);
  // cleanup with the init host's etcd unreachable: node2 joins again (token create's token), then
  // node1's etcd is stopped (refused at once, no timeout to wait for).
  await cli(node2, [...joinCommandOf(created.output), ...TEST_FLANNEL_FLAGS, ...TEST_CNI_PLUGIN_FLAGS]);
  for (const secret of await secretsOf(node2)) secrets.add(secret);
  const etcd1 = node1.docker.getContainer('ignite-etcd');
  await etcd1.stop();
  // Only what differs from the cleanup above: the lease step, the end, what is left (the rest is `…`).
  await sample('cleanup-etcd-unreachable', node2, ['cleanup', '--yes'], { keep: /\blease\b|asking etcd|cleanup done|cleaned up|^  left / });
  // node1 cleaned up with its etcd still stopped: its member check and lease release only warn.
  await cli(node1, ['cleanup', '--yes', '--purge']);
  // init in a terminal (100 columns) on node1, clean again: a fresh overlay, which nothing joins.
  await sample('init-terminal', node1, ['init', ...init], { run: () => inTerminal(node1, ['init', ...init], 100) });
  for (const host of [node1, node2]) for (const secret of await secretsOf(host)) secrets.add(secret);

  const missing = HOST_SAMPLES.filter((s) => !bodies.has(s.name)).map((s) => s.name);
  if (missing.length > 0) throw new Error(`no run for ${missing.join(', ')}`);
  for (const [name, body] of bodies) {
    for (const secret of secrets) if (secret !== '' && body.includes(secret)) throw new Error(`sample ${name} still shows a secret: nothing written`);
  }
  for (const file of await docFiles(root)) {
    const text = await readFile(file, 'utf8');
    const next = replaceBlocks(text, bodies);
    if (next === text) continue;
    await writeFile(file, next);
    process.stdout.write(`${relative(root, file)}: rewrote ${[...bodies.keys()].filter((name) => text.includes(`<!-- sample: ${name} -->`)).join(', ')}\n`);
  }
} catch (error) {
  failed = true;
  process.stderr.write(`${(error as Error).message}\n`);
} finally {
  await sim.destroy();
}
process.exit(failed ? 1 : 0);
