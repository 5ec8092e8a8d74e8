import {
  confirmStep,
  releaseLeaseStep,
  removeCniStateStep,
  removeCniStep,
  removeDevicesStep,
  removeEtcdStep,
  removeIptablesStep,
  removeRunStateStep,
  stopFlannelStep,
  volumeStep,
} from '../steps/cleanup.js';
import { removeKeysStep } from '../steps/cleanup-keys.js';
import { leaveClusterStep, memberCheckStep } from '../steps/cleanup-member.js';
import { removeCniPluginsStep } from '../steps/cleanup-plugins.js';
import { loadStateStep, removeStateStep } from '../steps/state.js';
import type { CommandSpec } from './command.js';

export const cleanupCommand: CommandSpec = {
  name: 'cleanup',
  changesHost: true,
  interruptHint: 'Run `sudo ignite-net cleanup` again to finish: what this run removed stays removed, the rest goes then.',
  // Order matters; see src/steps/cleanup.ts: flannel, then the lease (etcd still up), then the member, then etcd.
  steps: () => [
    loadStateStep('lenient'),
    // A control-plane host's member may not go (quorum, other hosts' leases): refused before anything changes.
    memberCheckStep,
    confirmStep,
    stopFlannelStep,
    releaseLeaseStep,
    leaveClusterStep,
    removeEtcdStep,
    removeDevicesStep,
    removeIptablesStep,
    removeCniStep,
    removeCniPluginsStep,
    removeRunStateStep,
    removeCniStateStep,
    volumeStep,
    removeKeysStep,
    removeStateStep,
  ],
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
