import type { EtcdAdmin } from '../adapters/etcd/admin.js';
import type { Step, StepIO } from '../core/step.js';
import { bootstrapKey, FLANNEL_ROLE, hostUser, tokenKey, tokenPermissions, tokenRole, tokenUser } from '../pki/etcd-roles.js';
import type { TokenRecord } from '../pki/records.js';
import { joinCommand, newPassword, newToken, seal, type JoinToken } from '../pki/token.js';
import { required, type CommandContext } from './context.js';

export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 60 * 60;

export interface CreatedToken {
  token: JoinToken;
  expiresAt: Date;
}

/**
 * A join token (docs/security.md): its user may take one sealed host identity, which etcd deletes by
 * itself when the TTL passes (it lives under an etcd lease of that TTL), so an unused token expires
 * without any process running. Root only.
 */
export async function createJoinToken(admin: EtcdAdmin, ttlSeconds: number, now: Date, changed?: StepIO['changed']): Promise<CreatedToken> {
  const token = newToken();
  const identity = { username: hostUser(token.id), password: newPassword() };
  await admin.ensureUser(identity.username, identity.password, [FLANNEL_ROLE]);
  // One undo for all of it (each removal is a no-op for what was not made yet): nobody has seen the token.
  await changed?.({ title: `take back the unused token ${token.id} (its users, role and keys in etcd)`, run: () => removeUnusedToken(admin, token.id) });
  await admin.ensureRole(tokenRole(token.id), tokenPermissions(token.id));
  await admin.ensureUser(tokenUser(token.id), token.secret, [tokenRole(token.id)]);
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  await admin.putUnderLease(bootstrapKey(token.id), seal(token, JSON.stringify(identity)), ttlSeconds);
  const record: TokenRecord = { id: token.id, user: identity.username, createdAt: now.toISOString(), expiresAt: expiresAt.toISOString() };
  await admin.put(tokenKey(token.id), JSON.stringify(record));
  return { token, expiresAt };
}

/** Everything createJoinToken made, the host identity included (no host has it). */
async function removeUnusedToken(admin: EtcdAdmin, id: string): Promise<void> {
  for (const key of [bootstrapKey(id), tokenKey(id)]) await admin.delete(key);
  await admin.deleteUser(tokenUser(id));
  await admin.deleteRole(tokenRole(id));
  await admin.deleteUser(hostUser(id));
}

/** init's last etcd step: a token for the next host, printed in the summary as the whole join command. */
export const tokenStep: Step<CommandContext> = {
  id: 'token',
  title: 'Make a join token',
  skip: (ctx) => (ctx.options.insecure ? '--insecure: hosts join without a token' : undefined),
  async run(ctx, io) {
    const admin = required(ctx.admin, 'etcd admin');
    const security = required(ctx.security, 'the overlay CA');
    const { token, expiresAt } = await createJoinToken(admin, DEFAULT_TOKEN_TTL_SECONDS, new Date(ctx.services.clock.now()), io.changed);
    const address = required(ctx.advertise, 'advertise address').address;
    ctx.joinCommand = joinCommand(address, token, security.pin);
    if (ctx.state !== undefined && ctx.state.security === undefined) {
      // Upgrading a plain overlay: every other host's flannel still speaks plain HTTP, which etcd now refuses.
      const others = (await admin.listLeases()).map((lease) => lease.publicIP).filter((ip) => ip !== '' && ip !== address);
      ctx.upgrade = { otherHosts: [...new Set(others)].sort() };
    }
    return { detail: `token ${token.id}, valid until ${expiresAt.toISOString().replace(/:\d\d\.\d+Z$/, ' UTC').replace('T', ' ')}` };
  },
};
