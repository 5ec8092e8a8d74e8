import type { EtcdStore } from '../adapters/etcd/store.js';
import { IgniteError } from '../core/errors.js';
import type { Step, StepIO } from '../core/step.js';
import { CONTAINER_NAMES } from '../defaults.js';
import { subnetToLeaseKey } from '../net/cidr.js';
import { checkFixedSubnet, fixedSubnetOf, parseFixedRecords, planReassert, renderFixedRecord, reservationValue, type FixedRecord } from '../net/fixed-subnet.js';
import type { Lease } from '../net/lease.js';
import type { NetworkConfig } from '../net/network-config.js';
import { FIXED_PREFIX, fixedAddressKey, fixedHostKey } from '../pki/etcd-roles.js';
import { required, type CommandContext } from './context.js';

/**
 * Fixed subnets (net/fixed-subnet.ts): init and join check `--subnet` before they change anything,
 * then — before flannel starts — re-create the missing flannel key of every host's fixed subnet and
 * put this host's in place, so its flannel takes exactly that subnet and no other host's flannel can.
 */

/** Every fixed-subnet record in etcd; what cannot be read as one is reported, not used. */
export async function readFixedRecords(store: EtcdStore): Promise<{ records: FixedRecord[]; problems: string[] }> {
  return parseFixedRecords(await store.getPrefix(FIXED_PREFIX));
}

/**
 * Without --subnet a host whose role predates fixed subnets (made by an older ignite-net, not yet
 * brought up to date by init, token or hosts on a control-plane host) may not read them: it goes on.
 */
export async function readFixedRecordsIfPermitted(store: EtcdStore, io: Pick<StepIO, 'warn'>): Promise<{ records: FixedRecord[]; problems: string[] }> {
  try {
    return await readFixedRecords(store);
  } catch (error) {
    if (!(error instanceof IgniteError) || error.kind !== 'permission') throw error;
    io.warn(`this host's etcd identity may not read the fixed subnets (${error.message}): none re-created`, 'Run `ignite-net token list` on a control-plane host: it brings older host roles up to date.');
    return { records: [], problems: [] };
  }
}

/** Where this host writes its own record: under its etcd user on a secure overlay, else under its PublicIP. */
export function ownFixedKey(ctx: Pick<CommandContext, 'security' | 'identity'>, publicIP: string): string {
  return ctx.security && ctx.identity !== undefined ? fixedHostKey(ctx.identity) : fixedAddressKey(publicIP);
}

const hostnamesOf = (records: readonly FixedRecord[]): Map<string, string> => new Map(records.flatMap((r) => (r.hostname ? [[r.publicIP, r.hostname] as const] : [])));

async function check(ctx: CommandContext, store: EtcdStore, subnet: string): Promise<{ subnet: string; leases: Lease[]; records: FixedRecord[]; problems: string[] }> {
  const publicIP = required(ctx.advertise, 'advertise address').address;
  const [leases, { records, problems }] = await Promise.all([store.listLeases(), readFixedRecords(store)]);
  const canonical = checkFixedSubnet({ subnet, label: '--subnet', network: ctx.network, publicIP, leases, records, hostnames: hostnamesOf(records) });
  return { subnet: canonical, leases, records, problems };
}

/** join: `--subnet` against the peer's network, leases and fixed records, before the first change. */
export const fixedSubnetCheckStep: Step<CommandContext> = {
  id: 'fixed-subnet-check',
  title: 'Check the fixed subnet (--subnet)',
  skip: (ctx) => (ctx.options.fixedSubnet === undefined ? 'no --subnet' : undefined),
  async run(ctx) {
    const { subnet, leases } = await check(ctx, required(ctx.store, 'etcd store'), required(ctx.options.fixedSubnet, '--subnet'));
    const publicIP = required(ctx.advertise, 'advertise address').address;
    const held = leases.some((l) => l.subnet === subnet && l.publicIP === publicIP);
    return { detail: `${subnet} ${held ? "is already this host's" : 'is free'}` };
  },
};

/** Re-creates the missing flannel keys of every fixed subnet (lease-less, create if absent); the subnets re-created. */
export async function reassertFixedSubnets(store: EtcdStore, network: NetworkConfig, records: readonly FixedRecord[], leases: readonly Lease[], io: Pick<StepIO, 'warn'>): Promise<string[]> {
  const plan = planReassert(records, leases, network);
  const recreated: string[] = [];
  for (const record of plan.create) {
    if (await store.createIfAbsent(subnetToLeaseKey(record.subnet), reservationValue(record.publicIP, network.Backend.Type))) recreated.push(record.subnet);
  }
  for (const { record, why } of plan.skipped) io.warn(`the fixed subnet ${record.subnet} of ${record.publicIP} was not re-created: ${why}`, `See \`ignite-net subnets list\`; \`ignite-net subnets release ${record.publicIP}\` on a control-plane host drops it.`);
  return recreated;
}

/**
 * init/join, before flannel: every host's fixed subnet has its flannel key again, and this host's
 * (--subnet, or one `subnets reserve` made for its PublicIP) is recorded and in place; this host's
 * other leases go, as flannel reuses the first key of its PublicIP it finds.
 */
export const fixedSubnetStep: Step<CommandContext> = {
  id: 'fixed-subnet',
  title: 'Keep the fixed subnets',
  async run(ctx, io) {
    const store = required(ctx.store, 'etcd store');
    const publicIP = required(ctx.advertise, 'advertise address').address;
    const wanted = ctx.options.fixedSubnet;
    const read = wanted === undefined ? { leases: await store.listLeases(), ...(await readFixedRecordsIfPermitted(store, io)) } : await check(ctx, store, wanted);
    const { leases, records, problems } = read;
    for (const problem of problems) io.warn(`skipped ${problem}`);
    const ownKey = ownFixedKey(ctx, publicIP);
    const mine = 'subnet' in read ? read.subnet : fixedSubnetOf(records, publicIP, ownKey)?.subnet;
    const recreated = await reassertFixedSubnets(store, ctx.network, records, leases, io);
    if (mine === undefined) return { detail: `none for this host${othersNote(recreated)}` };

    const recorded = records.some((r) => r.publicIP === publicIP && r.subnet === mine);
    if (!recorded) {
      const before = await store.get(ownKey);
      const record = renderFixedRecord({ subnet: mine, publicIP, hostname: ctx.services.network.hostName(), by: `${ctx.options.command} --subnet`, at: new Date(ctx.services.clock.now()).toISOString() });
      await store.put(ownKey, record);
      await io.changed({ title: `put back this host's fixed-subnet record (${ownKey})`, run: async () => void (before === undefined ? await store.delete(ownKey) : await store.put(ownKey, before)) });
    }
    const leaseKey = subnetToLeaseKey(mine);
    if (await store.createIfAbsent(leaseKey, reservationValue(publicIP, ctx.network.Backend.Type))) {
      if (!recorded) await io.changed({ title: `delete the reservation ${leaseKey}`, run: async () => void (await store.delete(leaseKey)) });
    } else {
      const now = (await store.listLeases()).find((l) => l.subnet === mine);
      if (now !== undefined && now.publicIP !== publicIP) {
        throw new IgniteError('conflict', `--subnet ${mine} was taken by ${now.publicIP || 'another host'} while this host checked it`, { hint: 'Choose another subnet, or run the command again to see who holds it.' });
      }
    }
    // flannel reuses the first key naming its PublicIP: one of this host's from before must go.
    const moved: string[] = [];
    for (const lease of leases) {
      if (lease.publicIP !== publicIP || lease.subnet === mine || lease.problem !== undefined) continue;
      if (await store.deleteLease(lease.key)) moved.push(lease.subnet);
    }
    ctx.fixedSubnet = mine;
    return { detail: `${mine} kept for this host${moved.length > 0 ? ` (its lease ${moved.join(', ')} released)` : ''}${othersNote(recreated.filter((s) => s !== mine))}` };
  },
};

const othersNote = (recreated: readonly string[]): string =>
  recreated.length === 0 ? '' : `; re-created the missing key${recreated.length === 1 ? '' : 's'} of ${recreated.join(', ')}`;

/**
 * status: the fixed subnets, and — as every init and join does — their flannel keys re-created where missing,
 * so that a host down past its lease keeps its subnet (net/fixed-subnet.ts). Undefined when this
 * identity may not read them; a key it may not write is left for the next init or join.
 */
export async function keepFixedSubnets(store: EtcdStore, network: NetworkConfig, leases: readonly Lease[]): Promise<{ records: FixedRecord[]; recreated: string[] } | undefined> {
  const read = await readFixedRecords(store).catch((error: unknown) => {
    if (error instanceof IgniteError) return undefined;
    throw error;
  });
  if (read === undefined) return undefined;
  const recreated = await reassertFixedSubnets(store, network, read.records, leases, { warn: () => undefined }).catch((error: unknown) => {
    if (error instanceof IgniteError) return [];
    throw error;
  });
  return { records: read.records, recreated };
}

/** After flannel: it holds the fixed subnet, not another one. */
export const fixedSubnetHeldStep: Step<CommandContext> = {
  id: 'fixed-subnet-held',
  title: 'flannel holds the fixed subnet',
  skip: (ctx) => (ctx.fixedSubnet === undefined ? 'no fixed subnet for this host' : undefined),
  async run(ctx) {
    const fixed = required(ctx.fixedSubnet, 'fixed subnet');
    if (ctx.subnet !== fixed) {
      throw new IgniteError('conflict', `flannel took ${ctx.subnet ?? 'no subnet'}, not this host's fixed subnet ${fixed}`, { hint: `See \`docker logs ${CONTAINER_NAMES.flannel}\` and \`ignite-net subnets list\`.` });
    }
    return { detail: fixed };
  },
};
