// Secrets out of the container log lines ignite-net shows (src/core/redact.ts).
import test from 'ava';
import { REDACTED, redactSecrets } from '../../src/core/redact.js';

const FLANNELD_START =
  'I1202 01:02:03.000000       1 main.go:211] CLI flags config: {etcdEndpoints:https://192.0.2.10:2379 etcdPrefix:/coreos.com/network ' +
  'etcdKeyfile:/etc/ignite-net/flannel/client-key.pem etcdCertfile:/etc/ignite-net/flannel/client.pem etcdCAFile:/etc/ignite-net/flannel/ca.pem ' +
  'etcdUsername:ignite-host-abc123 etcdPassword:s3cret-Pa55 help:false version:false}';

test('flanneld\'s etcdPassword field is redacted without knowing the password; the rest of the line stays', (t) => {
  const line = redactSecrets(FLANNELD_START);
  t.is(line, FLANNELD_START.replace('etcdPassword:s3cret-Pa55', `etcdPassword:${REDACTED}`));
  t.false(line.includes('s3cret'));
  t.true(line.includes('etcdUsername:ignite-host-abc123 '), 'the user name is not secret');
});

test('the field ends at a space or at the closing brace', (t) => {
  t.is(redactSecrets('{etcdUsername:u etcdPassword:abc}'), `{etcdUsername:u etcdPassword:${REDACTED}}`);
  t.is(redactSecrets('etcdPassword:abc def'), `etcdPassword:${REDACTED} def`);
  t.is(redactSecrets('a etcdPassword:x b etcdPassword:y'), `a etcdPassword:${REDACTED} b etcdPassword:${REDACTED}`);
});

test('an empty etcdPassword (no password set) is left as it is', (t) => {
  const line = 'CLI flags config: {etcdUsername: etcdPassword: help:false}';
  t.is(redactSecrets(line), line);
});

test('known secrets are replaced wherever they appear, every time', (t) => {
  t.is(redactSecrets('auth failed for s3cret (s3cret)', ['s3cret']), `auth failed for ${REDACTED} (${REDACTED})`);
  t.is(redactSecrets('password=s3cret-Pa55', ['s3cret', 's3cret-Pa55']), `password=${REDACTED}`, 'the longer secret whole, not its prefix');
  t.is(redactSecrets('nothing here', ['s3cret']), 'nothing here');
});

test('an empty known secret does not redact everything', (t) => {
  t.is(redactSecrets('plain line', ['']), 'plain line');
  t.is(redactSecrets('plain line', []), 'plain line');
});

test('both together: the known value inside the field and elsewhere', (t) => {
  t.is(redactSecrets('{etcdPassword:p4ss} echo p4ss', ['p4ss']), `{etcdPassword:${REDACTED}} echo ${REDACTED}`);
});
