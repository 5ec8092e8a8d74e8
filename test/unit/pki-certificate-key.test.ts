import test from 'ava';
import { IgniteError } from '../../src/core/errors.js';
import { newCertificateKey, openBundle, parseCertificateKey, sealBundle } from '../../src/pki/certificate-key.js';

const bundle = { caCertPem: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n', caKeyPem: '-----BEGIN PRIVATE KEY-----\ny\n-----END PRIVATE KEY-----\n', rootPassword: 'r00t' };

test('a certificate key is 32 random bytes as 64 hex digits', (t) => {
  const key = newCertificateKey();
  t.regex(key, /^[0-9a-f]{64}$/);
  t.not(newCertificateKey(), key);
  t.is(parseCertificateKey(` ${key.toUpperCase()} `), key);
});

test('a malformed --certificate-key is a usage error that does not repeat it', (t) => {
  const bad = 'abc123notakey';
  const error = t.throws(() => parseCertificateKey(bad), { instanceOf: IgniteError });
  t.is(error?.kind, 'usage');
  t.false(error?.message.includes(bad));
  t.regex(error?.hint ?? '', /token create --control-plane/);
});

test('the bundle opens with its key and token id only', (t) => {
  const key = newCertificateKey();
  const sealed = sealBundle(key, 'abcdef', bundle);
  t.false(sealed.includes('r00t'));
  t.false(sealed.includes('PRIVATE KEY'));
  t.deepEqual(openBundle(key, 'abcdef', sealed), bundle);
  t.is(openBundle(newCertificateKey(), 'abcdef', sealed), undefined, 'another key');
  t.is(openBundle(key, 'abcdeg', sealed), undefined, 'another token id');
  const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
  t.is(openBundle(key, 'abcdef', tampered), undefined, 'tampered');
  t.is(openBundle(key, 'abcdef', 'garbage'), undefined);
  t.not(sealBundle(key, 'abcdef', bundle), sealed, 'a fresh IV each time');
});
