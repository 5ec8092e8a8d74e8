/** doctor's IgniteConfig check; the rules are cni/ignite-config.ts's. */
import { IGNITE_CONFIG_PATH, evaluateIgnite, type IgniteFacts } from '../cni/ignite-config.js';
import { CNI_FILES } from '../defaults.js';
import type { Services } from '../adapters/services.js';
import type { Check } from '../steps/preflight.js';

/** Ignite's config file, the running ignited's start and our conflist's mtime. */
export async function gatherIgniteFacts(services: Pick<Services, 'files' | 'kernel'>, confDir: string): Promise<IgniteFacts> {
  const conflistPath = `${confDir}/${CNI_FILES.ours}`;
  const [configText, ignitedStartedAt, written] = await Promise.all([
    services.files.readIfExists(IGNITE_CONFIG_PATH).catch(() => undefined),
    services.kernel.processStartedAt('ignited'),
    services.files.modifiedAt(conflistPath).catch(() => undefined),
  ]);
  return {
    conflistPath,
    ...(configText === undefined ? {} : { configText }),
    ...(ignitedStartedAt === undefined ? {} : { ignitedStartedAt }),
    ...(written === undefined ? {} : { conflistWrittenAt: written.getTime() }),
  };
}

export const igniteConfigCheck: Check = {
  name: 'IgniteConfig',
  async run(ctx) {
    return evaluateIgnite(await gatherIgniteFacts(ctx.services, ctx.options.cniConfDir));
  },
};
