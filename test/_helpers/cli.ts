import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import type { TestFn } from 'ava';
import { createHosts, type CreateHostsOptions, type ExecResult, type SimHost, type SimHosts } from './hosts.js';
import { ensureTestImages, REPO_ROOT, TEST_CNI_PLUGIN_IMAGE, TEST_ETCD_IMAGE, TEST_FLANNEL_IMAGE } from './images.js';

/** The built CLI, run as a user runs it: `node dist/cli.js`, a subprocess inside the simulated host. */
export const CLI = join(REPO_ROOT, 'dist/cli.js');

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
}

/** Flags that point the CLI at the locally built test images (no registry here). */
export const TEST_IMAGE_FLAGS = ['--pull', 'never', '--etcd-image', TEST_ETCD_IMAGE, '--flannel-image', TEST_FLANNEL_IMAGE];
export const TEST_FLANNEL_FLAGS = ['--pull', 'never', '--flannel-image', TEST_FLANNEL_IMAGE];
/** init/join installing the CNI plugins: flannel's out of the test image, the others from Debian's /usr/lib/cni. */
export const TEST_CNI_PLUGIN_FLAGS = ['--install-cni-plugins', '--cni-plugin-image', TEST_CNI_PLUGIN_IMAGE];
/**
 * init with the test images and plain HTTP (`--insecure`), a supported mode for a throwaway lab whose
 * joins need no token. The e2e suites run the secure default (TEST_IMAGE_FLAGS and joinArgsFrom);
 * cli-two-hosts keeps one --insecure overlay.
 */
export const TEST_INSECURE_INIT_FLAGS = [...TEST_IMAGE_FLAGS, '--insecure'];

/** The join command that init (or `token create`) printed alone on its line, as argv after `sudo ignite-net`. */
export function joinCommandOf(output: string): string[] {
  const line = output.split('\n').map((l) => l.trim()).find((l) => l.startsWith('sudo ignite-net join '));
  if (!line) throw new Error(`no join command in:\n${output}`);
  return line.split(/\s+/).slice(2);
}

/**
 * `count` simulated hosts with the test etcd, flannel and CNI plugin images loaded and the default paths bound
 * (as on a real host), destroyed when the test ends; `igniteDirs` as createHosts takes it.
 */
export async function hostsWithTestImages(t: { teardown(fn: () => Promise<void>): void }, count: number, opts: Pick<CreateHostsOptions, 'igniteDirs'> = {}): Promise<SimHost[]> {
  const images = await ensureTestImages();
  const sim = await createHosts(count, { images: [images.etcd, images.flannel, images.cniPlugin], imagesFrom: new Dockerode(), bindDefaultPaths: true, ...opts });
  t.teardown(() => sim.destroy());
  return sim.hosts;
}

/**
 * One set of `count` simulated hosts (as hostsWithTestImages makes) for a file's serial tests (only
 * serial: the set is one test's at a time), since
 * making a set costs seconds: made on first use, destroyed when the file ends. After each test that
 * used it, `reset` puts the hosts back to where a test starts (e.g. `cleanup --purge`); a test that
 * failed, or a reset that answers false or throws, has the next test make a new set, so one broken
 * test does not fail the ones after it. Tests check their own starting state as before.
 */
export function sharedHostsWithTestImages(
  test: Pick<TestFn, 'afterEach' | 'after'>,
  count: number,
  reset: (hosts: SimHost[]) => Promise<boolean>,
): () => Promise<SimHost[]> {
  let set: { sim: SimHosts; dirty: boolean } | undefined;
  let used = false;
  test.afterEach.always(async (t) => {
    if (set === undefined || !used) return;
    used = false;
    set.dirty = !t.passed || !(await reset(set.sim.hosts).catch(() => false));
  });
  test.after.always(async () => {
    await set?.sim.destroy();
  });
  return async () => {
    if (set?.dirty === true) {
      await set.sim.destroy();
      set = undefined;
    }
    if (set === undefined) {
      const images = await ensureTestImages();
      set = { sim: await createHosts(count, { images: [images.etcd, images.flannel, images.cniPlugin], imagesFrom: new Dockerode(), bindDefaultPaths: true }), dirty: false };
    }
    used = true;
    return set.sim.hosts;
  };
}

export async function runCli(host: SimHost, args: string[], timeoutMs = 120_000): Promise<ExecResult> {
  assertBuilt();
  return host.exec(process.execPath, [CLI, ...args, '--timeout', '40s'], { timeoutMs, env: { CI: 'true', NO_COLOR: '1' } });
}

/** The default state dir inside a simulated host (bindDefaultPaths). */
export const HOST_STATE_DIR = '/var/lib/ignite-net';

/**
 * etcdctl's environment (v3 API) to reach `endpointHost`'s etcd from `via`. On the init host of a
 * secure overlay (its state dir holds the CA and etcd's root credential): TLS pinned to that CA, as
 * root. Elsewhere (an --insecure overlay, or no state yet): plain HTTP. The credential goes in the
 * environment, not on etcdctl's command line.
 */
export async function etcdctlEnv(via: SimHost, endpointHost: string): Promise<Record<string, string>> {
  const root = await via.exec('cat', [`${HOST_STATE_DIR}/etcd-root.json`]);
  if (root.code !== 0) return { ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: `http://${endpointHost}:2379` };
  const { username, password } = JSON.parse(root.stdout) as { username: string; password: string };
  return { ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: `https://${endpointHost}:2379`, ETCDCTL_CACERT: `${HOST_STATE_DIR}/pki/ca.pem`, ETCDCTL_USER: `${username}:${password}` };
}

/** etcdctl run inside `via` against `endpointHost`'s etcd (see etcdctlEnv); never rejects on exit code. */
export async function etcdctl(via: SimHost, endpointHost: string, args: string[], timeoutMs = 10_000): Promise<ExecResult> {
  return via.exec('etcdctl', args, { env: await etcdctlEnv(via, endpointHost), timeoutMs });
}

/** What etcdctl reads under a prefix on a host's etcd, as key → value. */
export async function etcdGetPrefix(host: SimHost, endpointHost: string, prefix: string): Promise<Map<string, string>> {
  const result = await etcdctl(host, endpointHost, ['get', '--prefix', prefix, '-w', 'json']);
  if (result.code !== 0) throw new Error(`etcdctl failed: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { kvs?: { key: string; value: string }[] };
  const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
  return new Map((parsed.kvs ?? []).map((kv) => [decode(kv.key), decode(kv.value)]));
}

/**
 * The argv (after `sudo ignite-net`) of a join with a fresh token from `token create` on the init
 * host: tokens are single-use, so every join but the first (init's printed command) needs its own.
 */
export async function joinArgsFrom(initHost: SimHost): Promise<string[]> {
  const created = await runCli(initHost, ['token', 'create']);
  if (created.code !== 0) throw new Error(`token create on ${initHost.name} failed:\n${describe(created)}`);
  return joinCommandOf(created.stdout);
}

export const describe = (r: ExecResult): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
