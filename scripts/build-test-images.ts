/**
 * Builds the local test images (etcd from Debian's binaries; the flannel STAND-IN and the flannel CNI
 * plugin image's layout, both test fixtures) when they are missing or out of date. CI runs it before
 * `npm test`: `npx tsx scripts/build-test-images.ts`.
 */
import Dockerode from 'dockerode';
import { ensureTestImages } from '../test/_helpers/images.js';

const started = Date.now();
try {
  const names = await ensureTestImages(new Dockerode(), (msg) => console.log(msg));
  console.log(`test images ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${names.etcd}, ${names.flannel}, ${names.cniPlugin}`);
} catch (err) {
  console.error(`building test images failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
