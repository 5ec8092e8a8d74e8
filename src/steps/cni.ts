import { join } from 'node:path';
import { isOurConflist, renderConflist } from '../cni/conflist.js';
import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { CNI_FILES } from '../defaults.js';
import type { CommandContext } from './context.js';

export const cniPaths = (confDir: string) => ({
  ours: join(confDir, CNI_FILES.ours),
  ignite: join(confDir, CNI_FILES.ignite),
  movedAside: join(confDir, CNI_FILES.igniteMovedAside),
  /** Kept when --force replaces a 10-flannel.conflist that ignite-net did not write. */
  foreignBackup: join(confDir, `.${CNI_FILES.ours}.ignite-net-backup`),
});

/** Writes our conflist atomically, moving Ignite's own aside so cleanup can restore it byte for byte. */
export const cniStep: Step<CommandContext> = {
  id: 'cni',
  title: 'Write the CNI config',
  async run(ctx, io) {
    const { cniConfDir, force } = ctx.options;
    const paths = cniPaths(cniConfDir);
    const rendered = renderConflist(await ctx.services.files.conflistTemplate(), {});
    const { ensureDir, exists, moveFile, readIfExists, removeFile, writeFileAtomic } = ctx.services.files;

    if ((await ensureDir(cniConfDir)) === 'created') io.progress(`created ${cniConfDir}`);
    const current = await readIfExists(paths.ours);
    let unchanged = current === rendered;
    if (current !== undefined && !unchanged) {
      if (!isOurConflist(current, rendered)) {
        if (!force) {
          throw new IgniteError('conflict', `${paths.ours} exists and was not written by ignite-net`, {
            hint: `Move it away, or pass --force to replace it (a copy is kept at ${paths.foreignBackup}).`,
          });
        }
        await writeFileAtomic(paths.foreignBackup, current);
      }
      await io.changed({ title: `restore previous ${paths.ours}`, run: () => writeFileAtomic(paths.ours, current) });
    }
    if (await exists(paths.ignite)) {
      if (await exists(paths.movedAside)) {
        io.warn(`${paths.ignite} reappeared; left in place (${CNI_FILES.ours} sorts first, so CNI uses ours)`);
      } else {
        await moveFile(paths.ignite, paths.movedAside);
        ctx.movedAside[paths.ignite] = paths.movedAside;
        await io.changed({
          title: `move ${CNI_FILES.ignite} back`,
          run: async () => {
            await moveFile(paths.movedAside, paths.ignite);
            delete ctx.movedAside[paths.ignite];
          },
        });
        unchanged = false;
      }
    }
    if (!unchanged) {
      await writeFileAtomic(paths.ours, rendered);
      if (current === undefined) await io.changed({ title: `remove ${paths.ours}`, run: async () => void (await removeFile(paths.ours)) });
    } else {
      ctx.unchanged.add('cni');
    }

    return { detail: unchanged ? `${paths.ours} unchanged` : paths.ours };
  },
};
