import { execFile } from 'node:child_process';
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createCa, createSelfSignedClient, issueCert, type CertAndKey } from '../../src/pki/certs.js';
import { children, namedBits, oid, readElement, sequence, time, unsignedInteger } from '../../src/pki/der.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

test('DER: lengths past one and two bytes, OIDs, non-negative integers, named bits and times as X.690 and RFC 5280 write them', (t) => {
  t.is(sequence(Buffer.alloc(5)).subarray(0, 2).toString('hex'), '3005');
  t.is(sequence(Buffer.alloc(200)).subarray(0, 3).toString('hex'), '3081c8');
  t.is(sequence(Buffer.alloc(300)).subarray(0, 4).toString('hex'), '3082012c');
  t.is(oid('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
  t.is(oid('2.5.29.37').toString('hex'), '0603551d25');
  t.is(unsignedInteger(Buffer.from([0x80, 1])).toString('hex'), '0203008001', 'a set top bit gets a 0x00 first');
  t.is(unsignedInteger(Buffer.from([0, 0, 5])).toString('hex'), '020105', 'leading zeros dropped');
  t.is(namedBits([0]).toString('hex'), '03020780');
  t.is(namedBits([0, 5, 6]).toString('hex'), '03020186');
  t.is(namedBits([8]).toString('hex'), '0303070080');
  t.is(time(new Date('2036-11-30T13:28:36.789Z')).toString('latin1').slice(2), '361130132836Z');
  t.is(time(new Date('2050-01-01T00:00:00Z')).toString('latin1').slice(2), '20500101000000Z', 'GeneralizedTime from 2050');
  const read = readElement(sequence(oid('2.5.4.3'), Buffer.from('0500', 'hex')));
  t.deepEqual(children(read.contents).map((e) => e.tag), [0x06, 0x05]);
  t.throws(() => readElement(Buffer.from('3005000000', 'hex')), { message: 'DER: truncated' });
});

/** The TBSCertificate of a certificate: what is signed, and what two encoders of the same request must agree on byte for byte. */
const tbsOf = (pem: string): string => readElement(readElement(new X509Certificate(pem).raw).contents).encoded.toString('hex');

/** The same certificate made by @peculiar/x509 (what certs.ts used before der.ts): same key, serial, validity and extensions. */
async function peculiarTwin(made: CertAndKey, issuer: CertAndKey | undefined, extensions: (keys: CryptoKeyPair) => Promise<x509.Extension[]>): Promise<string> {
  const ours = new X509Certificate(made.certPem);
  const alg = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const privateKey = (await webcrypto.subtle.importKey('pkcs8', createPrivateKey(made.keyPem).export({ type: 'pkcs8', format: 'der' }), alg, true, ['sign'])) as CryptoKey;
  const publicKey = (await webcrypto.subtle.importKey('spki', ours.publicKey.export({ type: 'spki', format: 'der' }), alg, true, ['verify'])) as CryptoKey;
  const keys = { privateKey, publicKey } as CryptoKeyPair;
  const common = { serialNumber: ours.serialNumber.toLowerCase(), notBefore: new Date(ours.validFrom), notAfter: new Date(ours.validTo), signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' }, extensions: await extensions(keys) };
  if (issuer === undefined) return (await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: ours.subject, keys })).toString('pem');
  const caKey = (await webcrypto.subtle.importKey('pkcs8', createPrivateKey(issuer.keyPem).export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign'])) as CryptoKey;
  return (await x509.X509CertificateGenerator.create({ ...common, subject: ours.subject, issuer: new x509.X509Certificate(issuer.certPem).subject, publicKey, signingKey: caKey })).toString('pem');
}

test('the CA, an etcd member (IPv4, IPv6 and DNS names) and flannel\'s client certificate encode exactly as @peculiar/x509 encoded them', async (t) => {
  const ca = await createCa('ignite-net CA');
  const caTwin = await peculiarTwin(ca, undefined, async (keys) => [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ]);
  t.is(tbsOf(ca.certPem), tbsOf(caTwin));

  const altNames = ['10.231.97.11', '127.0.0.1', '::1', 'fd00::a:1', 'ignite-etcd', `${'a-very-long-host-name-'.repeat(8)}x`];
  for (const usage of ['server', 'client', 'peer'] as const) {
    const member = await issueCert(ca, { commonName: 'ignite-etcd', usage, altNames, validDays: 365 });
    const usages = { server: [x509.ExtendedKeyUsage.serverAuth], client: [x509.ExtendedKeyUsage.clientAuth], peer: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth] }[usage];
    const twin = await peculiarTwin(member, ca, async (keys) => [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(usages),
      new x509.SubjectAlternativeNameExtension(altNames.map((value) => ({ type: isIP(value) === 0 ? 'dns' : 'ip', value }) as x509.JsonGeneralName)),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(await new x509.X509Certificate(ca.certPem).publicKey.export()),
    ]);
    t.is(tbsOf(member.certPem), tbsOf(twin), usage);
  }

  // A name outside PrintableString's alphabet is a UTF8String, as @peculiar/x509 wrote it.
  const client = await createSelfSignedClient('flannel_ümlaut');
  const clientTwin = await peculiarTwin(client, undefined, async () => [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);
  t.is(tbsOf(client.certPem), tbsOf(clientTwin));
});

test('openssl verifies an issued certificate against the CA, for its purpose, and reads back its names and usages', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ignite-der-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const ca = await createCa('ignite-net CA');
  // An IPv4-mapped IPv6 address too (@peculiar/x509 wrote ::ffff:10.0.0.1 as ::ffff:0:10).
  const member = await issueCert(ca, { commonName: 'ignite-etcd', usage: 'peer', altNames: ['10.0.0.1', '::1', '::ffff:10.0.0.1', 'node1'], validDays: 30 });
  const client = await issueCert(ca, { commonName: 'host', usage: 'client', validDays: 30 });
  await writeFile(join(dir, 'ca.pem'), ca.certPem);
  await writeFile(join(dir, 'member.pem'), member.certPem);
  await writeFile(join(dir, 'client.pem'), client.certPem);
  const openssl = (args: string[]) => promisify(execFile)('openssl', args, { cwd: dir });
  t.regex((await openssl(['verify', '-CAfile', 'ca.pem', '-purpose', 'sslserver', 'member.pem'])).stdout, /member\.pem: OK/);
  t.regex((await openssl(['verify', '-CAfile', 'ca.pem', '-purpose', 'sslclient', 'member.pem'])).stdout, /member\.pem: OK/);
  await t.throwsAsync(openssl(['verify', '-CAfile', 'ca.pem', '-purpose', 'sslserver', 'client.pem']), undefined, 'a client certificate is no server\'s');
  const text = (await openssl(['x509', '-in', 'member.pem', '-noout', '-text'])).stdout;
  t.regex(text, /IP Address:10\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1, IP Address:0:0:0:0:0:FFFF:A00:1, DNS:node1/);
  t.regex(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
  t.regex(text, /Basic Constraints: critical\s+CA:FALSE/);
  t.regex((await openssl(['x509', '-in', 'ca.pem', '-noout', '-text'])).stdout, /CA:TRUE, pathlen:0[\s\S]*Certificate Sign, CRL Sign/);
});
