// `ignite-net logs` through its real code path (runLogs → DockerClient.logStream → LogDecoder) on a fake
// Docker: what it prints is redacted, the tail and --follow alike.
import { PassThrough } from 'node:stream';
import test from 'ava';
import { runLogs } from '../../src/commands/logs.js';
import { CONTAINER_NAMES, LABELS } from '../../src/defaults.js';
import { parseArgs } from '../../src/args.js';
import type { ReporterStreams } from '../../src/ui/reporter.js';
import { INSECURE_OVERLAY } from '../../src/pki/facts.js';
import { fakeServices } from '../_helpers/fakes.js';

const PASSWORD = 'Zx9-kP2_qR7vW4mN8sT1uY6a';
const START_LINE = `2026-12-02T01:02:03.123456789Z I1202 main.go:211] CLI flags config: {etcdEndpoints:https://192.0.2.10:2379 etcdUsername:ignite-host-abc123 etcdPassword:${PASSWORD} help:false}`;

function setUp(argv: string[]) {
  const parsed = parseArgs(['logs', ...argv], {});
  if (parsed.kind !== 'run') throw new Error('not a command');
  const host = fakeServices();
  const flannel = host.docker.add({ name: CONTAINER_NAMES.flannel, labels: { [LABELS.managed]: 'true', [LABELS.role]: 'flannel' } });
  host.docker.logs.set(flannel.id, [START_LINE, `2026-12-02T01:02:04Z E1202 authentication failed for password ${PASSWORD}`]);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const streams = { stdout, stderr, stdin: new PassThrough(), env: {} } as unknown as ReporterStreams;
  const run = () => runLogs(parsed.options, streams, new AbortController().signal, { docker: host.services.docker, files: host.files });
  return { host, options: parsed.options, run, out: () => out, err: () => err };
}

test('logs: flanneld\'s start-up line shows no password, with or without the password file', async (t) => {
  const { run, out } = setUp(['flannel']);
  t.is(await run(), 0);
  t.regex(out(), /CLI flags config: \{etcdEndpoints:https:\/\/192\.0\.2\.10:2379 etcdUsername:ignite-host-abc123 etcdPassword:\[redacted\] help:false\}/);
  t.false(out().includes(`etcdPassword:${PASSWORD}`));
  // Without the file (or the right to read it) only flanneld's field is known to hold the password.
  t.regex(out(), new RegExp(`authentication failed for password ${PASSWORD}$`, 'm'));
});

test('logs: the state dir\'s flannel password is redacted wherever it appears (tail)', async (t) => {
  const { host, options, run, out } = setUp(['flannel']);
  host.files.put(`${options.stateDir}/flannel-tls/etcd-password`, `${PASSWORD}\n`);
  t.is(await run(), 0);
  t.false(out().includes(PASSWORD), out());
  t.regex(out(), /authentication failed for password \[redacted\]$/m);
  t.regex(out(), /etcdPassword:\[redacted\]/);
});

test('logs -f: the followed lines are redacted too', async (t) => {
  const { host, options, run, out, err } = setUp(['flannel', '--follow']);
  host.files.put(`${options.stateDir}/flannel-tls/etcd-password`, PASSWORD);
  t.is(await run(), 0);
  t.false(out().includes(PASSWORD), out());
  t.regex(out(), /etcdPassword:\[redacted\]/);
  t.regex(out(), /authentication failed for password \[redacted\]$/m);
  t.regex(err(), /ignite-flannel stopped; its log ends here/);
});

test('logs on an insecure overlay: the insecure warning on stderr, once; none on a secure one', async (t) => {
  const insecure = setUp(['flannel']);
  insecure.host.files.put(`${insecure.options.stateDir}/state.json`, JSON.stringify({ version: 1, role: 'joined' }));
  t.is(await insecure.run(), 0);
  t.is(insecure.err(), `[WARN] ${INSECURE_OVERLAY.message} — ${INSECURE_OVERLAY.hint}\n`);
  const secure = setUp(['flannel']);
  secure.host.files.put(`${secure.options.stateDir}/state.json`, JSON.stringify({ version: 1, role: 'joined', security: { caPin: 'sha256:x', etcdUser: 'u' } }));
  t.is(await secure.run(), 0);
  t.is(secure.err(), '');
});

test('logs --json: one object a line (container, stream, time, text), redacted as the plain output, tail and -f', async (t) => {
  for (const argv of [['--json'], ['--json', '-f']]) {
    const { host, options, run, out, err } = setUp(argv);
    host.files.put(`${options.stateDir}/flannel-tls/etcd-password`, PASSWORD);
    t.is(await run(), 0, err());
    t.false(out().includes(PASSWORD), out());
    const lines = out().trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    t.deepEqual(lines, [
      { container: CONTAINER_NAMES.flannel, stream: 'stdout', time: '2026-12-02T01:02:03.123456789Z', text: 'I1202 main.go:211] CLI flags config: {etcdEndpoints:https://192.0.2.10:2379 etcdUsername:ignite-host-abc123 etcdPassword:[redacted] help:false}' },
      { container: CONTAINER_NAMES.flannel, stream: 'stdout', time: '2026-12-02T01:02:04Z', text: 'E1202 authentication failed for password [redacted]' },
    ], argv.join(' '));
  }
});

test('--json is an option of logs; a bad one still gets the one-line error', (t) => {
  const parsed = parseArgs(['logs', 'flannel', '--json'], {});
  t.true(parsed.kind === 'run' && parsed.options.json);
  t.throws(() => parseArgs(['logs', '--json=yes'], {}), { message: '--json takes no value (got "yes")' });
});
