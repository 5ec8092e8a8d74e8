import type { EtcdAuth } from '../adapters/etcd/auth.js';
import type { AuthOutcome, EnsureOutcome, EtcdAdmin } from '../adapters/etcd/admin.js';
import { settled } from '../core/settled.js';
import type { HostFiles } from '../adapters/services.js';
import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { hostRole, hostUser, ROOT_USER } from '../pki/etcd-roles.js';
import { ETCD_SERVER_NAME, pkiLayout, SECRET_MODE, type PkiLayout } from '../pki/layout.js';
import { newPassword, newToken } from '../pki/token.js';
import { required, type CommandContext } from './context.js';
import { convertedNote, convertSurveyed, ensureHostRole, surveyHostRoles, withOwnIdentity, type HostRolesSurvey } from './host-record.js';
import { writeAllWithUndo, writeWithUndo, type FileWrite } from './pki.js';

/** The root credential init keeps on this host (0600, never mounted), made on the first run. */
async function rootCredential(files: HostFiles, layout: PkiLayout): Promise<{ auth: EtcdAuth; made: boolean }> {
  const text = await files.readIfExists(layout.rootCredential);
  if (text === undefined) return { auth: { username: ROOT_USER, password: newPassword() }, made: true };
  try {
    const parsed = JSON.parse(text) as Partial<EtcdAuth>;
    if (typeof parsed.username === 'string' && typeof parsed.password === 'string') return { auth: { username: parsed.username, password: parsed.password }, made: false };
  } catch {
    // reported below
  }
  throw new IgniteError('conflict', `${layout.rootCredential} is corrupt`, {
    hint: 'It holds etcd\'s root password; restore it from a backup. Without it this host cannot manage the overlay\'s users.',
  });
}

/** This host's own etcd identity (flannel's), as the files flannel reads hold it; undefined before the first run. */
export async function readHostIdentity(files: HostFiles, layout: PkiLayout): Promise<EtcdAuth | undefined> {
  const [username, password] = await Promise.all([files.readIfExists(layout.flannelTls.username), files.readIfExists(layout.flannelTls.password)]);
  return username !== undefined && password !== undefined ? { username: username.trim(), password } : undefined;
}

export async function writeHostIdentity(files: HostFiles, io: Parameters<Step<CommandContext>['run']>[1], layout: PkiLayout, identity: EtcdAuth, alongside: readonly FileWrite[] = []): Promise<void> {
  await writeAllWithUndo(files, io, [
    ...alongside,
    { path: layout.flannelTls.password, content: identity.password, mode: SECRET_MODE },
    { path: layout.flannelTls.username, content: `${identity.username}\n`, mode: 0o644 },
  ]);
}

/**
 * init's etcd auth (docs/security.md): root with the password kept here, the role flannel needs, and
 * this host's own identity for its flannel; then `auth enable`. From here on the command's store is
 * root's. Running it again changes nothing.
 */
export const authStep: Step<CommandContext> = {
  id: 'auth',
  title: 'etcd users and roles',
  skip: (ctx) => (ctx.options.insecure ? '--insecure: no etcd authentication' : undefined),
  async run(ctx, io) {
    const { files } = ctx.services;
    const layout = pkiLayout(ctx.options.stateDir);
    const security = required(ctx.security, 'the overlay CA');
    const root = await rootCredential(files, layout);
    const rootText = `${JSON.stringify(root.auth)}\n`;
    // On a volume from before this run (upgrading a plain overlay) auth may be on with this password by
    // the time the run fails: the credential then stays, as cleanup keeps it beside a kept volume, or no
    // later init could get into the data. A volume this run made goes with its undo, and so does this.
    if (root.made && ctx.etcdVolumeCreated === true) await writeWithUndo(files, io, layout.rootCredential, rootText, SECRET_MODE);
    else if (root.made) await files.writeFileAtomic(layout.rootCredential, rootText, SECRET_MODE);
    const admin: EtcdAdmin = ctx.services.etcdAdmin(required(ctx.etcdEndpoint, 'etcd endpoint'), { timeoutMs: 5_000, tls: { caPem: security.caPem, serverName: ETCD_SERVER_NAME } });
    const [enabled, kept] = await settled<[AuthOutcome, EtcdAuth | undefined]>([admin.enableAuth(root.auth.password, { newData: ctx.etcdVolumeCreated === true }), readHostIdentity(files, layout)]);
    const identity = kept ?? { username: hostUser(newToken().id), password: newPassword() };
    // This host's own role (docs/ha.md): flannel's permissions and its record; then older identities are
    // converted (and every host role brought up to date). The other identities' roles are read beside
    // this host's own (two round trips fewer); what is changed, in the order it was before.
    // A new identity's name was made at random just now: its role and user are added without a lookup first.
    const fresh = { fresh: kept === undefined };
    const own = async (): Promise<[EnsureOutcome, EnsureOutcome]> => {
      const role = await ensureHostRole(admin, identity.username, fresh);
      if (role === 'created') await io.changed({ title: `remove etcd role ${hostRole(identity.username)}`, run: async () => void (await admin.deleteRole(hostRole(identity.username))) });
      const user = await admin.ensureUser(identity.username, identity.password, [hostRole(identity.username)], fresh);
      if (user === 'created') await io.changed({ title: `remove etcd user ${identity.username}`, run: async () => void (await admin.deleteUser(identity.username)) });
      await writeHostIdentity(files, io, layout, identity);
      return [role, user];
    };
    const [[role, user], survey] = await settled<[[EnsureOutcome, EnsureOutcome], HostRolesSurvey]>([own(), surveyHostRoles(admin, identity.username)]);
    const converted = await convertSurveyed(admin, withOwnIdentity(survey, identity.username));
    ctx.store?.close();
    ctx.store = admin;
    ctx.admin = admin;
    ctx.identity = identity.username;
    if (enabled === 'unchanged' && role === 'unchanged' && user === 'unchanged' && converted === 0) ctx.unchanged.add('auth');
    return { detail: `auth ${enabled === 'enabled' ? 'enabled' : 'on'}, this host is ${identity.username}${convertedNote(converted)}` };
  },
};
