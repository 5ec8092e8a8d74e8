import { etcdSpec, managedLabels, specMatches } from '../adapters/container-specs.js';
import type { DockerClient } from '../adapters/docker/client.js';
import { formatDuration } from '../core/duration.js';
import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { CONTAINER_NAMES, ETCD_VOLUME, PORTS } from '../defaults.js';
import { FIRST_MEMBER_NAME } from '../ha/members.js';
import { etcdEndpoint } from '../net/host-arg.js';
import { ETCD_SERVER_NAME, pkiLayout } from '../pki/layout.js';
import { required, type CommandContext } from './context.js';
import { listMembers, useMembers } from './control-plane.js';
import { inspectManaged, removeForeignNamed, STOP_TIMEOUT_SEC } from './containers.js';
import { imageFor } from './images.js';


/**
 * A member whose data is gone must not start empty (docs/ha.md): the init host's would start a
 * single-member cluster of its own beside the others, a joined member's could not take its place
 * again. Known from the state file (init: it recorded several members) or the member list (a member
 * that was there before this run).
 */
async function refuseLostData(ctx: CommandContext, docker: DockerClient): Promise<void> {
  const member = ctx.controlPlane?.member;
  const wasOneOfSeveral = member ? !member.added && !(ctx.members?.find((m) => m.id === member.id)?.isLearner ?? false) : (ctx.state?.flannelEndpoints?.length ?? 0) > 1;
  if (!wasOneOfSeveral || (await docker.volumeExists(ETCD_VOLUME))) return;
  const name = member?.name ?? ctx.state?.controlPlane?.memberName ?? FIRST_MEMBER_NAME;
  throw new IgniteError('conflict', `etcd's data volume ${ETCD_VOLUME} is gone, and this host's member (${name}) is one of several: started empty it would ${member ? 'not be the member it was' : 'begin a cluster of its own, apart from the others'}`, {
    hint: `On another control-plane host remove it (\`etcdctl member list\`, \`etcdctl member remove <id>\`), then here \`sudo ignite-net cleanup\` and join again with a \`token create --control-plane\` command.`,
  });
}

/**
 * Starts etcd (or keeps the healthy one that is already there) and waits until it answers over the
 * v3 API. The data volume outlives the container, so a recreated etcd keeps its data.
 */
export const etcdStep: Step<CommandContext> = {
  id: 'etcd',
  title: 'Start etcd',
  async run(ctx, io) {
    const docker = required(ctx.docker, 'docker');
    const advertise = required(ctx.advertise, 'advertise address').address;
    // Secure unless --insecure: the pki step has made the certificates (docs/security.md).
    const tls = ctx.security ? { caPem: ctx.security.caPem, serverName: ETCD_SERVER_NAME } : undefined;
    const endpoint = etcdEndpoint(advertise, PORTS.etcdClient, tls ? 'https' : 'http');
    ctx.etcdEndpoint = endpoint;
    // join --control-plane: a member of the peer's cluster (the member step added it as a learner).
    const member = ctx.controlPlane?.member;
    const spec = etcdSpec({
      image: imageFor(ctx, 'etcd'),
      advertiseAddress: advertise,
      volume: ETCD_VOLUME,
      name: CONTAINER_NAMES.etcd,
      ...(tls ? { tls: { hostDir: pkiLayout(ctx.options.stateDir).etcdTls.dir } } : {}),
      ...(member ? { member: { name: member.name, initialCluster: member.initialCluster } } : {}),
    });
    // A learner answers Status (the wait) but no authenticated call: a joining member keeps the peer's client.
    const keepStore = (store: NonNullable<CommandContext['store']>): void => {
      if (member) store.close();
      else ctx.store = store;
    };
    const existing = await inspectManaged(docker, 'etcd');
    const storeOptions = { timeoutMs: 5_000, ...(tls ? { tls } : {}) };

    // A renewed certificate is read at start only: etcd must start again to serve it.
    if (existing && existing.running && specMatches(spec, existing) && (!tls || ctx.unchanged.has('pki'))) {
      const store = ctx.services.etcd(endpoint, storeOptions);
      // The member list asked beside the readiness check, over its connection (a running etcd answers
      // both at once); used only once etcd is ready, else dropped: the new container's is read after its start.
      const members = member ? undefined : listMembers(ctx, 5_000, store);
      try {
        await store.waitUntilReady(Math.min(ctx.options.timeoutMs, 10_000), io.signal);
        keepStore(store);
        if (members) useMembers(ctx, await members);
        ctx.unchanged.add('etcd');
        return { detail: `already running at ${endpoint}` };
      } catch {
        io.progress('etcd container runs but does not answer: recreating it (data kept)');
        store.close();
      }
    }
    if (existing) {
      io.progress(`replacing ${existing.state} ${existing.name} (data volume kept)`);
      await docker.stopAndRemove(existing.id, STOP_TIMEOUT_SEC);
    }
    await removeForeignNamed(docker, CONTAINER_NAMES.etcd);
    await refuseLostData(ctx, docker);
    if ((await docker.ensureVolume(ETCD_VOLUME, managedLabels('etcd'))) === 'created') {
      ctx.etcdVolumeCreated = true;
      await io.changed({ title: `remove volume ${ETCD_VOLUME}`, run: async () => void (await docker.removeVolume(ETCD_VOLUME)) });
    }
    const { id } = await docker.createAndStart(spec);
    await io.changed({ title: `remove container ${CONTAINER_NAMES.etcd}`, run: async () => void (await docker.stopAndRemove(id, STOP_TIMEOUT_SEC)) });

    io.progress(`waiting for etcd to answer over the v3 API at ${endpoint}`);
    const store = ctx.services.etcd(endpoint, storeOptions);
    const started = ctx.services.clock.now();
    try {
      await store.waitUntilReady(ctx.options.timeoutMs, io.signal);
      io.progress(`waited ${formatDuration(ctx.services.clock.now() - started)} for etcd to answer over v3 with a leader (25 ms poll)`);
      keepStore(store);
    } catch (error) {
      store.close();
      if (error instanceof IgniteError && error.kind === 'interrupted') throw error;
      const logs = await docker.containerLogs(id, 20).catch(() => []);
      const timedOut = error instanceof IgniteError && error.kind === 'timeout';
      const reason = error instanceof Error ? error.message : String(error);
      throw new IgniteError(timedOut ? 'timeout' : 'etcd', `etcd did not answer within ${formatDuration(ctx.options.timeoutMs)}: ${reason}`, {
        hint: `See \`docker logs ${CONTAINER_NAMES.etcd}\`; is ${PORTS.etcdClient}/tcp free and ${advertise} this host's address?`,
        details: logs.length > 0 ? ['last log lines of ignite-etcd:', ...logs] : [],
      });
    }
    // Init again on a host of several members: its flannel gets every member too.
    if (!member) useMembers(ctx, await listMembers(ctx, 5_000, store));
    return { detail: endpoint };
  },
};
