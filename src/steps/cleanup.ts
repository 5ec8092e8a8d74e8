import { join } from 'node:path';
import type { DockerClient } from '../adapters/docker/client.js';
import type { IptablesFamily } from '../adapters/ip-tools.js';
import { DEFAULT_CONFLIST_VARS, isOurConflist, renderConflist } from '../cni/conflist.js';
import { IgniteError } from '../core/errors.js';
import { settled } from '../core/settled.js';
import type { Step, StepIO } from '../core/step.js';
import { CNI_FILES, CONTAINER_NAMES, ETCD_VOLUME } from '../defaults.js';
import { selectOverlayDevices } from '../net/flannel-devices.js';
import { selectFlannelRoutes } from '../net/flannel-routes.js';
import { FLANNEL_TABLES, parseIptablesListing, planChainRemoval } from '../net/iptables.js';
import { flannelFlag } from '../net/lease-release.js';
import { subnetEnvPath } from '../net/subnet-env.js';
import { cniPaths } from './cni.js';
import { prepareLeaseClient, readSubnetEnv } from './cleanup-lease.js';
import { STOP_TIMEOUT_SEC } from './containers.js';
import { required, type CommandContext, type ContainerLookup } from './context.js';

/**
 * cleanup, in the order that keeps every step possible: flannel stops first (a live flannel exits
 * when its lease is deleted, and would re-create devices and chains), then this host's lease is
 * released while etcd still answers (on the init host etcd is ours and still running), then etcd
 * goes, then what flannel left on the host (devices, iptables chains), the files, the CNI state, the
 * volume, and last the state file (so a cleanup that fails half-way can be run again with it).
 */

export { releaseLeaseStep } from './cleanup-lease.js';

export const confirmStep: Step<CommandContext> = {
  id: 'confirm',
  title: 'Confirm',
  confirmsChanges: true,
  skip: (ctx) => (ctx.options.yes ? '--yes given' : undefined),
  async run(_ctx, io) {
    if (!io.prompter.interactive) {
      throw new IgniteError('usage', 'cleanup removes ignite-net from this host and needs confirmation, but there is no terminal to ask', {
        hint: 'Pass --yes to confirm.',
      });
    }
    const ok = await io.prompter.confirm("Remove ignite-net's containers, this host's lease, flannel's devices and iptables chains, the CNI config and state from this host?", {
      flag: '--yes',
      initial: false,
    });
    if (!ok) throw new IgniteError('interrupted', 'cleanup cancelled; nothing was changed', { hint: 'Run it again and answer yes, or pass --yes.', cancelled: true });
  },
};

/** The Docker client, connected once; undefined (with one warning) when dockerd does not answer. */
async function dockerFor(ctx: CommandContext, io: StepIO): Promise<DockerClient | undefined> {
  if (ctx.docker) return ctx.docker;
  const known = ctx.cleanup;
  if (known.dockerUnreachable) return undefined;
  try {
    ctx.docker = await ctx.services.docker();
    return ctx.docker;
  } catch (error) {
    known.dockerUnreachable = true;
    const message = error instanceof IgniteError ? error.message : String(error);
    io.warn(`${message}: containers were not checked`, `Start dockerd and run cleanup again to remove ${CONTAINER_NAMES.etcd} / ${CONTAINER_NAMES.flannel}.`);
    ctx.left.push('containers (Docker Engine not reachable): run `ignite-net cleanup` again once dockerd runs');
    return undefined;
  }
}

/** One turn of the event loop: a request just made is written to its socket before work that holds the thread. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function lookUpContainers(docker: DockerClient): Promise<ContainerLookup> {
  const all = await docker.listManaged();
  const flannels = all.filter((c) => c.role === 'flannel');
  const views = await Promise.all(flannels.map((container) => docker.inspectContainer(container.id)));
  return { all, flannels: flannels.map((container, i) => ({ container, view: views[i] })) };
}

/**
 * The member check (on a host that runs an etcd member) starts the flannel step's reads of Docker
 * (connect, list, inspect: no change) beside its own etcd calls, which hold the thread for ~100 ms
 * of TLS and protobuf set-up while dockerd answers. A failure is the flannel step's, as its own reads'
 * would be: Docker not reachable is warned there (services.docker() keeps its outcome).
 */
export function startContainerLookup(ctx: CommandContext): void {
  if (ctx.cleanup.containers !== undefined) return;
  const lookup = ctx.services.docker().then(lookUpContainers);
  lookup.catch(() => undefined);
  ctx.cleanup.containers = lookup;
}

/** Containers are found by label, whatever their names, so only what ignite-net created goes. */
export const stopFlannelStep: Step<CommandContext> = {
  id: 'flannel',
  title: 'Stop flannel',
  async run(ctx, io) {
    const docker = await dockerFor(ctx, io);
    if (!docker) return { detail: 'Docker not reachable; skipped' };
    const known = ctx.cleanup;
    const { all, flannels } = await (known.containers ?? lookUpContainers(docker));
    known.containers = undefined;
    known.hadEtcdContainer = all.some((c) => c.role === 'etcd');
    for (const { view } of flannels) {
      // Where it got its lease from: the lease step needs it on a host without a state file.
      if (view) {
        const endpoint = flannelFlag(view.cmd, 'etcd-endpoints')?.split(',')[0];
        const publicIP = flannelFlag(view.cmd, 'public-ip');
        if (endpoint) known.flannelEtcdEndpoint = endpoint;
        if (publicIP) known.flannelPublicIP = publicIP;
      }
    }
    let prepared = false;
    const removed: string[] = [];
    for (const { container } of flannels) {
      io.progress(`stopping ${container.name}`);
      const stopping = docker.stopAndRemove(container.id, STOP_TIMEOUT_SEC);
      stopping.catch(() => undefined); // awaited below
      if (!prepared) {
        prepared = true;
        // The lease step's etcd client connects while flannel stops (dockerd's time, in which this
        // thread only waits), once the stop request is out (cleanup-lease.ts; reads only).
        await nextTurn();
        await prepareLeaseClient(ctx);
      }
      // 'absent': gone since the listing (which the member check may have made a step earlier).
      if ((await stopping) === 'absent') continue;
      removed.push(container.name);
      ctx.removed.push(`container ${container.name}`);
    }
    // No flannel runs now to change them: what it left on the host is read while the lease (etcd's
    // calls) goes, for the devices and iptables steps; on a host with etcd's container, while that
    // container stops instead (the etcd step), where this thread waits rather than delays the lease.
    if (!known.hadEtcdContainer) prefetchLeftovers(ctx);
    return { detail: removed.length === 0 ? 'no flannel container' : `removed ${removed.join(', ')}` };
  },
};

/** etcd, and any other container labelled ours (found by label, whatever its name). */
export const removeEtcdStep: Step<CommandContext> = {
  id: 'etcd',
  title: 'Remove etcd',
  async run(ctx, io) {
    const docker = await dockerFor(ctx, io);
    if (!docker) return { detail: 'Docker not reachable; skipped' };
    const rest = await docker.listManaged();
    for (const container of rest) {
      io.progress(`removing ${container.name}`);
      const removing = docker.stopAndRemove(container.id, STOP_TIMEOUT_SEC);
      removing.catch(() => undefined); // awaited below
      if (ctx.cleanup.links === undefined) {
        // Flannel is gone: the devices and iptables steps' reads are spawned while dockerd stops etcd.
        await nextTurn();
        prefetchLeftovers(ctx);
      }
      await removing;
      ctx.removed.push(`container ${container.name}`);
    }
    prefetchLeftovers(ctx);
    return { detail: rest.length === 0 ? 'no etcd container' : `removed ${rest.map((c) => c.name).join(', ')}` };
  },
};

/** The overlay this host was part of: the state file's, else subnet.env's, else the default. */
async function overlayNetwork(ctx: CommandContext): Promise<string> {
  return ctx.state?.network.Network ?? (await readSubnetEnv(ctx.services.files, ctx.options.runDir))?.network ?? ctx.network.Network;
}

export const removeDevicesStep: Step<CommandContext> = {
  id: 'devices',
  title: "Remove flannel's devices and routes",
  async run(ctx, io) {
    const { deleteLink } = ctx.services.network;
    // The iptables step's reads go out now at the latest, beside this step's (no flannel to change them).
    prefetchLeftovers(ctx);
    const [links, overlay] = await Promise.all([required(ctx.cleanup.links, 'links'), overlayNetwork(ctx)]);
    ctx.cleanup.links = undefined;
    if (links === undefined) {
      io.warn("iproute2 (`ip`) is not installed: flannel's devices were not checked", 'Install iproute2 and run cleanup again, or reboot.');
      ctx.left.push("flannel's devices (flannel0, flannel.<VNI>, cni0) if any: iproute2 is missing");
      return { detail: 'ip not installed; skipped' };
    }
    // Deleting a device takes its routes, ARP and FDB entries (vxlan's) with it; host-gw's routes
    // via the other hosts are on the host's own interface and go one by one. Routes and devices are
    // independent, so they go side by side (each a call of `ip`), reported in order.
    const { remove, keep } = selectOverlayDevices(links, overlay);
    for (const device of remove) io.progress(`deleting ${device.name} (${device.why})`);
    const [routes, deleted] = await settled([removeFlannelRoutes(ctx, io, overlay), Promise.all(remove.map((device) => deleteLink(device.name)))] as const);
    const removed: string[] = [];
    remove.forEach((device, i) => {
      if (deleted[i] !== true) return;
      removed.push(device.name);
      ctx.removed.push(`device ${device.name} (${device.why})`);
    });
    for (const device of keep) {
      io.warn(`kept ${device.name}: ${device.why}`);
      ctx.left.push(`device ${device.name}: ${device.why}`);
    }
    const what = [removed.length === 0 ? '' : `deleted ${removed.join(', ')}`, routes.length === 0 ? '' : `${routes.length} route${routes.length === 1 ? '' : 's'} via other hosts`].filter((x) => x !== '');
    return { detail: what.length === 0 ? 'none found' : what.join('; ') };
  },
};

/**
 * host-gw's routes to the other hosts' subnets (net/flannel-routes.ts says which); returns them. Its
 * entries in ctx.removed come first, as when routes went before devices.
 */
async function removeFlannelRoutes(ctx: CommandContext, io: StepIO, overlay: string): Promise<string[]> {
  const { readRoutes, deleteRoute } = ctx.services.network;
  const routes = await readRoutes();
  const subnetLen = ctx.state?.network.SubnetLen ?? ctx.network.SubnetLen;
  const done: string[] = [];
  for (const route of selectFlannelRoutes(routes, overlay, subnetLen)) {
    const text = `${route.destination} via ${route.gateway ?? '?'} dev ${route.iface}`;
    io.progress(`deleting route ${text}`);
    if (route.gateway !== undefined && (await deleteRoute(route.destination, route.gateway, route.iface))) {
      done.push(text);
      ctx.removed.push(`route ${text} (flannel's, to another host's subnet)`);
    }
  }
  return done;
}

const IPTABLES_FAMILIES = ['iptables', 'ip6tables'] as const satisfies readonly IptablesFamily[];

type TableListings = Map<string, string | undefined>;

/** Every table of flannel's, of both tools, listed side by side (reads: `-S`). */
async function listFlannelTables(ctx: CommandContext): Promise<TableListings> {
  const pairs = IPTABLES_FAMILIES.flatMap((family) => FLANNEL_TABLES.map((table) => [family, table] as const));
  const listed = await Promise.all(pairs.map(([family, table]) => ctx.services.network.listTable(family, table)));
  return new Map(pairs.map(([family, table], i) => [`${family} ${table}`, listed[i]]));
}

/**
 * Starts the devices step's and the iptables step's reads (`ip`, `<tool> -S`), once flannel is stopped;
 * a failure is reported by the step that reads it.
 */
function prefetchLeftovers(ctx: CommandContext): void {
  const known = ctx.cleanup;
  if (known.links === undefined) {
    known.links = ctx.services.network.listLinks();
    known.links.catch(() => undefined);
  }
  if (known.iptablesListings === undefined) {
    known.iptablesListings = listFlannelTables(ctx);
    known.iptablesListings.catch(() => undefined);
  }
}

/** FLANNEL-POSTRTG and FLANNEL-FWD and the rules jumping to them, in iptables and ip6tables; nothing else. */
export const removeIptablesStep: Step<CommandContext> = {
  id: 'iptables',
  title: "Remove flannel's iptables chains",
  async run(ctx, io) {
    const { iptables } = ctx.services.network;
    const listings = await (ctx.cleanup.iptablesListings ?? listFlannelTables(ctx));
    ctx.cleanup.iptablesListings = undefined;
    const done: string[] = [];
    let iptablesMissing = false;
    for (const family of IPTABLES_FAMILIES) {
      for (const table of FLANNEL_TABLES) {
        const listing = listings.get(`${family} ${table}`);
        if (listing === undefined) {
          if (family === 'iptables') iptablesMissing = true;
          break; // tool missing: no table of it to look at
        }
        const plan = planChainRemoval(parseIptablesListing(listing));
        if (plan.commands.length === 0) continue;
        io.progress(`${family} -t ${table}: removing ${plan.chains.join(', ')}`);
        for (const args of plan.commands) await iptables(family, table, args);
        for (const chain of plan.chains) {
          const item = `${family === 'ip6tables' ? 'ip6tables ' : ''}${table} chain ${chain}`;
          done.push(item);
          ctx.removed.push(`${item}${plan.jumps > 0 ? ' and the rules jumping to it' : ''}`);
        }
      }
    }
    if (iptablesMissing) {
      io.warn("iptables is not installed: flannel's chains were not checked (without iptables there are none)");
      return { detail: 'iptables not installed; skipped' };
    }
    return { detail: done.length === 0 ? 'none found' : `removed ${done.join(', ')}` };
  },
};

export const removeCniStep: Step<CommandContext> = {
  id: 'cni',
  title: 'Remove the CNI config',
  async run(ctx, io) {
    const { readIfExists, removeFile, exists, moveFile } = ctx.services.files;
    const paths = cniPaths(ctx.options.cniConfDir);
    const done: string[] = [];
    const ours = await readIfExists(paths.ours);
    const isOurs = ours !== undefined && isOurConflist(ours, renderConflist(await ctx.services.files.conflistTemplate()));
    if (ours !== undefined) {
      if (isOurs) {
        await removeFile(paths.ours);
        ctx.removed.push(paths.ours);
        done.push(`removed ${CNI_FILES.ours}`);
      } else {
        io.warn(`${paths.ours} was not written by ignite-net; left in place`);
        ctx.left.push(`${paths.ours} (not ours): remove it by hand if it is not wanted`);
      }
    }
    if (await exists(paths.foreignBackup)) {
      if (ours === undefined || isOurs) {
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
    const path = subnetEnvPath(ctx.options.runDir);
    const had = await ctx.services.files.removeFile(path);
    if (had) ctx.removed.push(path);
    return { detail: had ? `removed ${path}` : 'nothing to remove' };
  },
};

/** libcni's cached results are `<network>-<container>-<ifname>` files naming their network inside. */
function isOurCachedResult(fileName: string, text: string | undefined, network: string): boolean {
  if (!fileName.startsWith(`${network}-`) || text === undefined) return false;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && (parsed as Record<string, unknown>)['networkName'] === network;
  } catch {
    return false;
  }
}

/**
 * CNI plugin state of our network only: host-local's IPAM leases in networks/<name>, the flannel
 * plugin's in flannel/, and libcni's cached results of our network in results/. Other networks'
 * directories and files stay.
 */
export const removeCniStateStep: Step<CommandContext> = {
  id: 'cni-state',
  title: 'Remove CNI state',
  async run(ctx) {
    const { removeTree, listDir, readIfExists, removeFile } = ctx.services.files;
    const dir = ctx.options.cniStateDir;
    const network = DEFAULT_CONFLIST_VARS.name;
    const removed: string[] = [];
    for (const path of [join(dir, 'networks', network), join(dir, 'flannel')]) {
      if (await removeTree(path)) {
        removed.push(path);
        ctx.removed.push(path);
      }
    }
    const resultsDir = join(dir, 'results');
    let results = 0;
    for (const name of (await listDir(resultsDir)) ?? []) {
      const path = join(resultsDir, name);
      if (isOurCachedResult(name, await readIfExists(path).catch(() => undefined), network)) {
        await removeFile(path);
        results += 1;
      }
    }
    if (results > 0) ctx.removed.push(`${results} cached CNI result${results === 1 ? '' : 's'} of ${network} in ${resultsDir}`);
    const parts = [...removed, ...(results > 0 ? [`${results} cached result${results === 1 ? '' : 's'}`] : [])];
    return { detail: parts.length === 0 ? 'nothing to remove' : `removed ${parts.join(', ')}` };
  },
};

export const volumeStep: Step<CommandContext> = {
  id: 'volume',
  title: 'etcd data volume',
  async run(ctx) {
    const docker = ctx.docker;
    if (!docker || !(await docker.volumeExists(ETCD_VOLUME))) return { detail: 'none' };
    if (ctx.cleanup.memberRemoved === true) {
      // etcd refuses a removed member's data for good ("member permanently removed"): nothing to keep it for.
      await docker.removeVolume(ETCD_VOLUME);
      ctx.removed.push(`volume ${ETCD_VOLUME} (the removed member's data)`);
      return { detail: `removed ${ETCD_VOLUME} (its member left the cluster)` };
    }
    if (ctx.options.purge) {
      await docker.removeVolume(ETCD_VOLUME);
      ctx.removed.push(`volume ${ETCD_VOLUME}`);
      return { detail: `removed ${ETCD_VOLUME}` };
    }
    ctx.cleanup.volumeKept = true;
    ctx.left.push(`volume ${ETCD_VOLUME} (etcd data, kept for a later init): remove with \`ignite-net cleanup --purge\``);
    return { detail: `kept ${ETCD_VOLUME} (--purge removes it)` };
  },
};

