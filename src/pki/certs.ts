import { createHash, createPrivateKey, generateKeyPair, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import ipaddr from 'ipaddr.js';
import {
  bitString, boolean, children, directoryString, explicit, implicitPrimitive, namedBits, octetString, oid, readElement, sequence, set, smallInteger, time, unsignedInteger,
} from './der.js';

/**
 * The overlay's small PKI: one CA made at init, and the certificates it signs for etcd (server and
 * peer) and for clients. ECDSA P-256 keys and signatures from node:crypto, the certificates encoded
 * by der.ts; no openssl. Keys leave this module as PKCS#8 PEM, which etcd and flanneld (Go's
 * crypto/tls) read.
 */

const DAY_MS = 86_400_000;

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** keyUsage's named bits (RFC 5280 4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

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

const newKeys = (): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> => promisify(generateKeyPair)('ec', { namedCurve: 'P-256' });

/** PEM that ends in a newline, so that files of several PEM blocks can be concatenated. */
const pemLine = (pem: string): string => `${pem.trimEnd()}\n`;

function certificatePem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

const keyPem = (key: KeyObject): string => pemLine(key.export({ type: 'pkcs8', format: 'pem' }).toString());

/** A positive 128-bit serial (RFC 5280: positive, at most 20 octets). */
function newSerial(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes;
}

function validity(now: Date, days: number): Buffer {
  // A minute of slack: the other host's clock may be a little behind. Whole seconds, as DER times are.
  const second = Math.floor(now.getTime() / 1000) * 1000;
  return sequence(time(new Date(second - 60_000)), time(new Date(second + days * DAY_MS)));
}

const commonNameOnly = (commonName: string): Buffer => sequence(set(sequence(oid(OID.commonName), directoryString(commonName))));

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** RFC 5280 4.2.1.2's first method: SHA-1 of the subjectPublicKey bits (the EC point). */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const [, subjectPublicKey] = children(readElement(spki).contents);
  if (subjectPublicKey === undefined) throw new Error('SubjectPublicKeyInfo without a key');
  return createHash('sha1').update(subjectPublicKey.contents.subarray(1)).digest();
}

function generalNames(names: readonly string[]): Buffer {
  // dNSName [2] IA5String, iPAddress [7] OCTET STRING: both implicit.
  return sequence(...names.map((name) => (isIP(name) === 0 ? implicitPrimitive(2, Buffer.from(name, 'ascii')) : implicitPrimitive(7, Buffer.from(ipaddr.parse(name).toByteArray())))));
}

interface Template {
  serial: Buffer;
  issuer: Buffer;
  validity: Buffer;
  subject: Buffer;
  publicKey: KeyObject;
  extensions: Buffer[];
}

/** The TBSCertificate (RFC 5280 4.1) of a v3 certificate signed with ecdsa-with-SHA256. */
function tbsCertificate(t: Template): Buffer {
  return sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(t.serial),
    sequence(oid(OID.ecdsaWithSha256)),
    t.issuer,
    t.validity,
    t.subject,
    t.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...t.extensions)),
  );
}

function signed(tbs: Buffer, signingKey: KeyObject): string {
  // node:crypto's EC signatures are DER (ECDSA-Sig-Value), what X.509 carries.
  return certificatePem(sequence(tbs, sequence(oid(OID.ecdsaWithSha256)), bitString(sign('sha256', tbs, signingKey))));
}

interface SelfSignedOptions {
  validDays?: number;
  now?: Date;
}

async function selfSigned(commonName: string, options: SelfSignedOptions, extensions: (publicKey: KeyObject) => Buffer[]): Promise<CertAndKey> {
  const keys = await newKeys();
  const name = commonNameOnly(commonName);
  const tbs = tbsCertificate({ serial: newSerial(), issuer: name, subject: name, validity: validity(options.now ?? new Date(), options.validDays ?? CA_VALID_DAYS), publicKey: keys.publicKey, extensions: extensions(keys.publicKey) });
  return { certPem: signed(tbs, keys.privateKey), keyPem: keyPem(keys.privateKey) };
}

/** A new self-signed CA that may sign end-entity certificates only (path length 0). */
export function createCa(commonName: string, options: SelfSignedOptions = {}): Promise<CertAndKey> {
  return selfSigned(commonName, options, (publicKey) => [
    extension(OID.basicConstraints, true, sequence(boolean(true), smallInteger(0))),
    extension(OID.keyUsage, true, namedBits([KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(publicKey))),
  ]);
}

const endEntity = (usages: readonly string[]): Buffer[] => [
  extension(OID.basicConstraints, true, sequence()),
  extension(OID.keyUsage, true, namedBits([KEY_USAGE.digitalSignature])),
  extension(OID.extKeyUsage, false, sequence(...usages.map(oid))),
];

/**
 * A self-signed client certificate that no one verifies: flanneld turns TLS on only when it has a
 * certificate and a key (docs/security.md), and etcd here asks clients for none.
 */
export function createSelfSignedClient(commonName: string, options: SelfSignedOptions = {}): Promise<CertAndKey> {
  return selfSigned(commonName, options, () => endEntity([OID.clientAuth]));
}

const EXTENDED_USAGES: Record<CertUsage, string[]> = {
  server: [OID.serverAuth],
  client: [OID.clientAuth],
  // etcd members are servers to each other and clients of each other on 2380.
  peer: [OID.serverAuth, OID.clientAuth],
};

/** The subject Name of a certificate, as its DER holds it (a certificate it issues names it so, byte for byte). */
function subjectOf(certDer: Buffer): Buffer {
  const tbs = readElement(readElement(certDer).contents);
  // version [0], serial, signature, issuer, validity, subject
  const subject = children(tbs.contents)[5];
  if (subject === undefined) throw new Error('certificate without a subject');
  return Buffer.from(subject.encoded);
}

/** Signs a new key pair's certificate with the CA. */
export async function issueCert(ca: CertAndKey, request: CertRequest): Promise<CertAndKey> {
  const caCert = new X509Certificate(ca.certPem);
  const keys = await newKeys();
  const names = request.altNames ?? [];
  const tbs = tbsCertificate({
    serial: newSerial(),
    issuer: subjectOf(caCert.raw),
    validity: validity(request.now ?? new Date(), request.validDays),
    subject: commonNameOnly(request.commonName),
    publicKey: keys.publicKey,
    extensions: [
      ...endEntity(EXTENDED_USAGES[request.usage]),
      ...(names.length > 0 ? [extension(OID.subjectAltName, false, generalNames(names))] : []),
      extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(keys.publicKey))),
      extension(OID.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, keyIdentifier(caCert.publicKey)))),
    ],
  });
  return { certPem: signed(tbs, createPrivateKey(ca.keyPem)), keyPem: keyPem(keys.privateKey) };
}
