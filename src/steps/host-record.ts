import type { EnsureOptions, EtcdAdmin } from '../adapters/etcd/admin.js';
import type { EtcdStore } from '../adapters/etcd/store.js';
import { IgniteError } from '../core/errors.js';
import type { StepIO } from '../core/step.js';
import { FLANNEL_ROLE, hostPermissions, hostRecordKey, hostRole, hostUser } from '../pki/etcd-roles.js';
import type { HostRecord } from '../pki/records.js';
import { required, type CommandContext } from './context.js';

/**
 * Each host's own etcd role and record (docs/ha.md, "Member list refresh"): the role lets the host's
 * identity write its record and nothing else beyond flannel's keys; the record says which client URLs
 * its flannel was started with, so a control-plane host can tell who points at an old member list.
 */

/** Root: the host identity's own role, made (or corrected) with its permissions. */
export async function ensureHostRole(admin: EtcdAdmin, user: string, options?: EnsureOptions): Promise<'created' | 'updated' | 'unchanged'> {
  return admin.ensureRole(hostRole(user), hostPermissions(user), options);
}

/**
 * Root: host identities made before per-host roles (with the shared ignite-flannel role) get their own;
 * the role is granted before the old one is revoked, so flannel is never without permissions. Returns
 * how many were converted; idempotent.
 */
export async function convertHostRoles(admin: EtcdAdmin): Promise<number> {
  return convertSurveyed(admin, await surveyHostRoles(admin));
}

/** Every host identity with its roles (undefined: gone since the list), sorted by name. */
export type HostRolesSurvey = readonly (readonly [user: string, roles: readonly string[] | undefined])[];

/**
 * convertHostRoles' reads. `except`: a user the caller is making itself while this reads (init's own:
 * its roles may be half-granted), left out; add it with withOwnIdentity once it is made.
 */
export async function surveyHostRoles(admin: EtcdAdmin, except?: string): Promise<HostRolesSurvey> {
  const users = (await admin.listUsers()).filter((u) => u.startsWith(hostUser('')) && u !== except);
  // One round trip for all the reads (init again reads every host's roles; most need nothing).
  const rolesOf = await Promise.all(users.map((user) => admin.userRoles(user)));
  return users.map((user, i) => [user, rolesOf[i]] as const);
}

/** The survey with a user just made with its own role alone, in its place by name. */
export function withOwnIdentity(survey: HostRolesSurvey, user: string): HostRolesSurvey {
  return [...survey.filter(([name]) => name !== user), [user, [hostRole(user)]] as const].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** convertHostRoles' changes, from its reads. */
export async function convertSurveyed(admin: EtcdAdmin, survey: HostRolesSurvey): Promise<number> {
  let converted = 0;
  // A role of its own made by an older ignite-net lacks later grants (the fixed-subnet records): brought up to date.
  const current: Promise<unknown>[] = [];
  for (const [user, roles] of survey) {
    if (roles === undefined) continue;
    if (roles.length === 1 && roles[0] === hostRole(user)) {
      current.push(ensureHostRole(admin, user));
      continue;
    }
    await ensureHostRole(admin, user);
    await admin.ensureUserRoles(user, [hostRole(user)]);
    converted += 1;
  }
  await Promise.all(current);
  return converted;
}

/** For a step's detail: what convertHostRoles did, when it did anything. */
export const convertedNote = (converted: number): string => (converted === 0 ? '' : `; ${converted} older host identit${converted === 1 ? 'y' : 'ies'} given a role of ${converted === 1 ? 'its' : 'their'} own`);

/** Root: a host identity and all that goes with it (its role and record); the shared role stays for others. */
export async function removeHostIdentity(admin: EtcdAdmin, user: string): Promise<void> {
  await admin.deleteUser(user);
  if (hostRole(user) !== FLANNEL_ROLE) await admin.deleteRole(hostRole(user));
  await admin.delete(hostRecordKey(user));
}

/**
 * This host's record, written as this host's identity (root on the init host) once flannel runs with
 * its endpoints; undone to what was there. An identity from before per-host roles may not write it:
 * then there is no record (status shows "endpoint list unknown") until a control-plane host converts
 * it (`token`, `hosts` or `init` there) and this join runs again.
 */
export async function writeHostRecord(ctx: CommandContext, io: StepIO): Promise<'written' | 'unchanged' | 'not permitted' | 'insecure'> {
  if (!ctx.security || ctx.identity === undefined) return 'insecure';
  const store = required(ctx.store, 'etcd store');
  const key = hostRecordKey(ctx.identity);
  const endpoints = ctx.flannelEndpoints ?? [required(ctx.etcdEndpoint, 'etcd endpoint')];
  const record: HostRecord = { address: required(ctx.advertise, 'advertise address').address, hostname: ctx.services.network.hostName(), endpoints, updated: new Date(ctx.services.clock.now()).toISOString() };
  try {
    const before = await store.get(key);
    if (before !== undefined && sameEndpoints(before, record)) return 'unchanged';
    await store.put(key, JSON.stringify(record));
    await io.changed({ title: `put back this host's record in etcd (${key})`, run: async () => void (before === undefined ? await store.delete(key) : await store.put(key, before)) });
    return 'written';
  } catch (error) {
    if (error instanceof IgniteError && error.kind === 'permission') return 'not permitted';
    throw error;
  }
}

function sameEndpoints(text: string, record: HostRecord): boolean {
  try {
    const old = JSON.parse(text) as Partial<HostRecord>;
    return old.address === record.address && old.hostname === record.hostname && JSON.stringify(old.endpoints) === JSON.stringify(record.endpoints);
  } catch {
    return false;
  }
}

/**
 * cleanup, with the lease: this host's record goes too, deleted as this host's identity (its role lets
 * it) or as root on a control-plane host, so no record of a host that left stays in etcd. An identity
 * from before per-host roles may not delete it: it stays (status lists no record of a host without a
 * lease) until `hosts revoke` on a control-plane host removes it with the identity.
 */
export async function removeOwnHostRecord(store: EtcdStore, user: string): Promise<'removed' | 'none' | 'not permitted'> {
  try {
    return (await store.delete(hostRecordKey(user))) ? 'removed' : 'none';
  } catch (error) {
    if (error instanceof IgniteError && error.kind === 'permission') return 'not permitted';
    throw error;
  }
}
