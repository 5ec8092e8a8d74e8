import type { EtcdAuth } from '../adapters/etcd/auth.js';
import type { EtcdTls } from '../adapters/etcd/tls.js';
import type { PresentedCa } from '../adapters/tls-probe.js';
import { IgniteError } from '../core/errors.js';
import { PORTS } from '../defaults.js';
import { etcdEndpoint } from '../net/host-arg.js';
import { bootstrapKey, hostUser, tokenUser } from '../pki/etcd-roles.js';
import { ETCD_SERVER_NAME, pkiLayout } from '../pki/layout.js';
import { open, sealedExpired, type JoinToken } from '../pki/token.js';
import { readHostIdentity } from './auth.js';
import { required, type CommandContext } from './context.js';

/**
 * How this host may talk to the peer's etcd (docs/security.md), decided before anything changes:
 * undefined for an insecure overlay (plain HTTP, joined without a token); else TLS pinned to the CA
 * and an identity — this host's own when it joined this overlay before (join again, doctor), else the
 * one the token opens. Every mismatch is refused with its own line. Sets ctx.security and ctx.joining.
 */
export async function secureAccess(ctx: CommandContext, presented: PresentedCa | Error, timeoutMs: number): Promise<{ tls: EtcdTls; auth?: EtcdAuth } | undefined> {
  const { host, address } = required(ctx.peer, 'peer');
  const join = ctx.options.join;
  const tlsOn = !(presented instanceof Error);
  if (!tlsOn) {
    if (join === undefined) {
      ctx.peerAccess = 'plain';
      return undefined;
    }
    if (ctx.options.controlPlane) {
      throw new IgniteError('usage', `${host} serves etcd over plain HTTP: a control-plane join needs a secure overlay (etcd members authenticate each other by certificate, and this one has none)`, {
        hint: `Run \`sudo ignite-net init\` on ${host} again to secure it, then \`sudo ignite-net token create --control-plane\` there.`,
      });
    }
    throw new IgniteError('usage', `${host} serves etcd over plain HTTP: its overlay is insecure (\`init --insecure\`, or ignite-net 0.1), and a token is for a secure one`, {
      hint: `Join it without --token/--ca-cert-hash, or run \`sudo ignite-net init\` on ${host} again to secure it.`,
    });
  }
  const layout = pkiLayout(ctx.options.stateDir);
  const mine = await readHostIdentity(ctx.services.files, layout);
  const tls = { caPem: presented.caPem, serverName: ETCD_SERVER_NAME };
  const given = join?.caPin ?? ctx.options.caPin;
  const pinned = given ?? ctx.state?.security?.caPin;
  if (join === undefined && (pinned === undefined || mine === undefined)) {
    if (ctx.options.command !== 'doctor') {
      throw new IgniteError('usage', `${host} runs a secure overlay (etcd over TLS, with authentication): join needs its token`, {
        hint: `On ${host} run \`sudo ignite-net token create\` and run the join command it prints here.`,
      });
    }
    // doctor without a credential: TLS pinned to what was presented (and compared when a pin is known), no identity.
    if (pinned !== undefined && presented.pin !== pinned) throw pinMismatch(host, given !== undefined ? 'given with --ca-cert-hash' : 'this host recorded', pinned, presented.pin);
    ctx.security = { caPem: presented.caPem, pin: presented.pin };
    ctx.peerAccess = 'anonymous';
    return { tls };
  }
  if (presented.pin !== pinned) throw pinMismatch(host, join ? 'in the token' : given !== undefined ? 'given with --ca-cert-hash' : 'this host joined', pinned ?? '?', presented.pin);
  ctx.security = { caPem: presented.caPem, pin: presented.pin };
  // Joined this overlay before (with this token, or any token when none is given): the identity is here.
  if (mine !== undefined && (join === undefined || mine.username === hostUser(join.token.id))) {
    ctx.joining = { identity: mine };
    ctx.peerAccess = 'identity';
    return { tls, auth: mine };
  }
  const token = required(join, 'join token').token;
  const tokenStore = ctx.services.etcd(etcdEndpoint(address, PORTS.etcdClient, 'https'), { timeoutMs, tls, auth: { username: tokenUser(token.id), password: token.secret } });
  const identity = await openBox(tokenStore, token, host, new Date(ctx.services.clock.now()));
  ctx.joining = { identity, tokenStore };
  ctx.peerAccess = 'token';
  return { tls, auth: identity };
}

function pinMismatch(host: string, whose: string, expected: string, found: string): IgniteError {
  return new IgniteError('peer', `the CA at ${host}:${PORTS.etcdClient} is not the one ${whose}: ${expected} expected, ${found} found — is someone in between, or was init run again?`, {
    hint: `Check the address, and run \`sudo ignite-net token create\` on ${host} for a join command with its current CA.`,
  });
}

/** The identity `token create` sealed for this token; read, not taken (the identity step takes it). */
async function openBox(tokenStore: { get(key: string): Promise<string | undefined> }, token: JoinToken, host: string, now: Date): Promise<EtcdAuth> {
  const box = await tokenStore.get(bootstrapKey(token.id)).catch((error: unknown) => {
    if (error instanceof IgniteError && error.kind === 'permission') {
      throw new IgniteError('permission', `the token ${token.id}.… is not known to the overlay at ${host}: it was deleted, or is mistyped`, {
        hint: `On ${host} run \`sudo ignite-net token create\` and use the join command it prints.`,
      });
    }
    throw error;
  });
  if (box === undefined) {
    throw new IgniteError('permission', `the token ${token.id}.… has expired or was already used by another host`, {
      hint: `A token joins one host within its TTL: on ${host} run \`sudo ignite-net token create\` for another.`,
    });
  }
  const opened = open(token, box);
  if (opened === undefined) throw new IgniteError('permission', `the token ${token.id}.… does not open what the overlay holds for it`, { hint: 'Copy the whole join command again, exactly as printed.' });
  const sealed = JSON.parse(opened) as EtcdAuth & { expiresAt?: string };
  if (sealedExpired(sealed.expiresAt, now)) throw expiredBox(token, host, sealed.expiresAt ?? '', now);
  return { username: sealed.username, password: sealed.password };
}

/** A box etcd still held past its sealed expiry (its lease not revoked in time), or this host's clock is far ahead. */
export function expiredBox(token: JoinToken, host: string, expiresAt: string, now: Date): IgniteError {
  return new IgniteError('permission', `the token ${token.id}.… has expired: it was valid until ${expiresAt}, and this host's clock says ${now.toISOString()}`, {
    hint: `If this host's clock is right, run \`sudo ignite-net token create\` on ${host} for another; if not, set it (timedatectl) and join again.`,
  });
}
