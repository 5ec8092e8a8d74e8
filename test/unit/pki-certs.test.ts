import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import test from 'ava';
import { createCa, createSelfSignedClient, issueCert } from '../../src/pki/certs.js';
import { caPin, certExpiry, certProblem } from '../../src/pki/inspect.js';

/** A TLS handshake on loopback: the server demands a client certificate signed by `trustedCa`. */
async function handshake(server: { certPem: string; keyPem: string }, trustedCa: string, client: { ca: string; cert?: string; key?: string; servername?: string }): Promise<string> {
  const srv = tls.createServer({ cert: server.certPem, key: server.keyPem, ca: trustedCa, requestCert: true, rejectUnauthorized: true }, (socket) => socket.end('hello'));
  srv.on('tlsClientError', () => undefined);
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as AddressInfo;
  try {
    return await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: client.ca, cert: client.cert, key: client.key, servername: client.servername }, () => undefined);
      let data = '';
      socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
      socket.on('end', () => (data === '' ? reject(new Error('closed without data')) : resolve(data)));
      socket.on('error', reject);
    });
  } finally {
    srv.close();
  }
}

test('a CA signs server, client and peer certificates that a TLS handshake on loopback accepts', async (t) => {
  const ca = await createCa('ignite-net CA');
  const server = await issueCert(ca, { commonName: 'etcd', usage: 'server', altNames: ['127.0.0.1', '::1', 'localhost'], validDays: 30 });
  const client = await issueCert(ca, { commonName: 'host-abc123', usage: 'client', validDays: 30 });
  t.is(await handshake(server, ca.certPem, { ca: ca.certPem, cert: client.certPem, key: client.keyPem }), 'hello');

  const caCert = new X509Certificate(ca.certPem);
  t.true(caCert.ca);
  for (const issued of [server, client]) {
    const cert = new X509Certificate(issued.certPem);
    t.true(cert.checkIssued(caCert));
    t.true(cert.verify(caCert.publicKey));
    t.false(cert.ca);
    t.true(issued.keyPem.startsWith('-----BEGIN PRIVATE KEY-----'));
  }
  const serverCert = new X509Certificate(server.certPem);
  t.regex(serverCert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  t.regex(serverCert.subjectAltName ?? '', /DNS:localhost/);
  t.is(serverCert.subject, 'CN=etcd');
  t.is(new X509Certificate(client.certPem).subject, 'CN=host-abc123');
});

test('a server certificate of another CA, or a client without a certificate, fails the handshake', async (t) => {
  const ca = await createCa('ignite-net CA');
  const other = await createCa('someone else');
  const server = await issueCert(ca, { commonName: 'etcd', usage: 'server', altNames: ['127.0.0.1'], validDays: 30 });
  const client = await issueCert(ca, { commonName: 'host', usage: 'client', validDays: 30 });
  // The server sends its CA along (it trusts it for clients): a client that trusts another CA sees a foreign root.
  await t.throwsAsync(handshake(server, ca.certPem, { ca: other.certPem, cert: client.certPem, key: client.keyPem }), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
  await t.throwsAsync(handshake(server, ca.certPem, { ca: ca.certPem }));
  // A client certificate of the other CA is refused by the server.
  const foreign = await issueCert(other, { commonName: 'host', usage: 'client', validDays: 30 });
  await t.throwsAsync(handshake(server, ca.certPem, { ca: ca.certPem, cert: foreign.certPem, key: foreign.keyPem }));
});

test('a client certificate is not a server certificate', async (t) => {
  const ca = await createCa('ignite-net CA');
  const notServer = await issueCert(ca, { commonName: 'etcd', usage: 'client', altNames: ['127.0.0.1'], validDays: 30 });
  const client = await issueCert(ca, { commonName: 'host', usage: 'client', validDays: 30 });
  await t.throwsAsync(handshake(notServer, ca.certPem, { ca: ca.certPem, cert: client.certPem, key: client.keyPem }));
});

test('caPin is the SHA-256 of the DER SubjectPublicKeyInfo, different per CA, the same for the CA\'s PEM and DER', async (t) => {
  const ca = await createCa('ignite-net CA');
  const other = await createCa('ignite-net CA');
  const pin = caPin(ca.certPem);
  t.regex(pin, /^sha256:[0-9a-f]{64}$/);
  t.not(pin, caPin(other.certPem));
  t.is(caPin(new X509Certificate(ca.certPem).raw), pin);
  // What openssl computes for kubeadm's hash: sha256 over `openssl x509 -pubkey | openssl pkey -pubin -outform der`.
  const { createHash } = await import('node:crypto');
  const spki = new X509Certificate(ca.certPem).publicKey.export({ type: 'spki', format: 'der' });
  t.is(pin, `sha256:${createHash('sha256').update(spki).digest('hex')}`);
});

test('validity follows validDays and the given clock', async (t) => {
  const now = new Date('2026-01-01T00:00:00Z');
  const ca = await createCa('ca', { now, validDays: 10 });
  t.is(certExpiry(ca.certPem).toISOString(), '2026-01-11T00:00:00.000Z');
  const leaf = await issueCert(ca, { commonName: 'x', usage: 'peer', validDays: 2, now });
  t.is(certExpiry(leaf.certPem).toISOString(), '2026-01-03T00:00:00.000Z');
});

test('certProblem says why a member certificate must be issued again, and nothing when it serves', async (t) => {

  const now = new Date('2026-06-01T00:00:00Z');
  const ca = await createCa('ca', { now });
  const member = await issueCert(ca, { commonName: 'm', usage: 'peer', altNames: ['10.0.0.1', '127.0.0.1', '::1', 'node1'], validDays: 365, now });
  t.is(certProblem(member.certPem, ca.certPem, ['10.0.0.1', '::1', 'node1'], now, 30), undefined);
  t.is(certProblem(member.certPem, ca.certPem, ['10.0.0.2'], now, 30), 'does not cover 10.0.0.2');
  t.is(certProblem(member.certPem, (await createCa('other', { now })).certPem, [], now, 30), 'not signed by this CA');
  t.is(certProblem(member.certPem, ca.certPem, [], new Date('2027-05-15T00:00:00Z'), 30), 'expires in 17 days');
  t.is(certProblem(member.certPem, ca.certPem, [], new Date('2027-07-01T00:00:00Z'), 30), 'expired');
  t.is(certProblem('garbage', ca.certPem, [], now, 30), 'not a certificate');
  // flannel's throwaway client certificate: self-signed, not a CA, client auth only.
  const client = new X509Certificate((await createSelfSignedClient('flannel')).certPem);
  t.false(client.ca);
  t.is(client.subject, client.issuer);
  t.true(client.verify(client.publicKey));
});
