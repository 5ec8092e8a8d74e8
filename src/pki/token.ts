import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomInt } from 'node:crypto';
import { IgniteError } from '../core/errors.js';

/**
 * Join tokens in kubeadm's form, `<id>.<secret>` (`[a-z0-9]{6}.[a-z0-9]{16}`), and the sealed box a
 * token opens: the host identity `token create` leaves in etcd, encrypted with a key derived from the
 * secret (docs/security.md). Pure apart from the randomness.
 */

export interface JoinToken {
  id: string;
  secret: string;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const PIN_RE = /^sha256:[0-9a-f]{64}$/;

function randomText(length: number): string {
  let text = '';
  for (let i = 0; i < length; i += 1) text += ALPHABET[randomInt(ALPHABET.length)];
  return text;
}

export function newToken(): JoinToken {
  return { id: randomText(6), secret: randomText(16) };
}

export const formatToken = (token: JoinToken): string => `${token.id}.${token.secret}`;

/** The token as given to `--token`; the error never repeats the secret. */
export function parseToken(text: string): JoinToken {
  const match = TOKEN_RE.exec(text.trim());
  if (!match?.[1] || !match[2]) {
    throw new IgniteError('usage', '--token is not a join token (expected 6 + 16 lower-case letters and digits, as abcdef.0123456789abcdef)', {
      hint: 'Copy the whole join command that `ignite-net init` or `ignite-net token create` printed on the init host.',
    });
  }
  return { id: match[1], secret: match[2] };
}

export function parseCaPin(text: string): string {
  const pin = text.trim().toLowerCase();
  if (!PIN_RE.test(pin)) {
    throw new IgniteError('usage', `--ca-cert-hash "${text}" is not a CA pin (expected sha256: and 64 hex digits)`, {
      hint: 'Copy the whole join command that `ignite-net init` or `ignite-net token create` printed on the init host.',
    });
  }
  return pin;
}

/** The join command for another host, exactly as init and `token create` print it. */
export function joinCommand(address: string, token: JoinToken, pin: string, certificateKey?: string): string {
  const controlPlane = certificateKey === undefined ? '' : ` --control-plane --certificate-key ${certificateKey}`;
  return `sudo ignite-net join ${address} --token ${formatToken(token)} --ca-cert-hash ${pin}${controlPlane}`;
}

const SEAL_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function boxKey(token: JoinToken): Buffer {
  return Buffer.from(hkdfSync('sha256', token.secret, token.id, 'ignite-net join token v1', 32));
}

/** AES-256-GCM with a key from the token; the token id is bound in as associated data. */
export function seal(token: JoinToken, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', boxKey(token), iv);
  cipher.setAAD(Buffer.from(token.id));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${SEAL_VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

/** undefined when the box was not sealed for this token (wrong secret, other id, tampered). */
export function open(token: JoinToken, sealed: string): string | undefined {
  const [version, data] = sealed.split('.');
  if (version !== String(SEAL_VERSION) || data === undefined) return undefined;
  const bytes = Buffer.from(data, 'base64url');
  if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', boxKey(token), bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(token.id));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * A sealed box's own expiry, checked by the host that opens it: etcd deletes a box when its lease runs
 * out, but lease expiry has had bugs (etcd-io/etcd#13975, #11123), so the expiry sealed (and so
 * authenticated) inside the box stops an honest joiner all the same. The leeway keeps a joining host
 * whose clock runs a little ahead from refusing a box etcd still holds.
 */
export const SEALED_EXPIRY_LEEWAY_MS = 5 * 60 * 1000;

/** true when `expiresAt` (ISO; absent in boxes made before it was sealed) lies more than the leeway before `now`. */
export function sealedExpired(expiresAt: string | undefined, now: Date): boolean {
  if (expiresAt === undefined) return false;
  const at = Date.parse(expiresAt);
  return Number.isNaN(at) || now.getTime() > at + SEALED_EXPIRY_LEEWAY_MS;
}

/** A strong random password for an etcd user (never shown). */
export function newPassword(): string {
  return randomBytes(24).toString('base64url');
}
