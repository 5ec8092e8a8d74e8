/**
 * Try ignite-net without two machines: two simulated hosts on this one (network namespaces joined by
 * a veth switch, a dockerd in each, each with its own /etc/cni, /opt/cni/bin and /run/flannel), then
 * the real CLI runs `init` on node1 (secure by default: a CA, etcd over TLS with authentication), the
 * join command it printed on node2, `status` on both, and `cleanup` on both. init and join install the CNI
 * plugins (--install-cni-plugins): bridge, host-local, portmap and firewall copied from Debian's
 * containernetworking-plugins, flannel's out of a test image with the upstream image's layout whose /flannel
 * is a TEST FIXTURE that delegates to bridge + host-local as flannel's plugin does (no VM is started here).
 *
 * Run it through examples/two-hosts.sh, which installs and builds what it needs. No registry is
 * reached: etcd is Debian's, packed as an image, and flannel is the test-only stand-in described in
 * test/fixtures/flannel-standin/README.md (it behaves like flannel's host-gw backend, no encapsulation).
 * Every address used lives inside the namespaces this script creates; it removes them when done
 * (two-hosts.sh then removes the test images it built).
 */
import Dockerode from 'dockerode';
import { joinCommandOf, runCli, TEST_CNI_PLUGIN_FLAGS, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../test/_helpers/cli.js';
import { createHosts, type SimHost } from '../test/_helpers/hosts.js';
import { ensureTestImages } from '../test/_helpers/images.js';

async function step(host: SimHost, args: string[], allowed: number[] = [0]): Promise<string> {
  process.stdout.write(`\n[${host.name} ${host.address}]$ ignite-net ${args.join(' ')}\n`);
  const result = await runCli(host, args);
  process.stdout.write(result.stderr + result.stdout);
  if (!allowed.includes(result.code ?? -1)) throw new Error(`ignite-net ${args[0]} on ${host.name} exited with ${result.code}`);
  return result.stdout;
}

const images = await ensureTestImages(new Dockerode(), (line) => process.stdout.write(`${line}\n`));
process.stdout.write('creating two simulated hosts…\n');
const sim = await createHosts(2, { images: [images.etcd, images.flannel, images.cniPlugin], imagesFrom: new Dockerode(), bindDefaultPaths: true });
let failed = false;
const stop = (): void => void sim.destroy().finally(() => process.exit(130));
process.once('SIGINT', stop);
try {
  const [node1, node2] = sim.hosts as [SimHost, SimHost];
  const init = await step(node1, ['init', ...TEST_IMAGE_FLAGS, ...TEST_CNI_PLUGIN_FLAGS]);
  // The join command init printed (it carries a one-host token and the CA's pin), as an operator copies it.
  await step(node2, [...joinCommandOf(init), ...TEST_FLANNEL_FLAGS, ...TEST_CNI_PLUGIN_FLAGS]);
  // Anything status still finds wrong ends it with exit 10.
  await step(node1, ['status'], [0, 10]);
  await step(node2, ['status'], [0, 10]);
  await step(node2, ['cleanup', '--yes']);
  await step(node1, ['cleanup', '--yes', '--purge']);
} catch (error) {
  failed = true;
  process.stderr.write(`\n${(error as Error).message}\n`);
} finally {
  process.stdout.write('\nremoving the simulated hosts…\n');
  await sim.destroy();
}
process.exit(failed ? 1 : 0);
