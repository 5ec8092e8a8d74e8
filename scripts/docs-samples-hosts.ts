/**
 * The doc samples that need hosts (scripts/docs-samples.ts has the cheap ones and the block format).
 * Usage: npm run build && sudo npx tsx scripts/docs-samples-hosts.ts   (root and a Docker Engine; on a
 * shared machine under the heavy-test lock). As examples/two-hosts.ts: two simulated hosts, init on
 * node1 and the join it printed on node2 (the test images, CNI plugins installed), then `status` on
 * each; rewrites the `status-init-host` and `status-joined-host` blocks, and removes the hosts.
 * Their output holds addresses, lease times and durations, so no test compares them with a fresh
 * run: run this again after changing what status prints.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Dockerode from 'dockerode';
import { joinCommandOf, runCli, TEST_CNI_PLUGIN_FLAGS, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../test/_helpers/cli.js';
import { createHosts, type SimHost } from '../test/_helpers/hosts.js';
import { ensureTestImages } from '../test/_helpers/images.js';
import { HOST_SAMPLES, docFiles, renderSample, replaceBlocks } from './docs-samples.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function cli(host: SimHost, args: string[], allowed: number[] = [0]): Promise<{ code: number; output: string }> {
  const result = await runCli(host, args);
  const code = result.code ?? -1;
  if (!allowed.includes(code)) throw new Error(`ignite-net ${args.join(' ')} on ${host.name} exited with ${code}:\n${result.stderr}${result.stdout}`);
  return { code, output: `${result.stderr}${result.stdout}` };
}

const images = await ensureTestImages(new Dockerode(), (line) => process.stdout.write(`${line}\n`));
const sim = await createHosts(2, { images: [images.etcd, images.flannel, images.cniPlugin], imagesFrom: new Dockerode(), bindDefaultPaths: true });
let failed = false;
try {
  const [node1, node2] = sim.hosts as [SimHost, SimHost];
  const init = await cli(node1, ['init', ...TEST_IMAGE_FLAGS, ...TEST_CNI_PLUGIN_FLAGS]);
  await cli(node2, [...joinCommandOf(init.output), ...TEST_FLANNEL_FLAGS, ...TEST_CNI_PLUGIN_FLAGS]);
  const bodies = new Map<string, string>();
  for (const sample of HOST_SAMPLES) {
    const host = sample.name === 'status-init-host' ? node1 : node2;
    bodies.set(sample.name, renderSample(sample, await cli(host, sample.args, [0, 10])));
  }
  for (const file of await docFiles(root)) {
    const text = await readFile(file, 'utf8');
    const next = replaceBlocks(text, bodies);
    if (next === text) continue;
    await writeFile(file, next);
    process.stdout.write(`${relative(root, file)}: rewrote ${[...bodies.keys()].filter((name) => text.includes(`<!-- sample: ${name} -->`)).join(', ')}\n`);
  }
  await cli(node2, ['cleanup', '--yes']);
  await cli(node1, ['cleanup', '--yes', '--purge']);
} catch (error) {
  failed = true;
  process.stderr.write(`${(error as Error).message}\n`);
} finally {
  await sim.destroy();
}
process.exit(failed ? 1 : 0);
