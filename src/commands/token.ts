import { IgniteError } from '../core/errors.js';
import type { SummaryLine } from '../core/events.js';
import type { Step } from '../core/step.js';
import type { ControlPlaneBundle } from '../pki/certificate-key.js';
import { bootstrapKey, joinKey, tokenKey } from '../pki/etcd-roles.js';
import { pkiLayout } from '../pki/layout.js';
import { parseJoinRecord, parseTokenRecord, recordTime } from '../pki/records.js';
import { joinCommand } from '../pki/token.js';
import { required, type CommandContext } from '../steps/context.js';
import { readOwnBundle } from '../steps/control-plane.js';
import { connectAsRoot } from '../steps/root-access.js';
import { loadStateStep } from '../steps/state.js';
import { createJoinToken, deleteToken, sweepExpiredTokens, sweptNote, tokenIds } from '../steps/token.js';
import type { CommandSpec } from './command.js';

/** What a control-plane join needs (docs/ha.md): only a host that has the CA key and root's credential can give it. */
async function readBundle(ctx: CommandContext): Promise<ControlPlaneBundle> {
  const layout = pkiLayout(ctx.options.stateDir);
  const bundle = await readOwnBundle(ctx.services.files, layout);
  if (bundle === undefined) {
    const missing = (await ctx.services.files.exists(layout.caKey)) ? `etcd's root credential (${layout.rootCredential}) is not readable` : `the overlay CA's key (${layout.caKey}) is not`;
    throw new IgniteError('usage', `token create --control-plane runs on a control-plane host: ${missing} on this host`, {
      hint: `Run it on ${ctx.state?.peer ?? 'the init host'}.`,
    });
  }
  return bundle;
}

const actionStep: Step<CommandContext> = {
  id: 'token',
  title: 'Join tokens',
  async run(ctx, io) {
    const admin = required(ctx.admin, 'etcd admin');
    const action = required(ctx.options.token, 'token action');
    const now = new Date(ctx.services.clock.now());
    const tokens = ctx.summaryLines ?? (ctx.summaryLines = []);
    const swept = action.action === 'delete' ? [] : await sweepExpiredTokens(admin, now);
    if (action.action === 'create') {
      const state = required(ctx.state, 'state');
      const bundle = action.controlPlane ? await readBundle(ctx) : undefined;
      const { token, expiresAt, certificateKey } = await createJoinToken(admin, Math.round(ctx.options.ttlMs / 1000), now, io.changed, bundle);
      // The only place the certificate key ever appears: the command the operator asked for.
      ctx.joinCommand = joinCommand(state.advertiseAddress, token, state.security?.caPin ?? '', certificateKey);
      return { detail: `${bundle ? 'control-plane ' : ''}token ${token.id}, valid until ${recordTime(expiresAt.toISOString())}${sweptNote(swept)}` };
    }
    const ids = await tokenIds(admin);
    if (action.action === 'delete') {
      const id = required(action.id, 'token id');
      if (!ids.includes(id)) throw new IgniteError('usage', `there is no token ${id}`, { hint: 'See `ignite-net token list`.' });
      const used = (await deleteToken(admin, id)) === 'used';
      tokens.push({ label: id, value: used ? 'deleted; the host that joined with it keeps its identity (`hosts revoke` takes that back)' : 'deleted, with the host identity it would have opened: it can no longer be used' });
      return { detail: `deleted ${id}` };
    }
    for (const id of ids.sort()) {
      const [meta, joined, unused] = await Promise.all([admin.get(tokenKey(id)), admin.get(joinKey(id)), admin.get(bootstrapKey(id))]);
      const record = parseTokenRecord(meta);
      const host = parseJoinRecord(joined);
      const fate = host
        ? `used by ${host.address} (${host.hostname}) at ${recordTime(host.at)}`
        : unused !== undefined
          ? `unused, expires ${record ? recordTime(record.expiresAt) : '?'}`
          : 'expired unused (it opens nothing now)';
      tokens.push({ label: id, value: `${record?.controlPlane === true ? 'control-plane, ' : ''}created ${record ? recordTime(record.createdAt) : '?'}; ${fate}` });
    }
    return { detail: `${ids.length} token${ids.length === 1 ? '' : 's'}${sweptNote(swept)}` };
  },
};

/** `ignite-net token create|list|delete`: join tokens, made and kept in etcd by root (docs/security.md). */
export const tokenCommand: CommandSpec = {
  name: 'token',
  changesHost: false,
  steps: () => [loadStateStep('strict'), connectAsRoot, actionStep],
  summary(ctx) {
    if (ctx.joinCommand) {
      const controlPlane = ctx.options.token?.controlPlane === true;
      return {
        title: controlPlane ? 'ignite-net: a control-plane join token for one host' : 'ignite-net: a join token for one host',
        lines: [],
        next: [controlPlane ? 'On the host to join as a control-plane member (within the token\'s TTL; keep the command secret):' : 'On the host to join (within the token\'s TTL):', ctx.joinCommand],
      };
    }
    const lines: SummaryLine[] = ctx.summaryLines ?? [];
    return { title: ctx.options.token?.action === 'delete' ? 'ignite-net: token deleted' : `ignite-net: ${lines.length} join token${lines.length === 1 ? '' : 's'}`, lines, next: [] };
  },
};
