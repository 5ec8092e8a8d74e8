import { flannelSpec, specMatches } from '../adapters/container-specs.js';
import type { EtcdStore } from '../adapters/etcd/store.js';
import { logSecrets } from '../adapters/log-secrets.js';
import type { Services } from '../adapters/services.js';
import { formatDuration } from '../core/duration.js';
import { settled } from '../core/settled.js';
import { IgniteError } from '../core/errors.js';
import type { Step, StepIO } from '../core/step.js';
import { CONTAINER_NAMES } from '../defaults.js';
import { contains, parseCidr } from '../net/cidr.js';
import { isFlannelDeviceName } from '../net/flannel-devices.js';
import { expectedDevice, flannelConfigLag } from '../net/backend-checks.js';
import { describeBackend } from '../net/backend.js';
import { selectFlannelRoutes } from '../net/flannel-routes.js';
import type { Route } from '../net/interfaces.js';
import { parseSubnetEnv, subnetEnvPath } from '../net/subnet-env.js';
import { pkiLayout } from '../pki/layout.js';
import { required, type CommandContext } from './context.js';
import { inspectManaged, removeForeignNamed, STOP_TIMEOUT_SEC } from './containers.js';
import { imageFor } from './images.js';


/**
 * The lease flannel holds, when both halves agree: subnet.env names a subnet inside the network,
 * and etcd has that lease key with this host's advertise address as PublicIP and the network
 * config's backend type (flannel reads the config once, at start: a lease of another type is a
 * flannel started before the backend changed). With `writtenSince`, subnet.env must be written since then.
 */
async function currentLease(ctx: CommandContext, store: EtcdStore, reason: (why: string) => void, writtenSince?: number): Promise<string | undefined> {
  const path = subnetEnvPath(ctx.options.runDir);
  const [text, mtime] = await Promise.all([ctx.services.files.readIfExists(path), writtenSince === undefined ? undefined : ctx.services.files.modifiedAt(path)]);
  if (text === undefined) return void reason(`${path} not written yet`);
  // flannel writes subnet.env at every start, once it holds its lease: an older one is the previous
  // flannel's, and a fixed subnet's lease-less key would match it before this flannel has taken it.
  if (writtenSince !== undefined && (mtime === undefined || mtime.getTime() < writtenSince)) return void reason(`${path} is still the previous flannel's`);
  const env = parseSubnetEnv(text);
  const subnetCidr = parseCidr(env.subnet, { allowHostBits: true });
  const subnet = `${subnetCidr.network}/${subnetCidr.prefix}`;
  if (!contains(ctx.network.Network, subnetCidr.network)) {
    return void reason(`subnet.env names ${env.subnet}, outside ${ctx.network.Network}`);
  }
  const advertise = required(ctx.advertise, 'advertise').address;
  const lease = (await store.listLeases()).find((l) => l.subnet === subnet);
  if (!lease) return void reason(`no lease for ${subnet} in etcd yet`);
  if (lease.publicIP !== advertise) return void reason(`lease ${subnet} has PublicIP ${lease.publicIP}, not ${advertise}`);
  const want = ctx.network.Backend.Type;
  if (lease.backendType !== want) return void reason(`lease ${subnet} is flannel's ${lease.backendType || '(no type)'} backend, the network config says ${want}`);
  const lag = flannelConfigLag(lease, ctx.network.Backend, await store.configRevision());
  if (lag !== undefined) return void reason(`lease ${subnet}: ${lag}; the network config says ${describeBackend(ctx.network.Backend)}`);
  return subnet;
}

export const flannelStep: Step<CommandContext> = {
  id: 'flannel',
  title: 'Start flannel',
  async run(ctx, io) {
    const docker = required(ctx.docker, 'docker');
    const store = required(ctx.store, 'etcd store');
    const advertise = required(ctx.advertise, 'advertise address').address;
    const spec = flannelSpec({
      image: imageFor(ctx, 'flannel'),
      etcdEndpoints: ctx.flannelEndpoints ?? required(ctx.etcdEndpoint, 'etcd endpoint'),
      advertiseAddress: advertise,
      runDir: ctx.options.runDir,
      name: CONTAINER_NAMES.flannel,
      ...(ctx.security ? { secure: { hostDir: pkiLayout(ctx.options.stateDir).flannelTls.dir, username: required(ctx.identity, "this host's etcd identity") } } : {}),
    });
    const existing = await inspectManaged(docker, 'flannel');
    let why = '';
    if (existing && existing.running && specMatches(spec, existing)) {
      const subnet = await currentLease(ctx, store, (reason) => void (why = reason)).catch(() => undefined);
      if (subnet) {
        ctx.subnet = subnet;
        ctx.unchanged.add('flannel');
        return { detail: `already running, lease ${subnet}` };
      }
    }
    const { files, network } = ctx.services;
    if (existing) {
      io.progress(`replacing ${existing.state} ${existing.name}${why === '' ? '' : ` (${why})`}`);
      await docker.stopAndRemove(existing.id, STOP_TIMEOUT_SEC);
      // A backend change: the old backend's device would stay beside the new one (flannel leaves it).
      const want = expectedDevice(ctx.network.Backend);
      for (const name of (await flannelDevices(network)) ?? []) {
        if (name === want) continue;
        io.progress(`deleting ${name}, left by flannel's previous backend`);
        await network.deleteLink(name);
      }
    }
    const envPath = subnetEnvPath(ctx.options.runDir);
    // What is there before flannel starts, read side by side (each is a read, or a call of `ip`).
    const [, envExisted, devicesBefore, routesBefore] = await settled<[void, boolean, string[] | undefined, Route[]]>([
      (async () => {
        await removeForeignNamed(docker, CONTAINER_NAMES.flannel);
        await files.ensureDir(ctx.options.runDir);
      })(),
      files.exists(envPath),
      flannelDevices(network),
      flannelRoutes(ctx),
    ]);
    // Declared before the container's undo so it runs after it: nothing left to rewrite the file.
    if (!envExisted) await io.changed({ title: `remove ${envPath}`, run: async () => void (await files.removeFile(envPath)) });
    // flannel keeps its backend device (flannel0, flannel.<VNI>, …) when it stops: one it creates now
    // goes with the container's undo.
    if (devicesBefore !== undefined) {
      await io.changed({
        title: 'remove the devices flannel created',
        run: async () => {
          for (const name of (await flannelDevices(network)) ?? []) if (!devicesBefore.includes(name)) await network.deleteLink(name);
        },
      });
    }
    // Its routes to other hosts (host-gw style) stay too when it stops: the ones it adds now go as well.
    await io.changed({
      title: 'remove the routes flannel added',
      run: async () => {
        const before = new Set(routesBefore.map(routeKey));
        for (const r of await flannelRoutes(ctx)) if (!before.has(routeKey(r)) && r.gateway !== undefined) await network.deleteRoute(r.destination, r.gateway, r.iface);
      },
    });
    const startedAt = ctx.services.clock.now();
    const { id } = await docker.createAndStart(spec);
    await io.changed({ title: `remove container ${CONTAINER_NAMES.flannel}`, run: async () => void (await docker.stopAndRemove(id, STOP_TIMEOUT_SEC)) });
    ctx.subnet = await waitForLease(ctx, store, io, id, startedAt - MTIME_SLACK_MS);
    return { detail: `lease ${ctx.subnet}` };
  },
};

/** Names of flannel's devices on this host; undefined without iproute2. */
async function flannelDevices(network: Services['network']): Promise<string[] | undefined> {
  const links = await network.listLinks().catch(() => undefined);
  return links?.map((link) => link.ifname).filter(isFlannelDeviceName);
}

const routeKey = (r: Route): string => `${r.destination} ${r.gateway ?? ''} ${r.iface}`;

async function flannelRoutes(ctx: CommandContext): Promise<Route[]> {
  return selectFlannelRoutes(await ctx.services.network.readRoutes(), ctx.network.Network, ctx.network.SubnetLen);
}

/** A fallback for a missed event: flannel writes its lease, then subnet.env, within a few ms of each other. */
const LEASE_POLL_MS = 50;

/** A file's mtime is the kernel's coarse clock, a tick (≤ 10 ms) behind Date.now(). */
const MTIME_SLACK_MS = 50;

async function waitForLease(ctx: CommandContext, store: EtcdStore, io: StepIO, id: string, writtenSince: number): Promise<string> {
  io.progress('waiting for flannel to take a lease');
  const docker = required(ctx.docker, 'docker');
  const { clock, files } = ctx.services;
  const started = clock.now();
  const subnet = await ctx.services.waiter.waitFor((reason) => currentLease(ctx, store, reason, writtenSince), {
    clock,
    // A dry run started no flannel: it says it would wait, and the summary shows this instead of a subnet.
    unobservable: { waitingFor: `flannel (${CONTAINER_NAMES.flannel}) to take a lease and write ${subnetEnvPath(ctx.options.runDir)}`, standIn: '(the lease flannel takes)' },
    timeoutMs: ctx.options.timeoutMs,
    intervalMs: LEASE_POLL_MS,
    wakeOn: [(wake) => files.watchDir(ctx.options.runDir, wake)],
    signal: io.signal,
    onTimeout: async (last) => {
      const logs = await docker.containerLogs(id, 20, await logSecrets(ctx.services.files, ctx.options.stateDir)).catch(() => []);
      return new IgniteError('timeout', `flannel did not take a lease within ${formatDuration(ctx.options.timeoutMs)}${last ? `: ${last}` : ''}`, {
        hint: `See \`docker logs ${CONTAINER_NAMES.flannel}\`; check that ${ctx.etcdEndpoint ?? 'etcd'} is reachable from this host.`,
        details: logs.length > 0 ? ['last log lines of ignite-flannel:', ...logs] : [],
      });
    },
  });
  io.progress(`waited ${formatDuration(clock.now() - started)} for flannel's lease ${subnet} (subnet.env and its key in etcd; a watch of ${ctx.options.runDir}, ${LEASE_POLL_MS} ms fallback poll)`);
  return subnet;
}
