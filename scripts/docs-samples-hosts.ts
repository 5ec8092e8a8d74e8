/**
 * The doc samples that need hosts (scripts/docs-samples.ts has the cheap ones and the block format).
 * Usage: npm run build && sudo npx tsx scripts/docs-samples-hosts.ts   (root and a Docker Engine; on a
 * shared machine under the heavy-test lock). One pair of simulated hosts, as examples/two-hosts.ts
 * (the test images, CNI plugins installed), and the commands in the order that gives each state:
 * node1 `init --dry-run`, `init`; node2 the join init printed; `status` on each; node2 `doctor`;
 * node1 `token create`, `token list`, `hosts list`, `logs`; node2 `cleanup`. It rewrites every HOST_SAMPLES block and removes
 * the hosts. Secrets are masked before anything is written: a token's secret half becomes
 * `<secret>`, and the run fails if any secret the hosts hold (token secrets, etcd passwords) is left.
 * Their output holds addresses, lease times and durations, so no test compares them with a fresh
 * run: run this again after changing what these commands print.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Dockerode from 'dockerode';
import { joinCommandOf, runCli, TEST_CNI_PLUGIN_FLAGS, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../test/_helpers/cli.js';
import { createHosts, type SimHost } from '../test/_helpers/hosts.js';
import { ensureTestImages } from '../test/_helpers/images.js';
import { HOST_SAMPLES, docFiles, renderSample, replaceBlocks, type Sample } from './docs-samples.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** A join token as printed: `<6-char id>.<16-char secret>`. */
const TOKEN = /\b([a-z0-9]{6})\.([a-z0-9]{16})\b/g;

async function cli(host: SimHost, args: string[], allowed: number[] = [0]): Promise<{ code: number; output: string; stdout: string }> {
  const result = await runCli(host, args);
  const code = result.code ?? -1;
  if (!allowed.includes(code)) throw new Error(`ignite-net ${args.join(' ')} on ${host.name} exited with ${code}:\n${result.stderr}${result.stdout}`);
  return { code, output: `${result.stderr}${result.stdout}`, stdout: result.stdout };
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
  const sample = async (name: string, host: SimHost, args: string[], options: Pick<Sample, 'stdoutOnly'> & { allowed?: number[] } = {}) => {
    const run = await cli(host, args, options.allowed);
    for (const m of run.output.matchAll(TOKEN)) secrets.add(m[2] ?? '');
    const body = renderSample({ name, args, on: host.name, stdoutOnly: options.stdoutOnly }, { code: run.code, output: options.stdoutOnly ? run.stdout : run.output });
    bodies.set(name, body.replace(TOKEN, '$1.<secret>'));
    return run;
  };
  const init = [...TEST_IMAGE_FLAGS, ...TEST_CNI_PLUGIN_FLAGS];
  await sample('init-dry-run', node1, ['init', '--dry-run', ...init]);
  const initRun = await sample('init-plain', node1, ['init', ...init]);
  await sample('join-plain', node2, [...joinCommandOf(initRun.output), ...TEST_FLANNEL_FLAGS, ...TEST_CNI_PLUGIN_FLAGS]);
  await sample('status-init-host', node1, ['status'], { allowed: [0, 10] });
  await sample('status-joined-host', node2, ['status'], { allowed: [0, 10] });
  await sample('doctor-joined-host', node2, ['doctor'], { stdoutOnly: true, allowed: [0, 3] });
  await sample('token-create', node1, ['token', 'create', '--ttl', '2h']);
  await sample('token-list', node1, ['token', 'list']);
  await sample('hosts-list', node1, ['hosts', 'list']);
  await sample('logs-json', node1, ['logs', 'flannel', '--tail', '1', '--json']);
  await sample('logs-tail', node1, ['logs', '--tail', '4']);
  for (const host of [node1, node2]) for (const secret of await secretsOf(host)) secrets.add(secret);
  await sample('cleanup-joined-host', node2, ['cleanup', '--yes']);
  await cli(node1, ['cleanup', '--yes', '--purge']);

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
