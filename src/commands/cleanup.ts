import { confirmStep, removeCniStep, removeContainersStep, removeRunStateStep, volumeStep } from '../steps/cleanup.js';
import type { CommandSpec } from './command.js';

export const cleanupCommand: CommandSpec = {
  name: 'cleanup',
  steps: () => [confirmStep, removeContainersStep, removeCniStep, removeRunStateStep, volumeStep],
  summary(ctx) {
    return {
      title: ctx.removed.length === 0 ? 'ignite-net: nothing to clean up' : 'ignite-net: cleaned up',
      lines: [
        ...ctx.removed.map((value) => ({ label: 'removed', value })),
        ...ctx.left.map((value) => ({ label: 'left', value })),
      ],
      next: ctx.removed.length > 0 ? ['Restart ignited (if it runs) so it stops using the flannel CNI config.'] : [],
    };
  },
};
