import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { hostUser, joinKey } from '../pki/etcd-roles.js';
import { parseJoinRecord, type JoinRecord } from '../pki/records.js';
import { required, type CommandContext } from '../steps/context.js';
import { loadStateStep } from '../steps/state.js';
import { connectAsRoot } from '../steps/root-access.js';
import type { CommandSpec } from './command.js';

interface HostIdentity {
  user: string;
  address?: string;
  hostname?: string;
  joinedAt?: string;
  subnet?: string;
}

/** Every host identity, with where it is used: the join record its token left, or this (init) host. */
async function hostIdentities(ctx: CommandContext): Promise<HostIdentity[]> {
  const admin = required(ctx.admin, 'etcd admin');
  const prefix = hostUser('');
  const leases = await admin.listLeases();
  const users = (await admin.listUsers()).filter((u) => u.startsWith(prefix));
  return Promise.all(
    users.map(async (user) => {
      const record = user === ctx.state?.security?.etcdUser ? { address: ctx.state.advertiseAddress, hostname: 'this host (init)' } : joinedAs(parseJoinRecord(await admin.get(joinKey(user.slice(prefix.length)))));
      const subnet = record?.address ? leases.find((l) => l.publicIP === record.address)?.subnet : undefined;
      return { user, ...record, ...(subnet ? { subnet } : {}) };
    }),
  );
}

const joinedAs = (record: JoinRecord | undefined): Pick<HostIdentity, 'address' | 'hostname' | 'joinedAt'> | undefined =>
  record && { address: record.address, hostname: record.hostname, joinedAt: record.at };

const actionStep: Step<CommandContext> = {
  id: 'hosts',
  title: 'Host identities',
  async run(ctx) {
    const admin = required(ctx.admin, 'etcd admin');
    const action = required(ctx.options.hosts, 'hosts action');
    const identities = await hostIdentities(ctx);
    const lines = (ctx.summaryLines = [] as { label: string; value: string }[]);
    if (action.action === 'list') {
      for (const h of identities) {
        lines.push({ label: h.user, value: h.address ? `${h.address} (${h.hostname ?? '?'})${h.joinedAt ? `, joined ${h.joinedAt}` : ''}${h.subnet ? `, lease ${h.subnet}` : ', no lease'}` : 'not used yet (its token was not used)' });
      }
      return { detail: `${identities.length} host identit${identities.length === 1 ? 'y' : 'ies'}` };
    }
    const wanted = required(action.host, 'host');
    const matches = identities.filter((h) => h.address === wanted || h.hostname === wanted);
    const [match] = matches;
    if (match === undefined || matches.length > 1) {
      throw new IgniteError('usage', matches.length > 1 ? `${wanted} names ${matches.length} host identities` : `no host ${wanted} in this overlay`, { hint: 'See `ignite-net hosts list` (revoke by advertise address).' });
    }
    if (match.user === ctx.state?.security?.etcdUser) {
      throw new IgniteError('usage', `${wanted} is this host, the init host: revoking its identity would stop its own flannel`, { hint: 'Run `ignite-net cleanup` here to take the overlay down instead.' });
    }
    await admin.deleteUser(match.user);
    lines.push({ label: 'revoked', value: `${match.user} (${match.address ?? '?'}): etcd refuses it from its next call${match.subnet ? `; its lease ${match.subnet} stays until flannel fails to renew it (within 24 h), then the subnet is free` : ''}` });
    return { detail: `revoked ${match.user}` };
  },
};

/** `ignite-net hosts list|revoke <host>`: the overlay's host identities, on the init host (docs/security.md). */
export const hostsCommand: CommandSpec = {
  name: 'hosts',
  changesHost: false,
  steps: () => [loadStateStep('strict'), connectAsRoot, actionStep],
  summary(ctx) {
    const lines = ctx.summaryLines ?? [];
    return { title: ctx.options.hosts?.action === 'revoke' ? 'ignite-net: host revoked' : `ignite-net: ${lines.length} host identit${lines.length === 1 ? 'y' : 'ies'}`, lines, next: [] };
  },
};
