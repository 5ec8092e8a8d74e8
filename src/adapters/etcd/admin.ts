/**
 * etcd's auth management (users, roles, `auth enable`) for ignite-net's root identity: the store's
 * operations plus these, over one client. Every operation is idempotent: running it again with the
 * same arguments changes nothing in etcd.
 */
import { Etcd3, EtcdAuthenticationFailedError, EtcdRoleExistsError, EtcdRoleNotFoundError, EtcdUserExistsError, EtcdUserNotFoundError, Range, type IPermission } from 'etcd3';
import { IgniteError } from '../../core/errors.js';
import { settled } from '../../core/settled.js';
import { ROOT_ROLE, ROOT_USER, type EtcdPermission } from '../../pki/etcd-roles.js';
import { connectClient, normalizeEndpoints } from './connect.js';
import { Store, type EtcdStore, type EtcdStoreOptions } from './store.js';

export type AuthOutcome = 'enabled' | 'unchanged';
export type EnsureOutcome = 'created' | 'updated' | 'unchanged';

export interface EnsureOptions {
  /**
   * The name was made at random just now (a new token's): it is added without asking first whether it
   * exists, a round trip fewer. Should it exist after all, it is made what was asked for as usual.
   */
  fresh?: boolean;
}

export interface EtcdAdmin extends EtcdStore {
  /**
   * Creates user root with this password (or sets it, while auth is still off), grants it role
   * root and turns auth on; from then on this admin connects as root. Auth already on: only
   * connects as root ('unchanged'), and a wrong root password is refused (kind 'permission').
   * `newData`: this etcd started on data this run made, so auth is off: no login is tried first (a
   * connection and a round trip fewer).
   */
  enableAuth(rootPassword: string, options?: { newData?: boolean }): Promise<AuthOutcome>;
  /** enableAuth's read-only half: auth on and this root password works → true, and this admin is root's; auth off → false. */
  loginAsRoot(rootPassword: string): Promise<boolean>;
  /** Exactly these permissions afterwards: missing ones granted, others revoked. */
  ensureRole(name: string, permissions: readonly EtcdPermission[], options?: EnsureOptions): Promise<EnsureOutcome>;
  /** Deletes the role (users keep their other roles); false when there was none. */
  deleteRole(name: string): Promise<boolean>;
  /** The user with this password and exactly these roles. */
  ensureUser(name: string, password: string, roles: readonly string[], options?: EnsureOptions): Promise<EnsureOutcome>;
  /** An existing user's roles made exactly these (new ones granted before old ones are revoked); its password untouched. */
  ensureUserRoles(name: string, roles: readonly string[]): Promise<EnsureOutcome>;
  /** False when there was no such user. etcd refuses the user's next call, even on a connected client. */
  deleteUser(name: string): Promise<boolean>;
  /** Sorted. */
  listUsers(): Promise<string[]>;
  /** Sorted; undefined when there is no such user. */
  userRoles(name: string): Promise<string[] | undefined>;
}

/** As openEtcd; `options.auth` is root's credentials once auth is on (none before enableAuth). */
export function openEtcdAdmin(endpoint: string | readonly string[], options: EtcdStoreOptions): EtcdAdmin {
  return new Admin(normalizeEndpoints(endpoint, options), options);
}

const PERMISSION_TYPE: Record<EtcdPermission['permission'], IPermission['permType']> = {
  read: 'Read',
  write: 'Write',
  readwrite: 'Readwrite',
};

interface Grant {
  permType: IPermission['permType'];
  key: Buffer;
  rangeEnd: Buffer;
}

const rangeId = (grant: { key: Buffer; rangeEnd: Buffer }): string => `${grant.key.toString('hex')}:${grant.rangeEnd.toString('hex')}`;

function toGrant(permission: EtcdPermission): Grant {
  const key = Buffer.from(permission.key);
  // A single key has an empty range end; a prefix ends where the prefix + 1 begins (etcd3's Range.prefix).
  return { permType: PERMISSION_TYPE[permission.permission], key, rangeEnd: permission.prefix === true ? Range.prefix(key).end : Buffer.alloc(0) };
}

class Admin extends Store implements EtcdAdmin {
  async loginAsRoot(rootPassword: string): Promise<boolean> {
    const asRoot = connectClient(this.endpoints, { ...this.options, auth: { username: ROOT_USER, password: rootPassword } });
    try {
      await this.call(() => asRoot.maintenance.status());
      this.useClient(asRoot);
      return true;
    } catch (error) {
      asRoot.close();
      if (!(error instanceof IgniteError) || !/authentication is not enabled/.test(error.message)) throw error;
      return false;
    }
  }

  async enableAuth(rootPassword: string, options: { newData?: boolean } = {}): Promise<AuthOutcome> {
    const root = { username: ROOT_USER, password: rootPassword };
    if (options.newData !== true && (await this.loginAsRoot(rootPassword))) return 'unchanged';
    const asRoot = connectClient(this.endpoints, { ...this.options, auth: root });
    // Auth is off: bootstrap over a client without credentials (one with them is refused now).
    const open = connectClient(this.endpoints, { timeoutMs: this.options.timeoutMs, ...(this.options.tls ? { tls: this.options.tls } : {}) });
    try {
      await this.call(async () => {
        if ((await this.roles(open, ROOT_USER)) === undefined) {
          await open.auth.userAdd({ name: ROOT_USER, password: rootPassword });
        } else {
          // The password we connect with from now on must be root's, whatever it was before.
          await open.auth.userChangePassword({ name: ROOT_USER, password: rootPassword });
        }
        await open.auth.userGrantRole({ user: ROOT_USER, role: ROOT_ROLE });
        await open.auth.authEnable();
      });
    } finally {
      open.close();
    }
    // Clients without credentials (this admin's own included) get "user name is empty" from now on.
    this.useClient(asRoot);
    return 'enabled';
  }

  async ensureRole(name: string, permissions: readonly EtcdPermission[], options: EnsureOptions = {}): Promise<EnsureOutcome> {
    const wanted = new Map(permissions.map((p) => toGrant(p)).map((g) => [rangeId(g), g]));
    return this.call(async () => {
      let existing: Grant[] | undefined;
      if (options.fresh !== true || !(await this.addRole(name))) {
        try {
          const role = await this.client.auth.roleGet({ role: name });
          existing = role.perm.map((p) => ({ permType: p.permType, key: Buffer.from(p.key), rangeEnd: Buffer.from(p.range_end) }));
        } catch (error) {
          if (!(error instanceof EtcdRoleNotFoundError)) throw error;
          // Another admin created it since: make its permissions ours.
          if (!(await this.addRole(name))) return this.ensureRole(name, permissions);
        }
      }
      const have = new Map((existing ?? []).map((g) => [rangeId(g), g]));
      const revokes = [...have].filter(([id]) => !wanted.has(id)).map(([, grant]) => grant);
      // etcd replaces a grant of the same range, so a changed type needs no revoke first.
      const grants = [...wanted].filter(([id, grant]) => have.get(id)?.permType !== grant.permType).map(([, grant]) => grant);
      // Each set sent at once (etcd applies them one by one, and does not refuse an admin's call for an
      // auth revision that moved under it): one round trip, not one per permission.
      await settled(revokes.map((grant) => this.client.auth.roleRevokePermission({ role: name, key: grant.key, range_end: grant.rangeEnd })));
      await settled(grants.map((grant) => this.client.auth.roleGrantPermission({ name, perm: { permType: grant.permType, key: grant.key, range_end: grant.rangeEnd } })));
      const changed = revokes.length > 0 || grants.length > 0;
      return existing === undefined ? 'created' : changed ? 'updated' : 'unchanged';
    });
  }

  /** False when the role exists already. */
  private async addRole(name: string): Promise<boolean> {
    try {
      await this.client.auth.roleAdd({ name });
      return true;
    } catch (error) {
      if (error instanceof EtcdRoleExistsError) return false;
      throw error;
    }
  }

  async deleteRole(name: string): Promise<boolean> {
    return this.call(async () => {
      try {
        await this.client.auth.roleDelete({ role: name });
        return true;
      } catch (error) {
        if (error instanceof EtcdRoleNotFoundError) return false;
        throw error;
      }
    });
  }

  async ensureUser(name: string, password: string, roles: readonly string[], options: EnsureOptions = {}): Promise<EnsureOutcome> {
    return this.call(async () => {
      if (options.fresh === true && (await this.addUser(name, password))) {
        await this.setRoles(name, [], roles);
        return 'created';
      }
      // The user's roles and whether the password works, asked at once (a round trip fewer; a user that
      // does not exist fails the password check, whose answer is then not needed).
      const [existing, works] = await settled<[string[] | undefined, boolean]>([this.roles(this.client, name), this.passwordWorks(name, password)]);
      let changed = false;
      if (existing === undefined) {
        // Another admin created it since: make it what was asked for.
        if (!(await this.addUser(name, password))) return this.ensureUser(name, password, roles);
      } else if (!works) {
        // Only when it differs: a new password ends the sessions the user has open.
        await this.client.auth.userChangePassword({ name, password });
        changed = true;
      }
      const rolesChanged = await this.setRoles(name, existing ?? [], roles);
      return existing === undefined ? 'created' : changed || rolesChanged ? 'updated' : 'unchanged';
    });
  }

  /** False when the user exists already. */
  private async addUser(name: string, password: string): Promise<boolean> {
    try {
      await this.client.auth.userAdd({ name, password });
      return true;
    } catch (error) {
      if (error instanceof EtcdUserExistsError) return false;
      throw error;
    }
  }

  async ensureUserRoles(name: string, roles: readonly string[]): Promise<EnsureOutcome> {
    return this.call(async () => {
      const existing = await this.roles(this.client, name);
      if (existing === undefined) throw new IgniteError('etcd', `etcd has no user ${name}`, { hint: 'See `ignite-net hosts list`.' });
      return (await this.setRoles(name, existing, roles)) ? 'updated' : 'unchanged';
    });
  }

  /** Grants first, so a user moved from one role to another never has neither. True when something changed. */
  private async setRoles(name: string, have: readonly string[], roles: readonly string[]): Promise<boolean> {
    const grants = [...new Set(roles)].filter((role) => !have.includes(role));
    const revokes = have.filter((role) => !roles.includes(role));
    // Each set at once, every grant done before a revoke is sent.
    await settled(grants.map((role) => this.client.auth.userGrantRole({ user: name, role })));
    await settled(revokes.map((role) => this.client.auth.userRevokeRole({ name, role })));
    return grants.length > 0 || revokes.length > 0;
  }

  async deleteUser(name: string): Promise<boolean> {
    return this.call(async () => {
      try {
        await this.client.auth.userDelete({ name });
        return true;
      } catch (error) {
        if (error instanceof EtcdUserNotFoundError) return false;
        throw error;
      }
    });
  }

  async listUsers(): Promise<string[]> {
    return this.call(async () => [...(await this.client.auth.userList({})).users].sort());
  }

  async userRoles(name: string): Promise<string[] | undefined> {
    return this.call(async () => this.roles(this.client, name));
  }

  private async roles(client: Etcd3, name: string): Promise<string[] | undefined> {
    try {
      return [...(await client.auth.userGet({ name })).roles].sort();
    } catch (error) {
      if (error instanceof EtcdUserNotFoundError) return undefined;
      throw error;
    }
  }

  /** One Authenticate call; etcd answers it whatever token the client carries. */
  private async passwordWorks(name: string, password: string): Promise<boolean> {
    try {
      await this.client.auth.authenticate({ name, password });
      return true;
    } catch (error) {
      if (error instanceof EtcdAuthenticationFailedError) return false;
      throw error;
    }
  }

  private useClient(client: Etcd3): void {
    if (client === this.client) return;
    this.client.close();
    this.client = client;
  }
}
