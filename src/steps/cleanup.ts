import { join } from 'node:path';
import { connectDocker } from '../adapters/docker.js';
import { exists, moveFile, readIfExists, removeFile } from '../adapters/host-files.js';
import { isOurConflist } from '../cni/conflist.js';
import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { CNI_FILES, ETCD_VOLUME } from '../defaults.js';
import { cniPaths } from './cni.js';
import { STOP_TIMEOUT_SEC } from './containers.js';
import type { CommandContext } from './context.js';

export const confirmStep: Step<CommandContext> = {
  id: 'confirm',
  title: 'Confirm',
  skip: (ctx) => (ctx.options.yes ? '--yes given' : undefined),
  async run(_ctx, io) {
    if (!io.prompter.interactive) {
      throw new IgniteError('usage', 'cleanup removes ignite-net from this host and needs confirmation, but there is no terminal to ask', {
        hint: 'Pass --yes to confirm.',
      });
    }
    const ok = await io.prompter.confirm('Remove ignite-net\'s containers, CNI config and flannel state from this host?', {
      flag: '--yes',
      initial: false,
    });
    if (!ok) throw new IgniteError('interrupted', 'cleanup cancelled; nothing was changed', { hint: 'Run it again and answer yes, or pass --yes.' });
  },
};

/** Containers are found by label, whatever their names, so only what ignite-net created goes. */
export const removeContainersStep: Step<CommandContext> = {
  id: 'containers',
  title: 'Remove containers',
  async run(ctx, io) {
    let docker = ctx.docker;
    if (!docker) {
      try {
        docker = await connectDocker(ctx.options.dockerHost);
        ctx.docker = docker;
      } catch (error) {
        const message = error instanceof IgniteError ? error.message : String(error);
        io.warn(`${message}: containers were not checked`, 'Start dockerd and run cleanup again to remove ignite-etcd / ignite-flannel.');
        ctx.left.push('containers (Docker Engine not reachable): run `ignite-net cleanup` again once dockerd runs');
        return { detail: 'Docker not reachable; skipped' };
      }
    }
    // flannel first: it depends on etcd, and stopping it first avoids it logging lost-etcd errors.
    const managed = (await docker.listManaged()).sort((a, b) => (a.role === 'flannel' ? -1 : b.role === 'flannel' ? 1 : 0));
    for (const container of managed) {
      io.progress(`removing ${container.name}`);
      await docker.stopAndRemove(container.id, STOP_TIMEOUT_SEC);
      ctx.removed.push(`container ${container.name}`);
    }
    return { detail: managed.length === 0 ? 'none found' : managed.map((c) => c.name).join(', ') };
  },
};

export const removeCniStep: Step<CommandContext> = {
  id: 'cni',
  title: 'Remove the CNI config',
  async run(ctx, io) {
    const paths = cniPaths(ctx.options.cniConfDir);
    const done: string[] = [];
    const ours = await readIfExists(paths.ours);
    if (ours !== undefined) {
      if (isOurConflist(ours)) {
        await removeFile(paths.ours);
        ctx.removed.push(paths.ours);
        done.push(`removed ${CNI_FILES.ours}`);
      } else {
        io.warn(`${paths.ours} was not written by ignite-net; left in place`);
        ctx.left.push(`${paths.ours} (not ours): remove it by hand if it is not wanted`);
      }
    }
    if (await exists(paths.foreignBackup)) {
      if (ours === undefined || isOurConflist(ours)) {
        await moveFile(paths.foreignBackup, paths.ours);
        done.push(`restored the ${CNI_FILES.ours} that --force replaced`);
      }
    }
    if (await exists(paths.movedAside)) {
      if (await exists(paths.ignite)) {
        io.warn(`both ${paths.ignite} and the copy ignite-net moved aside exist; kept both`);
        ctx.left.push(`${paths.movedAside}: the earlier ${CNI_FILES.ignite}; remove it if not needed`);
      } else {
        await moveFile(paths.movedAside, paths.ignite);
        done.push(`restored ${CNI_FILES.ignite}`);
      }
    }
    return { detail: done.length === 0 ? 'nothing to remove' : done.join(', ') };
  },
};

export const removeRunStateStep: Step<CommandContext> = {
  id: 'run-dir',
  title: 'Remove flannel state',
  async run(ctx) {
    const path = join(ctx.options.runDir, 'subnet.env');
    const had = await removeFile(path);
    if (had) ctx.removed.push(path);
    return { detail: had ? `removed ${path}` : 'nothing to remove' };
  },
};

export const volumeStep: Step<CommandContext> = {
  id: 'volume',
  title: 'etcd data volume',
  async run(ctx) {
    const docker = ctx.docker;
    if (!docker || !(await docker.volumeExists(ETCD_VOLUME))) return { detail: 'none' };
    if (ctx.options.purge) {
      await docker.removeVolume(ETCD_VOLUME);
      ctx.removed.push(`volume ${ETCD_VOLUME}`);
      return { detail: `removed ${ETCD_VOLUME}` };
    }
    ctx.left.push(`volume ${ETCD_VOLUME} (etcd data, kept for a later init): remove with \`ignite-net cleanup --purge\``);
    return { detail: `kept ${ETCD_VOLUME} (--purge removes it)` };
  },
};
