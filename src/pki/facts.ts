import { PORTS } from '../defaults.js';

/**
 * What every command says about an overlay's security, in one place, so status, doctor, join,
 * cleanup and logs say it alike (docs/security.md).
 */

/** The one warning for an overlay without TLS and authentication (`init --insecure`, or 0.1). */
export const INSECURE_OVERLAY = {
  message: `etcd serves plain HTTP without authentication (init --insecure): anyone who reaches ${PORTS.etcdClient}/tcp can read and rewrite the overlay`,
  hint: 'Run `sudo ignite-net init` on the init host without --insecure.',
} as const;

/** init renews etcd's certificate this many days before it ends, so status and doctor warn from then on. */
export const CERT_WARN_DAYS = 30;

const DAY_MS = 86_400_000;

/** How etcd's server certificate stands: ok, renew soon (under 30 days), or expired. */
export function serverCertFinding(expiresAt: string, now: number): { severity: 'ok' | 'warning' | 'error'; message: string; hint?: string } {
  const days = (Date.parse(expiresAt) - now) / DAY_MS;
  const date = expiresAt.slice(0, 10);
  const hint = 'Run `sudo ignite-net init` again on the init host: it issues a new one.';
  if (days < 0) return { severity: 'error', message: `etcd's certificate expired on ${date}`, hint };
  if (days < CERT_WARN_DAYS) return { severity: 'warning', message: `etcd's certificate expires in ${Math.floor(days)} days (${date})`, hint };
  return { severity: 'ok', message: `etcd's certificate is valid until ${date} (${Math.floor(days)} days)` };
}
