import type { EtcdAdmin } from '../adapters/etcd/admin.js';
import type { Step, StepIO } from '../core/step.js';
import { newCertificateKey, sealBundle, type ControlPlaneBundle } from '../pki/certificate-key.js';
import { bootstrapKey, controlPlaneKey, hostRole, hostUser, joinKey, tokenKey, tokenPermissions, tokenRole, tokenUser } from '../pki/etcd-roles.js';
import { parseTokenRecord, recordTime, type TokenRecord } from '../pki/records.js';
import { joinCommand, newPassword, newToken, seal, type JoinToken } from '../pki/token.js';
import { settled } from '../core/settled.js';
import { required, type CommandContext } from './context.js';
import { ensureHostRole, removeHostIdentity } from './host-record.js';

export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 60 * 60;

export interface CreatedToken {
  token: JoinToken;
  expiresAt: Date;
  /** A control-plane token's certificate key: for the printed join command only, stored nowhere. */
  certificateKey?: string;
}

/**
 * A join token (docs/security.md): its user may take one sealed host identity, which etcd deletes by
 * itself when the TTL passes (it lives under an etcd lease of that TTL), so an unused token expires
 * without any process running. Root only. With a bundle, a control-plane token (docs/ha.md): the
 * bundle sealed with a new certificate key on the same lease, which its user may take as well.
 */
export async function createJoinToken(admin: EtcdAdmin, ttlSeconds: number, now: Date, changed?: StepIO['changed'], bundle?: ControlPlaneBundle): Promise<CreatedToken> {
  const token = newToken();
  const identity = { username: hostUser(token.id), password: newPassword() };
  // One undo for all of it, before any of it (each removal is a no-op for what was not made yet): nobody has seen the token.
  await changed?.({ title: `take back the unused token ${token.id} (its users, roles and keys in etcd)`, run: async () => void (await deleteToken(admin, token.id)) });
  // The host identity and the token's user do not depend on each other: made side by side (half the round trips).
  await settled<[void, void]>([
    (async () => {
      await ensureHostRole(admin, identity.username, { fresh: true });
      await admin.ensureUser(identity.username, identity.password, [hostRole(identity.username)], { fresh: true });
    })(),
    (async () => {
      await admin.ensureRole(tokenRole(token.id), tokenPermissions(token.id, bundle !== undefined), { fresh: true });
      await admin.ensureUser(tokenUser(token.id), token.secret, [tokenRole(token.id)], { fresh: true });
    })(),
  ]);
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  const certificateKey = bundle ? newCertificateKey() : undefined;
  // The expiry goes inside each box as well as on its lease (pki/token.ts sealedExpired).
  const boxes: Record<string, string> = { [bootstrapKey(token.id)]: seal(token, JSON.stringify({ ...identity, expiresAt: expiresAt.toISOString() })) };
  if (bundle && certificateKey) boxes[controlPlaneKey(token.id)] = sealBundle(certificateKey, token.id, { ...bundle, expiresAt: expiresAt.toISOString() });
  const record: TokenRecord = { id: token.id, user: identity.username, createdAt: now.toISOString(), expiresAt: expiresAt.toISOString(), ...(bundle ? { controlPlane: true } : {}) };
  // The boxes and the record side by side: the undo above takes back either.
  await settled<[void, void]>([admin.putAllUnderLease(boxes, ttlSeconds), admin.put(tokenKey(token.id), JSON.stringify(record))]);
  return { token, expiresAt, ...(certificateKey ? { certificateKey } : {}) };
}

/**
 * Root: a token and its boxes, user and role. An unused token's host identity goes with it; a used one
 * stays the host's (until `hosts revoke`), as does the record of the join (`hosts list` reads it).
 */
export async function deleteToken(admin: EtcdAdmin, id: string): Promise<'used' | 'unused'> {
  const used = (await admin.get(joinKey(id))) !== undefined;
  await admin.deleteUser(tokenUser(id));
  await admin.deleteRole(tokenRole(id));
  if (!used) await removeHostIdentity(admin, hostUser(id));
  for (const key of [bootstrapKey(id), controlPlaneKey(id), tokenKey(id)]) await admin.delete(key);
  return used ? 'used' : 'unused';
}

/** The ids of the token users root has made (`ignite-token-<id>`). */
export async function tokenIds(admin: EtcdAdmin): Promise<string[]> {
  return (await admin.listUsers()).filter((u) => u.startsWith(tokenUser(''))).map((u) => u.slice(tokenUser('').length));
}

/** After its expiry a token waits this long to be swept: a join that opened it just before may still be recording itself. */
export const TOKEN_SWEEP_GRACE_MS = 10 * 60 * 1000;

/** Whether a token's record says it expired more than the grace ago; a token without a readable record is kept. */
export function sweepable(record: TokenRecord | undefined, now: Date): boolean {
  const at = record === undefined ? Number.NaN : Date.parse(record.expiresAt);
  return !Number.isNaN(at) && now.getTime() > at + TOKEN_SWEEP_GRACE_MS;
}

/**
 * Root: deletes the tokens that have expired. etcd drops an expired token's boxes with their lease, but
 * its user and role stay, and lease expiry has had bugs (pki/token.ts sealedExpired): a leaked token
 * should authenticate no longer than its TTL. Run by init and `token create|list`; returns the ids.
 */
export async function sweepExpiredTokens(admin: EtcdAdmin, now: Date): Promise<string[]> {
  const ids = await tokenIds(admin);
  const records = await Promise.all(ids.map((id) => admin.get(tokenKey(id))));
  const swept = ids.filter((_, i) => sweepable(parseTokenRecord(records[i]), now)).sort();
  for (const id of swept) await deleteToken(admin, id);
  return swept;
}

/** For a step's detail: what sweepExpiredTokens did, when it did anything. */
export const sweptNote = (swept: readonly string[]): string => (swept.length === 0 ? '' : `; ${swept.length} expired token${swept.length === 1 ? '' : 's'} removed (${swept.join(', ')})`);

/** init's last etcd step: a token for the next host, printed in the summary as the whole join command. */
export const tokenStep: Step<CommandContext> = {
  id: 'token',
  title: 'Make a join token',
  skip: (ctx) => (ctx.options.insecure ? '--insecure: hosts join without a token' : undefined),
  async run(ctx, io) {
    const admin = required(ctx.admin, 'etcd admin');
    const security = required(ctx.security, 'the overlay CA');
    const now = new Date(ctx.services.clock.now());
    // The sweep touches expired tokens only, the new one is not among them: both at once.
    const [swept, { token, expiresAt }] = await settled<[string[], CreatedToken]>([sweepExpiredTokens(admin, now), createJoinToken(admin, DEFAULT_TOKEN_TTL_SECONDS, now, io.changed)]);
    const address = required(ctx.advertise, 'advertise address').address;
    ctx.joinCommand = joinCommand(address, token, security.pin);
    if (ctx.state !== undefined && ctx.state.security === undefined) {
      // Upgrading a plain overlay: every other host's flannel still speaks plain HTTP, which etcd now refuses.
      const others = (await admin.listLeases()).map((lease) => lease.publicIP).filter((ip) => ip !== '' && ip !== address);
      ctx.upgrade = { otherHosts: [...new Set(others)].sort() };
    }
    return { detail: `token ${token.id}, valid until ${recordTime(expiresAt.toISOString())}${sweptNote(swept)}` };
  },
};
