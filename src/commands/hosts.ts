import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { pickLease } from '../net/lease.js';
import { hostUser, joinKey, revokedKey } from '../pki/etcd-roles.js';
import { parseJoinRecord, recordTime, type JoinRecord, type RevokedRecord } from '../pki/records.js';
import { required, type CommandContext } from '../steps/context.js';
import { loadStateStep } from '../steps/state.js';
import { removeHostIdentity } from '../steps/host-record.js';
import { connectAsRoot } from '../steps/root-access.js';
import type { CommandSpec } from './command.js';

/** How long a revocation record outlives the lease it is about. */
const REVOKED_RECORD_SLACK_SECONDS = 600;

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
  async run(ctx, io) {
    const admin = required(ctx.admin, 'etcd admin');
    const action = required(ctx.options.hosts, 'hosts action');
    const identities = await hostIdentities(ctx);
    const lines = (ctx.summaryLines = [] as { label: string; value: string }[]);
    if (action.action === 'list') {
      for (const h of identities) {
        lines.push({ label: h.user, value: h.address ? `${h.address} (${h.hostname ?? '?'})${h.joinedAt ? `, joined ${recordTime(h.joinedAt)}` : ''}${h.subnet ? `, lease ${h.subnet}` : ', no lease'}` : 'not used yet (its token was not used)' });
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
    await removeHostIdentity(admin, match.user);
    const lease = match.address === undefined ? undefined : pickLease((await admin.readLeases()).leases, match.address);
    let until = '';
    if (lease && match.address !== undefined && lease.ttlSeconds !== undefined && lease.ttlSeconds > 0) {
      const now = ctx.services.clock.now();
      const record: RevokedRecord = { user: match.user, address: match.address, hostname: match.hostname ?? '?', subnet: lease.subnet, at: new Date(now).toISOString(), leaseExpiresAt: new Date(now + lease.ttlSeconds * 1000).toISOString() };
      // Gone by itself a little after the lease: by then etcd has dropped the lease too.
      await admin.putUnderLease(revokedKey(match.user.slice(hostUser('').length)), JSON.stringify(record), lease.ttlSeconds + REVOKED_RECORD_SLACK_SECONDS).catch((error: unknown) => {
        io.warn(`status will not mark ${lease.subnet} as revoked: ${error instanceof Error ? error.message : String(error)}`);
      });
      until = ` (at the latest ${recordTime(record.leaseExpiresAt)})`;
    }
    lines.push({ label: 'revoked', value: `${match.user} (${match.address ?? '?'}): etcd refuses it from its next call${match.subnet ? `; its lease ${match.subnet} stays until flannel fails to renew it${until || ' (within 24 h)'}, then the subnet is free` : ''}` });
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
