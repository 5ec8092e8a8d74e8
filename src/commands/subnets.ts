import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { subnetToLeaseKey } from '../net/cidr.js';
import { checkFixedSubnet, renderFixedRecord, reservationValue } from '../net/fixed-subnet.js';
import { parseNetworkConfig } from '../net/network-config.js';
import { fixedAddressKey } from '../pki/etcd-roles.js';
import { pkiLayout } from '../pki/layout.js';
import { required, type CommandContext } from '../steps/context.js';
import { etcdAccess } from '../steps/etcd-access.js';
import { readFixedRecords, reassertFixedSubnets } from '../steps/fixed-subnet.js';
import { loadStateStep } from '../steps/state.js';
import type { CommandSpec } from './command.js';

/** list reads as this host (root on a control-plane host, else its own identity); reserve and release need root. */
const connectStep: Step<CommandContext> = {
  id: 'connect',
  title: 'Connect to etcd',
  async run(ctx) {
    const state = ctx.state;
    const action = required(ctx.options.subnets, 'subnets action').action;
    if (!state) throw new IgniteError('usage', 'ignite-net is not set up on this host', { hint: 'Run `ignite-net subnets` on a host of the overlay (reserve and release: the init host or a control-plane host).' });
    const secure = state.etcdEndpoint.startsWith('https:');
    if (secure && action !== 'list' && !(await ctx.services.files.exists(pkiLayout(ctx.options.stateDir).rootCredential))) {
      throw new IgniteError('usage', `subnets ${action} needs etcd's root credential, which this host does not have`, { hint: `Run it on the init host${state.peer ? ` (${state.peer})` : ''} or a control-plane host.` });
    }
    const access = secure ? await etcdAccess(ctx.services.files, ctx.options.stateDir) : {};
    ctx.store = ctx.services.etcd(state.etcdEndpoint, { timeoutMs: Math.min(ctx.options.timeoutMs, 10_000), ...access });
    const config = await ctx.store.getConfig();
    if (config === undefined) throw new IgniteError('etcd', `etcd at ${state.etcdEndpoint} holds no network config`, { hint: 'Run `ignite-net init` on the init host first.' });
    ctx.network = parseNetworkConfig(config);
    return { detail: `${state.etcdEndpoint}${access.auth ? ` as ${access.auth.username}` : ''}` };
  },
};

const actionStep: Step<CommandContext> = {
  id: 'subnets',
  title: 'Fixed subnets',
  async run(ctx, io) {
    const store = required(ctx.store, 'etcd store');
    const action = required(ctx.options.subnets, 'subnets action');
    const lines = (ctx.summaryLines = [] as { label: string; value: string }[]);
    const [leases, { records, problems }] = await Promise.all([store.readLeases().then((r) => r.leases), readFixedRecords(store)]);
    for (const problem of problems) io.warn(`skipped ${problem}`);
    if (action.action === 'list') {
      for (const record of records) {
        const lease = leases.find((l) => l.subnet === record.subnet);
        const key = !lease ? 'its key is missing (re-created by the next init, join or status)' : lease.publicIP !== record.publicIP ? `its key names ${lease.publicIP}!` : lease.reserved ? 'reserved (key without a lease)' : `held by its flannel (24 h lease, ${lease.ttlSeconds ?? '?'} s left)`;
        lines.push({ label: record.subnet, value: `${record.publicIP}${record.hostname ? ` (${record.hostname})` : ''}, ${record.by ?? 'fixed'}: ${key}` });
      }
      return { detail: `${records.length} fixed subnet${records.length === 1 ? '' : 's'}` };
    }
    const publicIP = required(action.publicIP, 'public IP');
    if (action.action === 'reserve') {
      const subnet = checkFixedSubnet({ subnet: required(action.subnet, 'subnet'), label: 'subnets reserve', network: ctx.network, publicIP, leases, records });
      const recorded = records.some((r) => r.publicIP === publicIP && r.subnet === subnet);
      if (!recorded) await store.put(fixedAddressKey(publicIP), renderFixedRecord({ subnet, publicIP, by: 'subnets reserve', at: new Date(ctx.services.clock.now()).toISOString() }));
      const created = await store.createIfAbsent(subnetToLeaseKey(subnet), reservationValue(publicIP, ctx.network.Backend.Type));
      await reassertFixedSubnets(store, ctx.network, records, leases, io);
      lines.push({ label: subnet, value: `${recorded && !created ? 'already fixed' : 'fixed'} for ${publicIP}: its flannel takes it when that host joins with this advertise address; no other host's flannel can` });
      return { detail: `${subnet} for ${publicIP}` };
    }
    const mine = records.filter((r) => r.publicIP === publicIP);
    if (mine.length === 0) throw new IgniteError('usage', `${publicIP} has no fixed subnet`, { hint: 'See `ignite-net subnets list`.' });
    for (const record of mine) {
      await store.delete(record.key);
      const lease = leases.find((l) => l.subnet === record.subnet && l.publicIP === publicIP);
      if (lease?.reserved) await store.deleteLease(lease.key);
      lines.push({ label: record.subnet, value: `released (${publicIP})${lease && !lease.reserved ? ': its flannel still holds it under its 24 h lease; the subnet is free once that lease ends (cleanup there ends it at once)' : ': free for any host'}` });
    }
    return { detail: `released ${mine.map((r) => r.subnet).join(', ')}` };
  },
};

/** `ignite-net subnets list|reserve|release` (docs/commands.md, "Fixed subnets"). */
export const subnetsCommand: CommandSpec = {
  name: 'subnets',
  changesHost: false,
  steps: () => [loadStateStep('strict'), connectStep, actionStep],
  summary(ctx) {
    const lines = ctx.summaryLines ?? [];
    const action = ctx.options.subnets?.action ?? 'list';
    return { title: action === 'list' ? `ignite-net: ${lines.length} fixed subnet${lines.length === 1 ? '' : 's'}` : `ignite-net: subnets ${action}`, lines, next: [] };
  },
};
