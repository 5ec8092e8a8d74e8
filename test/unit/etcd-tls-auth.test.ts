import test from 'ava';
import { EtcdAuthenticationFailedError, EtcdPermissionDeniedError, GRPCInvalidArgumentError, GRPCUnavailableError } from 'etcd3';
import { authClientOptions } from '../../src/adapters/etcd/auth.js';
import { normalizeEndpoint, normalizeEndpoints } from '../../src/adapters/etcd/connect.js';
import { EtcdUnreachableError, toIgniteError } from '../../src/adapters/etcd/errors.js';
import { tlsClientOptions } from '../../src/adapters/etcd/tls.js';
import { IgniteError } from '../../src/core/errors.js';
import { FLANNEL_ROLE, flannelPermissions, tokenPermissions, tokenRole } from '../../src/pki/etcd-roles.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const TLS = ['https://10.0.0.11:2379'];
const PLAIN = ['http://10.0.0.11:2379'];

test('with TLS an endpoint without scheme is https://, and an explicit http:// is a usage error naming both', (t) => {
  t.is(normalizeEndpoint('10.0.0.11', true), 'https://10.0.0.11:2379');
  t.is(normalizeEndpoint('10.0.0.11:12379', true), 'https://10.0.0.11:12379');
  t.is(normalizeEndpoint('https://10.0.0.11:2379', true), 'https://10.0.0.11:2379');
  t.is(normalizeEndpoint('10.0.0.11'), 'http://10.0.0.11:2379');
  const error = t.throws(() => normalizeEndpoints(['10.0.0.12', 'http://10.0.0.11:2379'], { tls: { caPem: CA } }), { instanceOf: IgniteError });
  t.is(error?.kind, 'usage');
  t.is(error?.message, 'etcd endpoint "http://10.0.0.11:2379" is plain http:// but TLS to etcd is configured');
  t.regex(error?.hint ?? '', /https:\/\//);
});

test('TLS options: the CA as root certificate; a client certificate only with its key', (t) => {
  const only = tlsClientOptions({ caPem: CA });
  t.deepEqual(only.credentials, { rootCertificate: Buffer.from(CA) });
  const both = tlsClientOptions({ caPem: CA, certPem: 'CERT', keyPem: 'KEY' });
  t.deepEqual(both.credentials, { rootCertificate: Buffer.from(CA), certChain: Buffer.from('CERT'), privateKey: Buffer.from('KEY') });
  t.throws(() => tlsClientOptions({ caPem: CA, certPem: 'CERT' }), { instanceOf: IgniteError, message: /both the certificate and its key/ });
  t.deepEqual(tlsClientOptions({ caPem: CA, serverName: 'etcd.ignite-net' }).grpcOptions, { 'grpc.ssl_target_name_override': 'etcd.ignite-net' });
  t.deepEqual(only.grpcOptions, {});
  t.throws(() => tlsClientOptions({ caPem: CA, serverName: '10.0.0.1/x' }), { instanceOf: IgniteError, message: /not a DNS name/ });
  t.throws(() => tlsClientOptions({ caPem: 'not a pem' }), { instanceOf: IgniteError, message: /not a PEM certificate/ });
});

test('auth options pass user and password; an empty one is a usage error that never shows a password', (t) => {
  t.deepEqual(authClientOptions({ username: 'ignite-host-abc123', password: 'pw' }).auth, { username: 'ignite-host-abc123', password: 'pw' });
  t.throws(() => authClientOptions({ username: ' ', password: 'secret-pw' }), { instanceOf: IgniteError, message: 'an etcd user name is empty' });
  t.throws(() => authClientOptions({ username: 'u', password: '' }), { instanceOf: IgniteError, message: 'the etcd password of user "u" is empty' });
});

test('etcd\'s auth refusals: permission kind (exit 9), one line, a hint', (t) => {
  const cases: Array<[Error, string]> = [
    [new GRPCInvalidArgumentError('3 INVALID_ARGUMENT: etcdserver: user name is empty'), 'etcd at https://10.0.0.11:2379 requires a user name and password (user name is empty)'],
    [new EtcdAuthenticationFailedError('3 INVALID_ARGUMENT: etcdserver: authentication failed, invalid user ID or password'), 'etcd at https://10.0.0.11:2379 does not know this identity (authentication failed)'],
    [new EtcdPermissionDeniedError('7 PERMISSION_DENIED: etcdserver: permission denied'), 'etcd at https://10.0.0.11:2379 refused the request (permission denied)'],
  ];
  for (const [raw, message] of cases) {
    const error = toIgniteError(raw, TLS);
    if (!(error instanceof IgniteError)) return t.fail(String(error));
    t.is(error.message, message);
    t.is(error.exitCode, 9);
    t.truthy(error.hint);
  }
});

test('an old auth revision and auth off are etcd errors that say what happened', (t) => {
  const old = toIgniteError(new GRPCInvalidArgumentError('3 INVALID_ARGUMENT: etcdserver: revision of auth store is old'), TLS);
  t.is((old as IgniteError).message, 'etcd at https://10.0.0.11:2379 changed its users or roles during the request (revision of auth store is old)');
  const off = toIgniteError(new Error('9 FAILED_PRECONDITION: etcdserver: authentication is not enabled'), TLS);
  t.is((off as IgniteError).kind, 'etcd');
  t.regex((off as IgniteError).message, /has authentication off, but this host has credentials for it/);
  const exists = toIgniteError(new Error('9 FAILED_PRECONDITION: etcdserver: role name already exists'), TLS);
  t.is((exists as IgniteError).message, 'etcd at https://10.0.0.11:2379 failed the request (role name already exists)');
});

test('TLS failures are one-line etcd errors that waiting will not fix', (t) => {
  const grpc = (last: string) => new GRPCUnavailableError(`14 UNAVAILABLE: No connection established. Last error: ${last}. Resolution note: `);
  const cases: Array<[Error, string]> = [
    [grpc('Error: self-signed certificate in certificate chain'), "presented a certificate the overlay's CA did not sign (self-signed certificate in certificate chain)"],
    [grpc('Error: unable to verify the first certificate'), "presented a certificate the overlay's CA did not sign (unable to verify the first certificate)"],
    [grpc('Error: certificate has expired'), 'presented a certificate outside its validity (certificate has expired)'],
    [grpc("Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: IP: 10.0.0.11 is not in the cert's list: 10.0.0.12"), 'presented a certificate for another address'],
    [grpc('Error: Client network socket disconnected before secure TLS connection was established'), 'does not speak TLS (connection closed during the TLS handshake)'],
  ];
  for (const [raw, message] of cases) {
    const error = toIgniteError(raw, TLS);
    if (!(error instanceof IgniteError)) return t.fail(String(error));
    t.false(error instanceof EtcdUnreachableError, message);
    t.is(error.kind, 'etcd');
    t.true(error.message.startsWith(`etcd at https://10.0.0.11:2379 ${message}`), error.message);
    t.false(error.message.includes('\n'));
  }
  const reset = toIgniteError(grpc('Error: read ECONNRESET'), TLS);
  if (!(reset instanceof EtcdUnreachableError)) return t.fail(String(reset));
  t.is(reset.reason, 'connection reset; an etcd without TLS does this too');
  t.is((toIgniteError(grpc('Error: read ECONNRESET'), PLAIN) as EtcdUnreachableError).reason, 'connection reset');
  // A plain client at a TLS port: grpc-js only says "Failed to connect"; still worth waiting for (a restart looks alike).
  const plain = toIgniteError(grpc('Failed to connect (2026-12-02T01:26:35.649Z)'), PLAIN);
  if (!(plain instanceof EtcdUnreachableError)) return t.fail(String(plain));
  t.is(plain.reason, "no plain HTTP/2 answer; if it serves TLS, connect with https:// and the overlay's CA");
});

test('roles: flannel reads the config and owns the subnets range without a trailing slash; a token its two keys', (t) => {
  t.is(FLANNEL_ROLE, 'ignite-flannel');
  t.deepEqual(flannelPermissions(), [
    { permission: 'read', key: '/coreos.com/network/config' },
    { permission: 'readwrite', key: '/coreos.com/network/subnets', prefix: true },
  ]);
  t.deepEqual(flannelPermissions('/custom/net/').map((p) => p.key), ['/custom/net/config', '/custom/net/subnets']);
  t.is(tokenRole('abc123'), 'ignite-token-abc123');
  t.deepEqual(tokenPermissions('abc123'), [
    { permission: 'readwrite', key: '/ignite-net/bootstrap/abc123' },
    { permission: 'readwrite', key: '/ignite-net/joins/abc123' },
  ]);
});
