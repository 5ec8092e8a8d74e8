import type { Step } from '../core/step.js';
import { pkiLayout } from '../pki/layout.js';
import type { CommandContext } from './context.js';

/**
 * The TLS files the containers mounted, always; the CA and etcd's root credential too, unless the
 * etcd data volume stays (no --purge): they are what opens that data to a later init.
 */
export const removeKeysStep: Step<CommandContext> = {
  id: 'keys',
  title: 'Remove the keys and credentials',
  async run(ctx) {
    const { files } = ctx.services;
    const layout = pkiLayout(ctx.options.stateDir);
    const gone: string[] = [];
    for (const dir of [layout.etcdTls.dir, layout.flannelTls.dir]) if (await files.removeTree(dir)) gone.push(dir);
    const keepCa = ctx.cleanup.volumeKept === true && (await files.exists(layout.rootCredential));
    if (keepCa) {
      ctx.left.push(`the overlay CA and etcd's root credential in ${layout.dir} and ${layout.rootCredential} (they open the kept etcd data): removed with \`ignite-net cleanup --purge\``);
    } else {
      if (await files.removeTree(layout.dir)) gone.push(layout.dir);
      if (await files.removeFile(layout.rootCredential)) gone.push(layout.rootCredential);
    }
    ctx.removed.push(...gone);
    return { detail: gone.length === 0 ? 'none' : `removed ${gone.join(', ')}${keepCa ? '; kept the CA' : ''}` };
  },
};
