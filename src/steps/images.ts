import type { Step } from '../core/step.js';
import type { ContainerRole } from '../defaults.js';
import { required, type CommandContext } from './context.js';

export function imageFor(ctx: CommandContext, role: ContainerRole): string {
  return role === 'etcd' ? ctx.options.etcdImage : ctx.options.flannelImage;
}

/** Uses local images when present, pulls per --pull, with live per-layer progress. */
export function imagesStep(roles: ContainerRole[]): Step<CommandContext> {
  return {
    id: 'images',
    title: 'Container images',
    async run(ctx, io) {
      const docker = required(ctx.docker, 'docker');
      const outcomes: string[] = [];
      for (const role of roles) {
        const image = imageFor(ctx, role);
        io.progress(`checking ${image}`);
        const outcome = await docker.ensureImage(image, ctx.options.pull, (pull) => io.progress(`pulling ${image}`, pull));
        outcomes.push(`${role} ${outcome}`);
      }
      return { detail: outcomes.join(', ') };
    },
  };
}
