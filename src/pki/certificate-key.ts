import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { IgniteError } from '../core/errors.js';

/**
 * The certificate key of a control-plane join token and the bundle it opens (docs/ha.md): 32 random
 * bytes, shown as 64 hex digits in the join command and stored nowhere; the bundle (CA certificate and
 * key, root's credential) sealed with AES-256-GCM under HKDF-SHA256(key, salt = token id), the token id
 * bound in as associated data. Pure apart from the randomness.
 */

export interface ControlPlaneBundle {
  caCertPem: string;
  caKeyPem: string;
  rootPassword: string;
  /** When the token that carries it expires (pki/token.ts sealedExpired); absent in bundles made before. */
  expiresAt?: string;
}

const KEY_RE = /^[0-9a-f]{64}$/;
const SEAL_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const INFO = 'ignite-net control-plane v1';

/** A new certificate key, as `--certificate-key` takes it. */
export function newCertificateKey(): string {
  return randomBytes(32).toString('hex');
}

/** `--certificate-key` checked; the error never repeats the key. */
export function parseCertificateKey(text: string): string {
  const key = text.trim().toLowerCase();
  if (!KEY_RE.test(key)) {
    throw new IgniteError('usage', '--certificate-key is not a certificate key (expected 64 hex digits)', {
      hint: 'Copy the whole join command that `ignite-net token create --control-plane` printed on a control-plane host.',
    });
  }
  return key;
}

function boxKey(certificateKey: string, tokenId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(parseCertificateKey(certificateKey), 'hex'), tokenId, INFO, 32));
}

export function sealBundle(certificateKey: string, tokenId: string, bundle: ControlPlaneBundle): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', boxKey(certificateKey, tokenId), iv);
  cipher.setAAD(Buffer.from(tokenId));
  const body = Buffer.concat([cipher.update(JSON.stringify(bundle), 'utf8'), cipher.final()]);
  return `${SEAL_VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

/** undefined when the box was not sealed with this key for this token id (or was tampered with). */
export function openBundle(certificateKey: string, tokenId: string, sealed: string): ControlPlaneBundle | undefined {
  const [version, data] = sealed.split('.');
  if (version !== String(SEAL_VERSION) || data === undefined) return undefined;
  const bytes = Buffer.from(data, 'base64url');
  if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', boxKey(certificateKey, tokenId), bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(tokenId));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  let text: string;
  try {
    text = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
  const parsed: unknown = JSON.parse(text);
  const b = parsed as Partial<ControlPlaneBundle>;
  if (typeof b.caCertPem !== 'string' || typeof b.caKeyPem !== 'string' || typeof b.rootPassword !== 'string') return undefined;
  return { caCertPem: b.caCertPem, caKeyPem: b.caKeyPem, rootPassword: b.rootPassword, ...(typeof b.expiresAt === 'string' ? { expiresAt: b.expiresAt } : {}) };
}
