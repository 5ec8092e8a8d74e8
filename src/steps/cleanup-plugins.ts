import type { Step } from '../core/step.js';
import type { CommandContext } from './context.js';

/**
 * The CNI plugin files init/join installed, as the state file records them, and only while each
 * still has the content ignite-net wrote (its sha256): a plugin updated or replaced since is someone
 * else's now and stays. A plugin --force replaced is put back. Without a state file nothing goes.
 */
export const removeCniPluginsStep: Step<CommandContext> = {
  id: 'cni-plugins',
  title: 'Remove the CNI plugins ignite-net installed',
  async run(ctx, io) {
    const bins = ctx.services.cniBinaries;
    const removed: string[] = [];
    const restored: string[] = [];
    for (const record of ctx.state?.cniPlugins ?? []) {
      const now = await bins.hashFile(record.path);
      if (now === undefined) continue;
      if (now !== record.sha256) {
        io.warn(`${record.path} changed since ignite-net installed it; left in place`);
        ctx.left.push(`${record.path} (changed since ignite-net installed it): remove it by hand if it is not wanted`);
        continue;
      }
      if (record.backup !== undefined && (await bins.hashFile(record.backup)) !== undefined) {
        await bins.moveFile(record.backup, record.path);
        restored.push(record.path);
      } else {
        await bins.removeFile(record.path);
        removed.push(record.path);
      }
      ctx.removed.push(record.path);
    }
    const done = [...(removed.length > 0 ? [`removed ${removed.join(', ')}`] : []), ...(restored.length > 0 ? [`put back the plugin --force replaced at ${restored.join(', ')}`] : [])];
    return { detail: done.length === 0 ? 'none installed by ignite-net' : done.join('; ') };
  },
};
