/** join's peer checks as doctor runs them, one by one (the logic is join's own, in steps/peer.ts). */
import { pass } from '../core/check.js';
import { formatDuration } from '../core/duration.js';
import type { Step, StepIO } from '../core/step.js';
import { CONTAINER_NAMES } from '../defaults.js';
import type { CommandContext } from '../steps/context.js';
import { probePeerBackendPort, readPeerNetworkConfig, reachPeerEtcd, refuseInitHost, resolvePeer } from '../steps/peer.js';
import type { Check } from '../steps/preflight.js';
import { countDetail, runDependent, type DependentCheck } from './report.js';

const asCheck = (name: string, run: (ctx: CommandContext, io: StepIO) => Promise<string>): Check => ({
  name,
  async run(ctx, io) {
    return pass(await run(ctx, io));
  },
});

export const peerChecks: DependentCheck[] = [
  {
    check: asCheck('PeerAddress', async (ctx) => {
      const peer = await resolvePeer(ctx, ctx.options.peer ?? '');
      return peer.address === peer.host ? `${peer.host} is another host` : `${peer.host} resolves to ${peer.address}`;
    }),
    needs: [],
  },
  {
    check: asCheck('HostRole', async (ctx) => {
      await refuseInitHost(ctx);
      return `this host runs no ${CONTAINER_NAMES.etcd}, so it can join`;
    }),
    needs: [],
  },
  {
    check: asCheck('PeerEtcd', async (ctx, io) => {
      const { endpoint, rttMs } = await reachPeerEtcd(ctx, io);
      return `etcd v3 answers at ${endpoint} (${formatDuration(rttMs)})`;
    }),
    needs: ['PeerAddress'],
  },
  {
    check: asCheck('PeerNetworkConfig', async (ctx, io) => {
      const network = await readPeerNetworkConfig(ctx, io);
      return `${network.Network}, /${network.SubnetLen} per host, ${network.Backend.Type} on ${network.Backend.Port}/udp`;
    }),
    needs: ['PeerEtcd'],
  },
  { check: asCheck('PeerBackendPort', probePeerBackendPort), needs: ['PeerNetworkConfig'] },
];

/** The peer checks, each run only when the ones it needs passed (an ignored failure did not pass). */
export const peerCheckStep: Step<CommandContext> = {
  id: 'peer',
  title: 'Check the peer',
  skip: (ctx) => (ctx.options.peer === undefined ? 'no --peer given and this host has not joined one' : undefined),
  async run(ctx, io) {
    return { detail: countDetail(await runDependent(peerChecks, ctx, io)) };
  },
};
