// connectDocker (src/adapters/docker/connect.ts) against the real dockerd at /var/run/docker.sock and
// against loopback servers that are not Docker; every connection stays on this host.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import test from 'ava';
import { connectDocker } from '../../src/adapters/docker/connect.js';
import { parseArgs } from '../../src/args.js';
import { IgniteError } from '../../src/core/errors.js';

const RUN = randomBytes(4).toString('hex');

async function expectIgnite(t: { throwsAsync: (p: Promise<unknown>) => Promise<unknown> }, work: Promise<unknown>): Promise<IgniteError> {
  const error = await t.throwsAsync(work);
  if (!(error instanceof IgniteError)) throw new Error(`expected an IgniteError, got ${String(error)}`);
  return error;
}

test('connect: the local daemon answers, named by --docker-host or as the default socket', async (t) => {
  const local = await connectDocker({ dockerHost: 'unix:///var/run/docker.sock' });
  t.is(local.where, 'unix:///var/run/docker.sock');
  t.false(await local.imageExists(`ignite-net-test/never-built:${RUN}`), 'an Engine answer (404), not a connection error');
  t.true(Array.isArray(await local.listManaged()));
  const byDefault = await connectDocker({}, { env: {} });
  t.is(byDefault.where, 'unix:///var/run/docker.sock');
});

test('connect: a bogus socket path fails fast with message and hint', async (t) => {
  const started = Date.now();
  const error = await expectIgnite(t, connectDocker({ dockerHost: `unix:///tmp/ignite-net-test-${RUN}-nothing.sock` }));
  t.true(Date.now() - started < 2000);
  t.is(error.kind, 'docker');
  t.is(error.message, `Docker Engine is not reachable at unix:///tmp/ignite-net-test-${RUN}-nothing.sock (no such socket)`);
  t.regex(error.hint ?? '', /Start the Docker daemon.*--docker-host \/ DOCKER_HOST/);
});

test('connect: DOCKER_HOST is used when no host is given, and named in the details', async (t) => {
  const error = await expectIgnite(t, connectDocker({}, { env: { DOCKER_HOST: `unix:///tmp/ignite-net-test-${RUN}-env.sock` } }));
  t.true(error.message.includes(`ignite-net-test-${RUN}-env.sock`));
  t.deepEqual(error.details, ['address taken from DOCKER_HOST']);
  const ok = await connectDocker({}, { env: { DOCKER_HOST: 'unix:///var/run/docker.sock' } });
  t.is(ok.where, 'unix:///var/run/docker.sock');
});

test('connect: a closed loopback TCP port is refused', async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const error = await expectIgnite(t, connectDocker({ dockerHost: `tcp://127.0.0.1:${port}` }));
  t.is(error.message, `Docker Engine is not reachable at tcp://127.0.0.1:${port} (connection refused)`);
});

test('connect: an HTTP server that is not Docker is named as such', async (t) => {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(() => resolve())));
  const port = (server.address() as net.AddressInfo).port;
  const error = await expectIgnite(t, connectDocker({ dockerHost: `http://127.0.0.1:${port}` }));
  t.regex(error.message, new RegExp(`^Something answers at tcp://127\\.0\\.0\\.1:${port} but it is not a Docker Engine`));
  t.regex(error.hint ?? '', /DOCKER_HOST/);
});

test('connect: a 404 on /_ping is not Docker either', async (t) => {
  const server = http.createServer((_req, res) => res.writeHead(404).end('not found'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(() => resolve())));
  const port = (server.address() as net.AddressInfo).port;
  const error = await expectIgnite(t, connectDocker({ dockerHost: `tcp://127.0.0.1:${port}` }));
  t.regex(error.message, /not a Docker Engine \(GET \/_ping answered HTTP 404\)/);
});

test('connect: a server that does not speak HTTP is not Docker', async (t) => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.end('SSH-2.0-OpenSSH_9.2\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  const port = (server.address() as net.AddressInfo).port;
  const error = await expectIgnite(t, connectDocker({ dockerHost: `tcp://127.0.0.1:${port}` }));
  t.regex(error.message, /not a Docker Engine \(it does not speak HTTP\)/);
});

test('connect: a server that accepts but never answers times out', async (t) => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  const port = (server.address() as net.AddressInfo).port;
  const started = Date.now();
  const error = await expectIgnite(t, connectDocker({ dockerHost: `tcp://127.0.0.1:${port}` }, { pingTimeoutMs: 300 }));
  t.true(Date.now() - started < 2000);
  t.regex(error.message, /not reachable .*\(no answer within 300ms\)/);
});

test('connect: the options from args.ts name DOCKER_HOST when the environment set the host, --docker-host when the flag did', async (t) => {
  const sock = `unix:///tmp/ignite-net-test-${RUN}-source.sock`;
  const options = (argv: string[], env: NodeJS.ProcessEnv) => {
    const parsed = parseArgs(argv, env);
    if (parsed.kind !== 'run') throw new Error('expected run');
    return parsed.options;
  };
  const fromEnv = await expectIgnite(t, connectDocker(options(['init'], { DOCKER_HOST: sock }), { env: {} }));
  t.deepEqual(fromEnv.details, ['address taken from DOCKER_HOST']);
  const fromFlag = await expectIgnite(t, connectDocker(options(['init', '--docker-host', sock], { DOCKER_HOST: 'unix:///elsewhere.sock' }), { env: {} }));
  t.deepEqual(fromFlag.details, ['address taken from --docker-host']);
});

test('connect: a host outside the one rule is refused before anything is dialled', async (t) => {
  const error = await expectIgnite(t, connectDocker({}, { env: { DOCKER_HOST: '/var/run/docker.sock' } }));
  t.is(error.kind, 'usage');
  t.is(error.message, 'DOCKER_HOST "/var/run/docker.sock" is not a Docker host URL');
});
