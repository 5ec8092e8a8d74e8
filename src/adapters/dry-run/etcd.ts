import { IgniteError } from '../../core/errors.js';
import type { EtcdAdmin } from '../etcd/admin.js';
import type { EtcdMembers } from '../etcd/members.js';
import type { EtcdStatus, EtcdStore } from '../etcd/store.js';
import type { DryRunLedger } from './ledger.js';

/**
 * etcd in a dry run. Reads go to the real etcd, except for one this run would start where none runs
 * (ledger.newEtcdUrls): that one answers as a new, empty etcd does. Writes (puts, deletes, leases,
 * users, roles, auth, members) are recorded by key or name, never with their values (a token's box,
 * a password), and read back from an overlay, so a later step sees what an earlier one would write.
 */

/** What the recording store reads from: the real etcd, or nothing (a new etcd). */
type Source = EtcdStore | undefined;

const NEW_ETCD_STATUS: EtcdStatus = { version: '(not started: dry run)', hasLeader: true, dbSizeBytes: 0 };

/** Whether every endpoint is one of an etcd this dry run would start anew. */
export function isNewEtcd(ledger: DryRunLedger, endpoints: string | readonly string[]): boolean {
  const list = [endpoints].flat();
  return list.length > 0 && list.every((url) => ledger.newEtcdUrls.has(url.replace(/\/+$/, '')));
}

export function recordingStore<S extends EtcdStore>(real: S, ledger: DryRunLedger, fresh: boolean): EtcdStore {
  const source: Source = fresh ? undefined : real;
  // key → value, or null for a key this run would delete.
  const overlay = new Map<string, string | null>();
  const where = real.endpoints.join(',');
  const put = (key: string, note = ''): void => {
    ledger.record('etcd', `put etcd key ${key}${note}`);
  };
  const read = async (key: string): Promise<string | undefined> => {
    const known = overlay.get(key);
    if (known !== undefined) return known ?? undefined;
    return source ? source.get(key) : undefined;
  };
  const store: EtcdStore = {
    endpoints: real.endpoints,
    keys: real.keys,
    ping: () => (source ? source.ping() : Promise.resolve(NEW_ETCD_STATUS)),
    async waitUntilReady(timeoutMs, signal) {
      if (source) return source.waitUntilReady(timeoutMs, signal);
      ledger.record('wait', `wait for etcd at ${where} to answer (it is not started in a dry run)`);
      return NEW_ETCD_STATUS;
    },
    getConfig: () => read(real.keys.config),
    // A config this run would write is newer than every lease (their flannel would start before it).
    configRevision: () => (overlay.has(real.keys.config) ? Promise.resolve(Number.MAX_SAFE_INTEGER) : source ? source.configRevision() : Promise.resolve(undefined)),
    async seedConfig(value, options) {
      const existing = await read(real.keys.config);
      if (existing !== undefined && options.equal(existing)) return 'unchanged';
      // A different config and no --force: the real call's conflict, as it would say it.
      if (existing !== undefined && !options.force) return real.seedConfig(value, options);
      put(real.keys.config, ' (the network config)');
      overlay.set(real.keys.config, value);
      return existing === undefined ? 'created' : 'replaced';
    },
    listLeases: () => (source ? source.listLeases() : Promise.resolve([])),
    readLeases: (known) => (source ? source.readLeases(known) : Promise.resolve({ clusterId: '', leases: [], asked: 0, remembered: 0 })),
    async deleteLease(subnet) {
      const leases = await store.listLeases();
      const wanted = subnet.replace('/', '-');
      const lease = leases.find((l) => l.key === subnet || l.key.endsWith(`/${wanted}`) || l.subnet === subnet);
      if (lease === undefined || overlay.get(lease.key) === null) return false;
      ledger.record('etcd', `delete etcd key ${lease.key} (and revoke its etcd lease)`);
      overlay.set(lease.key, null);
      return true;
    },
    get: read,
    async getPrefix(prefix) {
      const found = source ? await source.getPrefix(prefix) : new Map<string, string>();
      for (const [key, value] of overlay) {
        if (!key.startsWith(prefix)) continue;
        if (value === null) found.delete(key);
        else found.set(key, value);
      }
      return found;
    },
    async put(key, value, options) {
      put(key, options?.ttlSeconds === undefined ? '' : ` (on a new etcd lease, TTL ${options.ttlSeconds} s)`);
      overlay.set(key, value);
    },
    async putUnderLease(key, value, ttlSeconds) {
      put(key, ` (on a new etcd lease, TTL ${ttlSeconds} s)`);
      overlay.set(key, value);
    },
    async putAllUnderLease(entries, ttlSeconds) {
      for (const [key, value] of Object.entries(entries)) {
        put(key, ` (on a new etcd lease, TTL ${ttlSeconds} s)`);
        overlay.set(key, value);
      }
    },
    async delete(key) {
      if ((await read(key)) === undefined) return false;
      ledger.record('etcd', `delete etcd key ${key}`);
      overlay.set(key, null);
      return true;
    },
    async createIfAbsent(key, value) {
      if ((await read(key)) !== undefined) return false;
      put(key, ' (if absent, no etcd lease)');
      overlay.set(key, value);
      return true;
    },
    async takeKey(key) {
      const value = await read(key);
      if (value === undefined) return undefined;
      ledger.record('etcd', `take (read and delete) etcd key ${key}`);
      overlay.set(key, null);
      return { value, leaseId: '0' };
    },
    async putBack(key, taken) {
      put(key, ' (put back)');
      overlay.set(key, taken.value);
      return 'restored';
    },
    close: () => real.close(),
  };
  return store;
}

export function recordingAdmin(real: EtcdAdmin, ledger: DryRunLedger, fresh: boolean): EtcdAdmin {
  const base = recordingStore(real, ledger, fresh);
  // user → roles (null: deleted); roles made or deleted.
  const users = new Map<string, string[] | null>();
  const roles = new Map<string, boolean>();
  let authOn = false;
  const rolesOf = async (name: string): Promise<string[] | undefined> => {
    const known = users.get(name);
    if (known !== undefined) return known ?? undefined;
    return fresh ? undefined : real.userRoles(name);
  };
  return {
    ...base,
    async enableAuth(rootPassword) {
      // On a running etcd with auth on, the real call only logs in as root: a read, and it proves the password.
      if (!fresh && (await real.loginAsRoot(rootPassword))) {
        authOn = true;
        return 'unchanged';
      }
      ledger.record('etcd', 'create etcd user root (role root; password not shown), turn etcd auth on');
      users.set('root', ['root']);
      return 'enabled';
    },
    loginAsRoot: (rootPassword) => (fresh ? Promise.resolve(false) : real.loginAsRoot(rootPassword)),
    async ensureRole(name, permissions) {
      // etcd's roles cannot be listed here: on an etcd that has auth on already, "make sure" is what is known.
      const known = roles.get(name) === true || (authOn && !fresh);
      ledger.record('etcd', `${known ? 'make sure etcd role' : 'create etcd role'} ${name} grants exactly`, permissions.map((p) => `${p.permission} ${p.key}${p.prefix === true ? ' (prefix)' : ''}`));
      roles.set(name, true);
      return known ? 'unchanged' : 'created';
    },
    async deleteRole(name) {
      if (roles.get(name) === false) return false;
      ledger.record('etcd', `delete etcd role ${name}`);
      roles.set(name, false);
      return true;
    },
    async ensureUser(name, _password, wanted, options) {
      // A fresh name is not looked up, as the real call does not look it up.
      const before = options?.fresh === true ? users.get(name) ?? undefined : await rolesOf(name);
      const same = before !== undefined && before.join(',') === [...wanted].sort().join(',');
      ledger.record('etcd', `${before === undefined ? 'create etcd user' : 'make sure of the password and roles of etcd user'} ${name} (roles ${wanted.join(', ') || 'none'}; password not shown)`);
      users.set(name, [...wanted].sort());
      return before === undefined ? 'created' : same ? 'unchanged' : 'updated';
    },
    async ensureUserRoles(name, wanted) {
      const before = await rolesOf(name);
      if (before === undefined) throw new IgniteError('etcd', `etcd user ${name} does not exist`);
      if (before.join(',') === [...wanted].sort().join(',')) return 'unchanged';
      ledger.record('etcd', `set the roles of etcd user ${name} to ${wanted.join(', ')}`);
      users.set(name, [...wanted].sort());
      return 'updated';
    },
    async deleteUser(name) {
      if ((await rolesOf(name)) === undefined) return false;
      ledger.record('etcd', `delete etcd user ${name}`);
      users.set(name, null);
      return true;
    },
    async listUsers() {
      const listed = new Set(fresh ? [] : await real.listUsers());
      for (const [name, value] of users) {
        if (value === null) listed.delete(name);
        else listed.add(name);
      }
      return [...listed].sort();
    },
    userRoles: rolesOf,
  };
}

export function recordingMembers(real: EtcdMembers, ledger: DryRunLedger, fresh: boolean): EtcdMembers {
  return {
    endpoints: real.endpoints,
    list: () => (fresh ? Promise.resolve([]) : real.list()),
    async addLearner(peerUrl, options) {
      const members = fresh ? [] : await real.list();
      const found = members.find((m) => m.peerUrls.includes(peerUrl));
      if (found) return { member: found, members, added: false };
      ledger.record('etcd', `add an etcd learner member with peer URL ${peerUrl}`);
      void options;
      const member = { id: '(new member)', name: '', peerUrls: [peerUrl], clientUrls: [], isLearner: true };
      return { member, members: [...members, member], added: true };
    },
    async promote(id) {
      ledger.record('etcd', `promote etcd member ${id} to a voting member (once it has caught up)`);
      return 'promoted';
    },
    async updatePeerUrls(id, peerUrls) {
      ledger.record('etcd', `set the peer URLs of etcd member ${id} to ${peerUrls.join(', ')}`);
    },
    async remove(id) {
      ledger.record('etcd', `remove etcd member ${id} from the cluster`);
      return true;
    },
    endpointStatus: (endpoints, timeoutMs) => real.endpointStatus(endpoints, timeoutMs),
    statusOfMembers: (timeoutMs) => (fresh ? Promise.resolve([]) : real.statusOfMembers(timeoutMs)),
    close: () => real.close(),
  };
}
