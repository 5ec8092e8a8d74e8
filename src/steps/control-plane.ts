import type { EtcdAuth } from '../adapters/etcd/auth.js';
import type { EtcdMember, EtcdMembers } from '../adapters/etcd/members.js';
import type { EtcdStore } from '../adapters/etcd/store.js';
import type { HostFiles } from '../adapters/services.js';
import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { PORTS } from '../defaults.js';
import { flannelEndpoints } from '../ha/members.js';
import { etcdEndpoint } from '../net/host-arg.js';
import { openBundle, type ControlPlaneBundle } from '../pki/certificate-key.js';
import { controlPlaneKey, ROOT_USER, tokenUser } from '../pki/etcd-roles.js';
import { caPin } from '../pki/inspect.js';
import { ETCD_SERVER_NAME, pkiLayout, SECRET_DIR_MODE, SECRET_MODE, type PkiLayout } from '../pki/layout.js';
import { sealedExpired } from '../pki/token.js';
import { required, type CommandContext } from './context.js';
import { expiredBox } from './peer-secure.js';
import { ensureMemberCertificate, writeWithUndo } from './pki.js';

/**
 * join --control-plane's bundle (docs/ha.md, "Certificate key and the control-plane bundle"): opened in
 * the peer step, before anything changes; taken and written to this host by its pki step.
 */

const NEW_TOKEN_HINT = 'On a control-plane host run `sudo ignite-net token create --control-plane` and run the join command it prints.';

/** What a control-plane host holds itself (init's, or a control-plane join's): undefined when any part is missing. */
export async function readOwnBundle(files: HostFiles, layout: PkiLayout): Promise<ControlPlaneBundle | undefined> {
  const [caCertPem, caKeyPem, rootText] = await Promise.all([files.readIfExists(layout.caCert), files.readIfExists(layout.caKey), files.readIfExists(layout.rootCredential)]);
  let rootPassword: unknown;
  try {
    rootPassword = rootText === undefined ? undefined : (JSON.parse(rootText) as { password?: unknown }).password;
  } catch {
    rootPassword = undefined;
  }
  return caCertPem !== undefined && caKeyPem !== undefined && typeof rootPassword === 'string' ? { caCertPem, caKeyPem, rootPassword } : undefined;
}

export const rootOf = (bundle: ControlPlaneBundle): EtcdAuth => ({ username: ROOT_USER, password: bundle.rootPassword });

/** The member API on the peer (or on `endpoint`, another member's client URL), as root (from the bundle). */
export function peerMembers(ctx: CommandContext, endpoint?: string): EtcdMembers {
  const { address } = required(ctx.peer, 'peer');
  const security = required(ctx.security, 'the overlay CA');
  const bundle = required(ctx.controlPlane, 'the control-plane bundle').bundle;
  return ctx.services.etcdMembers(endpoint ?? etcdEndpoint(address, PORTS.etcdClient, 'https'), {
    timeoutMs: Math.min(ctx.options.timeoutMs, 10_000),
    tls: { caPem: security.caPem, serverName: ETCD_SERVER_NAME },
    auth: rootOf(bundle),
  });
}

/**
 * With several etcd members, flannel gets every voting member's client URL (docs/ha.md), so it keeps
 * working while one is down: read from ctx.etcdEndpoint's member list (no credential needed) into
 * ctx.members and ctx.flannelEndpoints. An etcd that does not answer it, or a single member, leaves
 * flannel with ctx.etcdEndpoint as it is.
 */
export async function readMembers(ctx: CommandContext, timeoutMs: number): Promise<void> {
  useMembers(ctx, await listMembers(ctx, timeoutMs));
}

/**
 * readMembers' read: the member list, or undefined when etcd does not answer it (never throws); over
 * `over`'s connection when given (a store of ctx.etcdEndpoint that can), else a client of its own.
 */
export async function listMembers(ctx: CommandContext, timeoutMs: number, over?: EtcdStore): Promise<EtcdMember[] | undefined> {
  if (over?.listMembers) return over.listMembers().catch(() => undefined);
  return listMembersAt(ctx, required(ctx.etcdEndpoint, 'etcd endpoint'), ctx.security?.caPem, timeoutMs);
}

/** readMembers at this endpoint, verified against this CA (none: plain HTTP); for join's peer step. */
export async function readMembersAt(ctx: CommandContext, endpoint: string, caPem: string | undefined, timeoutMs: number): Promise<void> {
  useMembers(ctx, await listMembersAt(ctx, endpoint, caPem, timeoutMs));
}

async function listMembersAt(ctx: CommandContext, endpoint: string, caPem: string | undefined, timeoutMs: number): Promise<EtcdMember[] | undefined> {
  const tls = caPem !== undefined ? { tls: { caPem, serverName: ETCD_SERVER_NAME } } : {};
  let members: EtcdMembers | undefined;
  try {
    members = ctx.services.etcdMembers(endpoint, { timeoutMs, ...tls });
    return await members.list();
  } catch {
    return undefined;
  } finally {
    members?.close();
  }
}

/** readMembers' use of what listMembers read. */
export function useMembers(ctx: CommandContext, members: EtcdMember[] | undefined): void {
  ctx.members = members;
  const endpoints = flannelEndpoints(members ?? []);
  if (endpoints.length > 1) ctx.flannelEndpoints = endpoints;
}

/**
 * The peer step's part of a control-plane join: the bundle the certificate key opens (this host's own
 * when an earlier run wrote it), then root's credential from it tried on the member list. Every refusal
 * comes before anything changes. Sets ctx.controlPlane and ctx.members.
 */
export async function openControlPlane(ctx: CommandContext, timeoutMs: number): Promise<void> {
  const { host, address } = required(ctx.peer, 'peer');
  const security = required(ctx.security, 'the overlay CA');
  const { token } = required(ctx.options.join, 'join token');
  const certificateKey = required(ctx.options.controlPlane, '--certificate-key').certificateKey;
  const tls = { caPem: security.caPem, serverName: ETCD_SERVER_NAME };
  const own = await readOwnBundle(ctx.services.files, pkiLayout(ctx.options.stateDir));
  if (own !== undefined && caPin(own.caCertPem) === security.pin) {
    ctx.controlPlane = { bundle: own };
  } else {
    const take = ctx.joining?.tokenStore ?? ctx.services.etcd(etcdEndpoint(address, PORTS.etcdClient, 'https'), { timeoutMs, tls, auth: { username: tokenUser(token.id), password: token.secret } });
    const sealed = await take.get(controlPlaneKey(token.id)).catch((error: unknown) => {
      if (!(error instanceof IgniteError && error.kind === 'permission')) throw error;
      throw new IgniteError('permission', `the token ${token.id}.… is not a control-plane token: it opens no control-plane bundle at ${host}`, { hint: NEW_TOKEN_HINT });
    });
    if (sealed === undefined) {
      throw new IgniteError('permission', `the token ${token.id}.… holds no control-plane bundle: it is a plain token, or its bundle has expired or was taken by another host`, { hint: NEW_TOKEN_HINT });
    }
    const bundle = openBundle(certificateKey, token.id, sealed);
    if (bundle === undefined) {
      throw new IgniteError('permission', `the certificate key does not open the control-plane bundle of token ${token.id}.…`, {
        hint: 'Copy the whole join command, --certificate-key included, exactly as `token create --control-plane` printed it.',
      });
    }
    const now = new Date(ctx.services.clock.now());
    if (sealedExpired(bundle.expiresAt, now)) throw expiredBox(token, host, bundle.expiresAt ?? '', now);
    if (caPin(bundle.caCertPem) !== security.pin) {
      throw new IgniteError('conflict', `the control-plane bundle of token ${token.id}.… holds another CA than the one ${host} presents`, { hint: `Was init run again on ${host}? ${NEW_TOKEN_HINT}` });
    }
    ctx.controlPlane = { bundle, take };
  }
  // Root's credential works (a member change needs it), and the preflight check of the data volume needs the list.
  ctx.members = await peerMembers(ctx).list();
}

/**
 * A control-plane join's certificates, after the identity step: takes the bundle out of etcd (one
 * delete, so one host gets it; given back on a later failure), writes the CA, its key and root's
 * credential (0600 in 0700 dirs, never mounted) and this host's member certificate.
 */
export const controlPlanePkiStep: Step<CommandContext> = {
  id: 'pki',
  title: 'Certificates of an etcd member',
  async run(ctx, io) {
    const cp = required(ctx.controlPlane, 'the control-plane bundle');
    const { files, clock } = ctx.services;
    const layout = pkiLayout(ctx.options.stateDir);
    if (cp.take !== undefined) {
      const take = cp.take;
      const id = required(ctx.options.join, 'join token').token.id;
      const key = controlPlaneKey(id);
      const taken = await take.takeKey(key);
      if (taken === undefined) throw new IgniteError('permission', `the control-plane bundle of token ${id}.… was taken by another host while this one joined`, { hint: NEW_TOKEN_HINT });
      await io.changed({ title: `give the control-plane bundle of token ${id}.… back`, run: async () => void (await take.putBack(key, taken)) });
    }
    for (const dir of [layout.dir, layout.etcdTls.dir]) {
      if ((await files.ensureDir(dir, SECRET_DIR_MODE)) === 'created') await io.changed({ title: `remove ${dir}`, run: async () => void (await files.removeTree(dir)) });
    }
    const { bundle } = cp;
    const wrote = [
      await writeWithUndo(files, io, layout.caKey, bundle.caKeyPem, SECRET_MODE),
      await writeWithUndo(files, io, layout.caCert, bundle.caCertPem, 0o644),
      await writeWithUndo(files, io, layout.rootCredential, `${JSON.stringify(rootOf(bundle))}\n`, SECRET_MODE),
    ].some(Boolean);
    const issued = await ensureMemberCertificate(ctx, io, { certPem: bundle.caCertPem, keyPem: bundle.caKeyPem }, new Date(clock.now()));
    const caWritten = await writeWithUndo(files, io, layout.etcdTls.ca, bundle.caCertPem, 0o644);
    if (!wrote && issued === undefined && !caWritten) ctx.unchanged.add('pki');
    return { detail: [wrote ? 'the CA key and root\'s credential' : undefined, issued].filter(Boolean).join(', ') || 'unchanged' };
  },
};
