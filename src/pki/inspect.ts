import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Reading certificates, with node:crypto only (no certificate library: status, join and the TLS probe
 * load this, and must stay fast to start).
 */

const DAY_MS = 86_400_000;

/**
 * The pin a join token carries, as kubeadm's --discovery-token-ca-cert-hash:
 * `sha256:<hex of the SHA-256 of the CA certificate's DER SubjectPublicKeyInfo>`.
 */
export function caPin(certPem: string | Buffer): string {
  const spki = new NodeX509(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** When a certificate stops being valid. */
export function certExpiry(certPem: string | Buffer): Date {
  return new Date(new NodeX509(certPem).validTo);
}

/** How many days a certificate is still valid for (negative once expired). */
export function daysLeft(certPem: string, now: Date): number {
  return (certExpiry(certPem).getTime() - now.getTime()) / DAY_MS;
}

/**
 * Why a certificate no longer serves, or undefined: not signed by this CA, missing one of the names
 * (IP or DNS) it must cover, or expiring within `renewWithinDays`.
 */
export function certProblem(certPem: string, caPem: string, names: readonly string[], now: Date, renewWithinDays: number): string | undefined {
  let cert: NodeX509;
  try {
    cert = new NodeX509(certPem);
  } catch {
    return 'not a certificate';
  }
  if (!cert.checkIssued(new NodeX509(caPem)) || !cert.verify(new NodeX509(caPem).publicKey)) return 'not signed by this CA';
  const sans = (cert.subjectAltName ?? '').split(', ');
  // Node writes IPv6 addresses in full (0:0:0:0:0:0:0:1), as ipaddr.js's normalized form.
  const missing = names.filter((name) => !sans.includes(isIP(name) === 0 ? `DNS:${name}` : `IP Address:${ipaddr.parse(name).toNormalizedString()}`));
  if (missing.length > 0) return `does not cover ${missing.join(', ')}`;
  const left = daysLeft(certPem, now);
  if (left < renewWithinDays) return left < 0 ? 'expired' : `expires in ${Math.floor(left)} days`;
  return undefined;
}
