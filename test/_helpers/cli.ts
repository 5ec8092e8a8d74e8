import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { createHosts, type ExecResult, type SimHost } from './hosts.js';
import { ensureTestImages, REPO_ROOT, TEST_ETCD_IMAGE, TEST_FLANNEL_IMAGE } from './images.js';

/** The built CLI, run as a user runs it: `node dist/cli.js`, a subprocess inside the simulated host. */
export const CLI = join(REPO_ROOT, 'dist/cli.js');

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
}

/** Flags that point the CLI at the locally built test images (no registry here). */
export const TEST_IMAGE_FLAGS = ['--pull', 'never', '--etcd-image', TEST_ETCD_IMAGE, '--flannel-image', TEST_FLANNEL_IMAGE];
export const TEST_FLANNEL_FLAGS = ['--pull', 'never', '--flannel-image', TEST_FLANNEL_IMAGE];
/**
 * init with the test images and plain HTTP (`--insecure`), for the tests of everything but security,
 * whose joins then need no token. test/e2e/secure.test.ts runs the secure default.
 */
export const TEST_INSECURE_INIT_FLAGS = [...TEST_IMAGE_FLAGS, '--insecure'];

/** The join command that init (or `token create`) printed alone on its line, as argv after `sudo ignite-net`. */
export function joinCommandOf(output: string): string[] {
  const line = output.split('\n').map((l) => l.trim()).find((l) => l.startsWith('sudo ignite-net join '));
  if (!line) throw new Error(`no join command in:\n${output}`);
  return line.split(/\s+/).slice(2);
}

/**
 * `count` simulated hosts with the test etcd and flannel images loaded and the default paths bound
 * (as on a real host), destroyed when the test ends.
 */
export async function hostsWithTestImages(t: { teardown(fn: () => Promise<void>): void }, count: number): Promise<SimHost[]> {
  const images = await ensureTestImages();
  const sim = await createHosts(count, { images: [images.etcd, images.flannel], imagesFrom: new Dockerode(), bindDefaultPaths: true });
  t.teardown(() => sim.destroy());
  return sim.hosts;
}

export async function runCli(host: SimHost, args: string[], timeoutMs = 120_000): Promise<ExecResult> {
  assertBuilt();
  return host.exec(process.execPath, [CLI, ...args, '--timeout', '40s'], { timeoutMs, env: { CI: 'true', NO_COLOR: '1' } });
}

/** What etcdctl (v3 API) reads under a prefix on a host's etcd, as key → value. */
export async function etcdGetPrefix(host: SimHost, endpointHost: string, prefix: string): Promise<Map<string, string>> {
  const result = await host.exec('etcdctl', ['--endpoints', `http://${endpointHost}:2379`, 'get', '--prefix', prefix, '-w', 'json'], {
    env: { ETCDCTL_API: '3' },
    timeoutMs: 10_000,
  });
  if (result.code !== 0) throw new Error(`etcdctl failed: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { kvs?: { key: string; value: string }[] };
  const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
  return new Map((parsed.kvs ?? []).map((kv) => [decode(kv.key), decode(kv.value)]));
}

export const describe = (r: ExecResult): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
