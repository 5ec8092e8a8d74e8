import test from 'ava';
import { parseFlags } from '../fixtures/flannel-standin/flags.js';
import { cliFlagsLine, etcdClientOptions, NO_CERT_WARNING } from '../fixtures/flannel-standin/etcd-options.js';

const files: Record<string, string> = { '/ca.pem': 'CA', '/c.pem': 'CERT', '/k.pem': 'KEY' };
const read = (path: string): Buffer => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT ${path}`);
  return Buffer.from(text);
};
function optionsFor(argv: string[], env: Record<string, string> = {}): ReturnType<typeof etcdClientOptions> {
  const parsed = parseFlags(argv, env);
  if (parsed.kind !== 'ok') throw new Error(parsed.stderr);
  return etcdClientOptions(parsed.options, read);
}

test('the stand-in turns TLS on only with both --etcd-certfile and --etcd-keyfile, as flanneld', (t) => {
  const https = '--etcd-endpoints=https://127.0.0.1:2379';
  for (const argv of [[https], [https, '--etcd-cafile=/ca.pem'], [https, '--etcd-cafile=/ca.pem', '--etcd-certfile=/c.pem'], [https, '--etcd-cafile=/ca.pem', '--etcd-keyfile=/k.pem']]) {
    const { options, warning } = optionsFor(argv);
    t.is(options.credentials, undefined, argv.join(' '));
    t.is(warning, NO_CERT_WARNING);
  }
  const both = optionsFor([https, '--etcd-cafile=/ca.pem', '--etcd-certfile=/c.pem', '--etcd-keyfile=/k.pem']);
  t.is(both.warning, undefined);
  t.is(both.options.credentials?.rootCertificate.toString(), 'CA');
  t.is(both.options.credentials?.certChain?.toString(), 'CERT');
  t.is(both.options.credentials?.privateKey?.toString(), 'KEY');
  // Without --etcd-cafile: the system roots (grpc's null), as Go's nil RootCAs.
  t.is(optionsFor([https, '--etcd-certfile=/c.pem', '--etcd-keyfile=/k.pem']).options.credentials?.rootCertificate as Buffer | null, null);
});

test('user and password come from flags or FLANNELD_ETCD_* variables, and the start-up line shows them as flanneld does', (t) => {
  const fromEnv = optionsFor(['--etcd-endpoints=https://127.0.0.1:2379'], { FLANNELD_ETCD_USERNAME: 'ignite-host-abc', FLANNELD_ETCD_PASSWORD: 's3cret' });
  t.deepEqual(fromEnv.options.auth, { username: 'ignite-host-abc', password: 's3cret' });
  t.is(optionsFor(['--etcd-endpoints=https://127.0.0.1:2379']).options.auth, undefined);
  const parsed = parseFlags(['--etcd-endpoints=https://127.0.0.1:2379'], { FLANNELD_ETCD_PASSWORD: 's3cret' });
  if (parsed.kind !== 'ok') throw new Error('parse');
  t.regex(cliFlagsLine(parsed.options), /^CLI flags config: \{etcdEndpoints:https:\/\/127\.0\.0\.1:2379 .*etcdPassword:s3cret /);
});
