/** join's peer checks as doctor runs them, one by one (the logic is join's own, in steps/peer.ts). */
import { pass, warn } from '../core/check.js';
import { formatDuration } from '../core/duration.js';
import type { Step, StepIO } from '../core/step.js';
import { CONTAINER_NAMES, PORTS } from '../defaults.js';
import { INSECURE_OVERLAY } from '../pki/facts.js';
import { required, type CommandContext } from '../steps/context.js';
import { probePeerBackendPort, readPeerNetworkConfig, reachPeerEtcd, refuseInitHost, resolvePeer } from '../steps/peer.js';
import type { Check } from '../steps/preflight.js';
import { countDetail, runDependent, type DependentCheck } from './report.js';
import { evaluateUnauthenticated } from './security.js';
import { describeBackend } from '../net/backend.js';

const asCheck = (name: string, run: (ctx: CommandContext, io: StepIO) => Promise<string>): Check => ({
  name,
  async run(ctx, io) {
    return pass(await run(ctx, io));
  },
});

/** How this host gets into the peer's etcd: a warning for an insecure overlay; without a credential, that one is needed. */
const peerAuthCheck: Check = {
  name: 'PeerAuth',
  async run(ctx) {
    const { host } = required(ctx.peer, 'peer');
    switch (ctx.peerAccess) {
      case undefined:
      case 'plain':
        return warn(INSECURE_OVERLAY.message, INSECURE_OVERLAY.hint);
      case 'identity':
        return pass(`this host's own identity ${ctx.joining?.identity.username ?? '?'} is let in`);
      case 'token':
        return pass(`the token opens the identity ${ctx.joining?.identity.username ?? '?'} (doctor does not use it up)`);
      case 'anonymous': {
        const store = required(ctx.store, 'peer etcd');
        const answer = await store.getConfig().then(
          () => 'answered' as const,
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        );
        const found = evaluateUnauthenticated(`${host}:${PORTS.etcdClient}`, answer);
        return found.status === 'pass' ? pass(`authentication is on (etcd refuses a call without credentials): joining needs a token; \`sudo ignite-net token create\` on ${host} prints the join command`) : found;
      }
    }
  },
};

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
      if (ctx.state?.controlPlane) return `this host's ${CONTAINER_NAMES.etcd} is a member of the overlay it joined (--control-plane)`;
      return `this host runs no ${CONTAINER_NAMES.etcd}, so it can join`;
    }),
    needs: [],
  },
  {
    check: asCheck('PeerEtcd', async (ctx, io) => {
      const { endpoint, rttMs } = await reachPeerEtcd(ctx, io);
      return `etcd v3 answers at ${endpoint} (${formatDuration(rttMs)})${ctx.security ? `, TLS with the CA ${ctx.security.pin}${pinSource(ctx)}` : ''}`;
    }),
    needs: ['PeerAddress'],
  },
  {
    check: peerAuthCheck,
    needs: ['PeerEtcd'],
    // A set-up insecure host: the security step says it (EtcdTls), once.
    notNow: (ctx) => (ctx.peerAccess === 'plain' && ctx.state !== undefined ? 'an insecure overlay: see EtcdTls' : undefined),
  },
  {
    check: asCheck('PeerNetworkConfig', async (ctx, io) => {
      const network = await readPeerNetworkConfig(ctx, io);
      return `${network.Network}, /${network.SubnetLen} per host, ${describeBackend(network.Backend)}`;
    }),
    needs: ['PeerEtcd'],
    notNow: (ctx) => (ctx.peerAccess === 'anonymous' ? 'readable with a token only: authentication is on' : undefined),
  },
  {
    check: asCheck('PeerBackendPort', async (ctx) => `${await probePeerBackendPort(ctx)}${ctx.peerAccess === 'anonymous' ? " (the overlay's port is known with a token only: this is --backend-port or its default)" : ''}`),
    // Without a credential the config cannot be read: the port probed is the flag's (or the default).
    needs: (ctx) => (ctx.peerAccess === 'anonymous' ? ['PeerAddress'] : ['PeerNetworkConfig']),
  },
];

/** Whose pin the presented CA was compared with. */
function pinSource(ctx: CommandContext): string {
  if (ctx.options.join) return ', the one in the token';
  if (ctx.options.caPin) return ', the one given with --ca-cert-hash';
  if (ctx.state?.security) return ', the one this host recorded';
  return ': compare it with the --ca-cert-hash of the join command';
}

/** The peer checks, each run only when the ones it needs passed (an ignored failure did not pass). */
export const peerCheckStep: Step<CommandContext> = {
  id: 'peer',
  title: 'Check the peer',
  skip: (ctx) => (ctx.options.peer === undefined ? 'no --peer given and this host has not joined one' : undefined),
  async run(ctx, io) {
    return { detail: countDetail(await runDependent(peerChecks, ctx, io)) };
  },
};
