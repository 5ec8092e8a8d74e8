import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import type * as X509 from '@peculiar/x509';

/**
 * The overlay's small PKI: one CA made at init, and the certificates it signs for etcd (server and
 * peer) and for clients. ECDSA P-256 keys from node:crypto, certificates from @peculiar/x509; no
 * openssl. Keys leave this module as PKCS#8 PEM, which etcd and flanneld (Go's crypto/tls) read.
 */

// Loaded at the first certificate made (~0.8 MB of bundle with its ASN.1 schemas and tsyringe): most
// runs make none (init again, join again, cleanup, status, doctor), and each would pay for its load.
let x509Module: Promise<typeof X509> | undefined;
function loadX509(): Promise<typeof X509> {
  x509Module ??= (async () => {
    await import('reflect-metadata');
    const loaded = (await import('@peculiar/x509')) as typeof X509 & { default?: typeof X509 };
    // The bundle's chunk of this CommonJS package gives its exports as the default; Node (tsx) gives them named.
    const x509 = loaded.default ?? loaded;
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    return x509;
  })();
  return x509Module;
}

/**
 * Starts loading what making a certificate needs (~40–70 ms of module evaluation, all on this thread),
 * for a command that is about to wait anyway and will make one after the wait: the load then fills
 * the wait instead of adding to the step. A failed load is reported by the certificate call.
 */
export function preloadCertificates(): void {
  loadX509().catch(() => undefined);
}

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** A certificate with its private key, both PEM. */
export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

export type CertUsage = 'server' | 'client' | 'peer';

export interface CertRequest {
  commonName: string;
  usage: CertUsage;
  /** Subject alternative names: IP literals and DNS names, in one list. */
  altNames?: readonly string[];
  validDays: number;
  /** Default now; tests pass a fixed clock. */
  now?: Date;
}

export const CA_VALID_DAYS = 3650;
export const CERT_VALID_DAYS = 365;

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** PEM that ends in a newline, so that files of several PEM blocks can be concatenated. */
const pemLine = (pem: string): string => `${pem.trimEnd()}\n`;

async function keyToPem(x509: typeof X509, key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey));
  return pemLine(x509.PemConverter.encode(der, 'PRIVATE KEY'));
}

async function pemToSigningKey(x509: typeof X509, keyPem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(keyPem);
  return (await webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign'])) as CryptoKey;
}

/** A positive 128-bit serial (RFC 5280: positive, at most 20 octets). */
function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f | 0x01;
  return bytes.toString('hex');
}

function validity(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  // A minute of slack: the other host's clock may be a little behind.
  return { notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + days * DAY_MS) };
}

interface SelfSignedOptions {
  validDays?: number;
  now?: Date;
}

async function selfSigned(commonName: string, options: SelfSignedOptions, extensions: (x509: typeof X509, keys: CryptoKeyPair) => Promise<X509.Extension[]>): Promise<CertAndKey> {
  const x509 = await loadX509();
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerial(),
    name: [{ CN: [commonName] }],
    ...validity(options.now ?? new Date(), options.validDays ?? CA_VALID_DAYS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: await extensions(x509, keys),
  });
  return { certPem: pemLine(cert.toString('pem')), keyPem: await keyToPem(x509, keys.privateKey) };
}

/** A new self-signed CA that may sign end-entity certificates only (path length 0). */
export function createCa(commonName: string, options: SelfSignedOptions = {}): Promise<CertAndKey> {
  return selfSigned(commonName, options, async (x509, keys) => [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ]);
}

/**
 * A self-signed client certificate that no one verifies: flanneld turns TLS on only when it has a
 * certificate and a key (docs/security.md), and etcd here asks clients for none.
 */
export function createSelfSignedClient(commonName: string, options: SelfSignedOptions = {}): Promise<CertAndKey> {
  return selfSigned(commonName, options, async (x509) => [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);
}

const extendedUsages = (x509: typeof X509): Record<CertUsage, string[]> => ({
  server: [x509.ExtendedKeyUsage.serverAuth],
  client: [x509.ExtendedKeyUsage.clientAuth],
  // etcd members are servers to each other and clients of each other on 2380.
  peer: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
});

/** Signs a new key pair's certificate with the CA. */
export async function issueCert(ca: CertAndKey, request: CertRequest): Promise<CertAndKey> {
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.certPem);
  const keys = await newKeys();
  const names = (request.altNames ?? []).map((name) => ({ type: isIP(name) === 0 ? 'dns' : 'ip', value: name }) as X509.JsonGeneralName);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: newSerial(),
    subject: [{ CN: [request.commonName] }],
    issuer: caCert.subject,
    ...validity(request.now ?? new Date(), request.validDays),
    publicKey: keys.publicKey,
    signingKey: await pemToSigningKey(x509, ca.keyPem),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(extendedUsages(x509)[request.usage]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(await caCert.publicKey.export()),
    ],
  });
  return { certPem: pemLine(cert.toString('pem')), keyPem: await keyToPem(x509, keys.privateKey) };
}

