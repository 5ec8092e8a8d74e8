import type { EtcdStore } from '../adapters/etcd/store.js';
import type { HostFiles } from '../adapters/services.js';
import { formatUtcMinute } from '../core/duration.js';
import { IgniteError } from '../core/errors.js';
import { settled } from '../core/settled.js';
import type { Step, StepIO } from '../core/step.js';
import { CONTAINER_NAMES, ETCD_KEYS, ETCD_VOLUME } from '../defaults.js';
import { subnetToLeaseKey } from '../net/cidr.js';
import type { FixedRecord } from '../net/fixed-subnet.js';
import type { Lease } from '../net/lease.js';
import { leaseExpiresBy, planLeaseRelease, selectLeasesToRelease, type LeaseReleasePlan, type LeaseSelection, type ThisHost } from '../net/lease-release.js';
import { leaseSubnet, parseSubnetEnv, subnetEnvPath, type SubnetEnv } from '../net/subnet-env.js';
import { hostRecordKey } from '../pki/etcd-roles.js';
import { pkiLayout } from '../pki/layout.js';
import { readHostIdentity } from './auth.js';
import type { CommandContext } from './context.js';
import { etcdAccess } from './etcd-access.js';
import { readFixedRecordsIfPermitted } from './fixed-subnet.js';
import { removeOwnHostRecord } from './host-record.js';

/**
 * cleanup's etcd side for this host's lease (src/steps/cleanup.ts says the order): its lease is
 * released, and its record of flannel's endpoints deleted, while etcd still answers.
 */

/** etcd gets this long per call during cleanup: an unreachable init host must not hold cleanup up. */
const LEASE_ETCD_TIMEOUT_MS = 5_000;

export async function readSubnetEnv(files: HostFiles, runDir: string): Promise<SubnetEnv | undefined> {
  const text = await files.readIfExists(subnetEnvPath(runDir)).catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return parseSubnetEnv(text);
  } catch {
    return undefined;
  }
}

/**
 * Releases this host's lease in etcd — on a joined host and on the init host alike, never another
 * host's. On the init host this runs before etcd's container goes, so a later `init` (which keeps
 * the data volume) does not find a stale lease of a host that no longer runs flannel, and the
 * joined hosts' flannel drops its routes to this host at once instead of in up to 24 h.
 * etcd unreachable is not an error: everything else is local, and the lease expires by itself.
 */
export const releaseLeaseStep: Step<CommandContext> = {
  id: 'lease',
  title: "Release this host's lease",
  async run(ctx, io) {
    const plan = await leasePlan(ctx);
    if (plan.kind === 'skip') return { detail: plan.detail };
    const { endpoint, host, isInitHost } = plan;
    const { subnet } = host;

    io.progress(`asking etcd at ${endpoint}`);
    const { store, warmUp } = await leaseClient(ctx, endpoint);
    try {
      // The client's first call, made while flannel stopped: its error is this step's, as a first read's would be.
      const early = await warmUp;
      if (early !== undefined) throw early;
      // Listed again now that flannel is gone; the fixed records and this host's user are read beside it.
      const [leases, fixed, user] = await settled([store.listLeases(), fixedOfThisHost(ctx, store, host, io), hostUserOf(ctx)] as const);
      const selection = selectLeasesToRelease(leases, host);
      const { release, keep } = await keepFixed(ctx, store, selection, fixed, endpoint);
      for (const { lease, why } of keep) {
        io.warn(`kept the lease ${lease.subnet || lease.key}: ${why}`);
        if (lease.reserved) ctx.left.push(`reservation ${lease.subnet} in etcd (no TTL, kept on purpose): delete ${lease.key} to free it`);
      }
      // Independent keys: deleted side by side, reported in the listing's order.
      const [deleted, record] = await settled([Promise.all(release.map((lease) => store.deleteLease(lease.key))), removeRecord(ctx, store, user)] as const);
      const released: string[] = [];
      release.forEach((lease, i) => {
        if (deleted[i] !== true) return;
        released.push(lease.subnet);
        ctx.removed.push(`lease ${lease.subnet} in etcd at ${endpoint}`);
      });
      if (record.removed !== undefined) ctx.removed.push(record.removed);
      if (record.left !== undefined) ctx.left.push(record.left);
      const fixedNote = fixed.length === 0 ? '' : ctx.options.purge ? `; fixed subnet ${fixed.map((r) => r.subnet).join(', ')} freed (--purge)` : `; fixed subnet ${fixed.map((r) => r.subnet).join(', ')} kept for this host (--purge frees it)`;
      if (isInitHost) {
        const others = leases.filter((lease) => !release.includes(lease) && !keep.some((k) => k.lease === lease) && lease.publicIP !== '');
        if (others.length > 0) {
          io.warn(
            `${others.length} other host${others.length === 1 ? '' : 's'} still use${others.length === 1 ? 's' : ''} this etcd (${others.map((l) => `${l.publicIP} ${l.subnet}`).join(', ')}): their flannel loses etcd when it goes`,
            'Run `ignite-net cleanup` on those hosts too.',
          );
        }
      }
      return { detail: `${released.length > 0 ? `released ${released.join(', ')}` : 'no lease of this host in etcd'}${record.note}${fixedNote}` };
    } catch (error) {
      // Not answering, or no longer letting this host in (revoked): the lease expires by itself either way.
      if (!(error instanceof IgniteError) || (error.kind !== 'etcd' && error.kind !== 'permission')) throw error;
      const what = subnet ? `the lease ${subnet}` : "this host's lease";
      if (isInitHost) {
        // etcd is this host's own: its data (and the lease in it) stays in the volume unless --purge.
        const fate = ctx.options.purge
          ? `${what} goes with etcd's data (--purge)`
          : `${what} stays in etcd's data (volume ${ETCD_VOLUME}) and expires within 24 h of etcd running again`;
        io.warn(`${error.message}: ${fate}`, ctx.options.purge ? undefined : 'Pass --purge to remove etcd\'s data with it.');
        if (!ctx.options.purge) ctx.left.push(`${what} in etcd's data (etcd was not answering): expires within 24 h of etcd running again, or goes with --purge`);
        return { detail: `etcd not answering; ${fate}` };
      }
      const expires = formatUtcMinute(leaseExpiresBy(new Date(ctx.services.clock.now()), await ctx.services.files.modifiedAt(subnetEnvPath(ctx.options.runDir))));
      const key = subnet ? subnetToLeaseKey(subnet, ETCD_KEYS.subnets) : `${ETCD_KEYS.subnets}<subnet>`;
      const remedy = endpoint.startsWith('https:')
        ? `docker exec -it ${CONTAINER_NAMES.etcd} etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/ignite-net/etcd/ca.pem --user root del ${key} (root's password is in /var/lib/ignite-net/etcd-root.json)`
        : `docker exec ${CONTAINER_NAMES.etcd} etcdctl del ${key}`;
      io.warn(
        `${error.message}: ${what} stays in etcd until it expires by itself, by ${expires} at the latest (24 h after flannel's last renewal)`,
        `To free it sooner, run on the init host: ${remedy}`,
      );
      const why = error.kind === 'permission' ? "refused this host's identity" : 'not reachable';
      ctx.left.push(`${what} in etcd at ${endpoint} (${why}): expires by itself by ${expires} at the latest; to free it sooner, on the init host: ${remedy}`);
      return { detail: `etcd ${why}; ${what} expires by itself by ${expires}` };
    } finally {
      store.close();
    }
  },
};

/** What the lease step will do, from what this run knows: the state file, subnet.env, flannel's container. */
async function leasePlan(ctx: CommandContext): Promise<LeaseReleasePlan> {
  const known = ctx.cleanup;
  const env = await readSubnetEnv(ctx.services.files, ctx.options.runDir);
  return planLeaseRelease({
    ...(ctx.state ? { recorded: ctx.state } : {}),
    ...(env ? { envSubnet: leaseSubnet(env) } : {}),
    ...(known.flannelEtcdEndpoint ? { flannelEtcdEndpoint: known.flannelEtcdEndpoint } : {}),
    ...(known.flannelPublicIP ? { flannelPublicIP: known.flannelPublicIP } : {}),
    hadEtcdContainer: known.hadEtcdContainer,
    dockerReachable: ctx.docker !== undefined,
  });
}

const leaseTimeoutMs = (ctx: CommandContext): number => Math.min(ctx.options.timeoutMs, LEASE_ETCD_TIMEOUT_MS);

async function openLeaseClient(ctx: CommandContext, endpoint: string): Promise<EtcdStore> {
  const access = endpoint.startsWith('https:') ? await etcdAccess(ctx.services.files, ctx.options.stateDir) : {};
  return ctx.services.etcd(endpoint, { timeoutMs: leaseTimeoutMs(ctx), ...access });
}

/**
 * The stop-flannel step, once its stop request is out (dockerd's time, ~100 ms in which this thread
 * only waits): opens the lease step's client and makes its first call, the lease list, so that
 * connecting, the TLS handshake, authenticating and building etcd's message types happen side by side
 * with the stop. Only reads: the step lists again once flannel is gone and changes etcd only then. The call's
 * error is kept for the lease step, which reports it as it would its own first read's. Nothing is
 * opened when the lease step would not ask etcd, or would take the member check's client.
 */
export async function prepareLeaseClient(ctx: CommandContext): Promise<void> {
  try {
    const plan = await leasePlan(ctx);
    if (plan.kind === 'skip' || ctx.cleanup.etcdClient !== undefined) return;
    const store = await openLeaseClient(ctx, plan.endpoint);
    const warmUp = store.listLeases().then(
      () => undefined,
      (error: unknown) => error,
    );
    ctx.cleanup.etcdClient = { endpoints: [plan.endpoint], timeoutMs: leaseTimeoutMs(ctx), store, warmUp };
  } catch {
    // Whatever failed here fails again in the lease step, which reports it.
  }
}

/**
 * The client opened before: the member check's (the init host's own etcd: the same endpoint, the same
 * credential from etcdAccess, the same per-call timeout) or prepareLeaseClient's, when it asks this
 * etcd alone; else a new one.
 */
async function leaseClient(ctx: CommandContext, endpoint: string): Promise<{ store: EtcdStore; warmUp?: Promise<unknown> }> {
  const kept = ctx.cleanup.etcdClient;
  ctx.cleanup.etcdClient = undefined;
  if (kept !== undefined && kept.endpoints.length === 1 && kept.endpoints[0] === endpoint && kept.timeoutMs === leaseTimeoutMs(ctx)) {
    return { store: kept.store, ...(kept.warmUp ? { warmUp: kept.warmUp } : {}) };
  }
  kept?.store.close();
  return { store: await openLeaseClient(ctx, endpoint) };
}

/** This host's fixed-subnet records (net/fixed-subnet.ts): by its PublicIP, else by its recorded subnet. */
async function fixedOfThisHost(ctx: CommandContext, store: EtcdStore, host: ThisHost, io: StepIO): Promise<FixedRecord[]> {
  const { records } = await readFixedRecordsIfPermitted(store, io);
  return records.filter((r) => (host.publicIP !== undefined ? r.publicIP === host.publicIP : r.subnet === host.subnet));
}

/**
 * This host's fixed subnet stays unless --purge: its key is put back without its flannel's etcd lease
 * (a reservation again, so no other host's flannel takes it while this one is gone) and its record
 * stays. With --purge both go: the key (a reservation or not) and the record, where this host may
 * delete it (its own; one `subnets reserve` or an earlier identity of this host — a rebuilt host joins
 * with a new one — wrote needs `subnets release` on a control-plane host).
 */
async function keepFixed(ctx: CommandContext, store: EtcdStore, selection: LeaseSelection, fixed: readonly FixedRecord[], endpoint: string): Promise<LeaseSelection> {
  const isFixed = (lease: Lease): boolean => fixed.some((r) => r.subnet === lease.subnet && r.publicIP === lease.publicIP);
  if (!ctx.options.purge) {
    for (const lease of selection.release.filter(isFixed)) {
      await store.put(lease.key, lease.raw);
      ctx.left.push(`fixed subnet ${lease.subnet} in etcd at ${endpoint} (its record and key, kept for this host: joining again gets it back; \`cleanup --purge\` frees it)`);
    }
    for (const { lease } of selection.keep.filter(({ lease }) => lease.reserved && isFixed(lease))) {
      ctx.left.push(`fixed subnet ${lease.subnet} in etcd at ${endpoint} (its record and key, kept for this host: joining again gets it back; \`cleanup --purge\` frees it)`);
    }
    return { release: selection.release.filter((l) => !isFixed(l)), keep: selection.keep.filter(({ lease }) => !(lease.reserved && isFixed(lease))) };
  }
  for (const record of fixed) {
    try {
      if (await store.delete(record.key)) ctx.removed.push(`fixed-subnet record ${record.key} (${record.subnet}) in etcd`);
    } catch (error) {
      if (!(error instanceof IgniteError) || error.kind !== 'permission') throw error;
      ctx.left.push(`fixed subnet ${record.subnet} in etcd (record ${record.key}, written by \`subnets reserve\` or an earlier identity of this host, which this one may not delete): \`ignite-net subnets release ${record.publicIP}\` on a control-plane host frees it`);
    }
  }
  const reservations = selection.keep.filter(({ lease }) => lease.reserved && isFixed(lease)).map(({ lease }) => lease);
  return { release: [...selection.release, ...reservations], keep: selection.keep.filter(({ lease }) => !reservations.includes(lease)) };
}

const hostUserOf = async (ctx: CommandContext): Promise<string | undefined> => (await readHostIdentity(ctx.services.files, pkiLayout(ctx.options.stateDir)))?.username;

/**
 * This host's record of its flannel's endpoints (steps/host-record.ts), on a secure overlay: what to
 * report (pushed by the caller, in order) and a note for the step's detail.
 */
async function removeRecord(ctx: CommandContext, store: EtcdStore, user: string | undefined): Promise<{ note: string; removed?: string; left?: string }> {
  if (user === undefined) return { note: '' };
  const outcome = await removeOwnHostRecord(store, user);
  if (outcome === 'removed') return { note: "; this host's record removed", removed: `this host's record ${hostRecordKey(user)} in etcd` };
  if (outcome === 'not permitted') return { note: '', left: `this host's record ${hostRecordKey(user)} in etcd (its identity predates per-host roles): \`ignite-net hosts revoke <this host's address>\` on a control-plane host removes it` };
  return { note: '' };
}
