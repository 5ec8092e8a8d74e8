// The one rule for Docker hosts (src/adapters/docker/host.ts), shared by args.ts and connectDocker.
import test from 'ava';
import { chooseDockerHost, parseDockerHost } from '../../src/adapters/docker/host.js';
import { parseArgs } from '../../src/args.js';
import { IgniteError } from '../../src/core/errors.js';

test('parseDockerHost: the accepted forms', (t) => {
  t.is(parseDockerHost('unix:///run/docker.sock').options.socketPath, '/run/docker.sock');
  t.is(parseDockerHost('unix:///run/docker.sock').where, 'unix:///run/docker.sock');
  const tcp = parseDockerHost('tcp://127.0.0.1:2375');
  t.like(tcp.options, { host: '127.0.0.1', port: 2375, protocol: 'http', socketPath: undefined });
  t.is(tcp.where, 'tcp://127.0.0.1:2375');
  t.is(parseDockerHost('http://[::1]:2375').options.host, '::1');
  t.is(parseDockerHost('http://[::1]:2375').where, 'tcp://[::1]:2375');
  t.is(parseDockerHost('tcp://localhost').where, 'tcp://localhost:2375');
  t.is(parseDockerHost('http://localhost').where, 'tcp://localhost:80');
  t.like(parseDockerHost('unix:///x.sock').options, { host: undefined, port: undefined, protocol: undefined }, 'every field set, so docker-modem\'s DOCKER_HOST defaults cannot leak in');
});

test('parseDockerHost: what it refuses, naming where the value came from', (t) => {
  for (const value of ['/run/docker.sock', 'unix://', 'localhost:1234', 'localhost', 'tcp://', 'tcp://:2375', 'ftp://x', 'docker.sock']) {
    t.throws(() => parseDockerHost(value), { instanceOf: IgniteError, message: `--docker-host "${value}" is not a Docker host URL` }, value);
  }
  const fromEnv = t.throws(() => parseDockerHost('localhost', 'DOCKER_HOST'), { instanceOf: IgniteError });
  t.is(fromEnv?.message, 'DOCKER_HOST "localhost" is not a Docker host URL');
  t.regex(fromEnv?.hint ?? '', /^Fix or unset DOCKER_HOST, or pass --docker-host/);
  const ssh = t.throws(() => parseDockerHost('ssh://user@host'), { instanceOf: IgniteError });
  t.is(ssh?.kind, 'usage');
  t.is(ssh?.message, '--docker-host "ssh://user@host": ssh:// Docker hosts are not supported yet');
  t.throws(() => parseDockerHost('https://host:2376'), { message: /https:\/\/ Docker hosts are not supported yet/ });
});

test('chooseDockerHost: the flag, else a non-empty DOCKER_HOST, each with its source', (t) => {
  t.deepEqual(chooseDockerHost('unix:///a.sock', { DOCKER_HOST: 'garbage' }), { dockerHost: 'unix:///a.sock', dockerHostSource: '--docker-host' });
  t.deepEqual(chooseDockerHost(undefined, { DOCKER_HOST: 'tcp://h:1' }), { dockerHost: 'tcp://h:1', dockerHostSource: 'DOCKER_HOST' });
  t.is(chooseDockerHost(undefined, { DOCKER_HOST: '' }), undefined);
  t.is(chooseDockerHost(undefined, {}), undefined);
});

test('args.ts and the Docker adapter accept exactly the same hosts', (t) => {
  const values = [
    'unix:///var/run/docker.sock', 'unix://relative.sock', 'tcp://127.0.0.1:2375', 'tcp://[::1]:2375', 'http://h', 'tcp://h/path',
    '/var/run/docker.sock', 'unix://', 'tcp://', 'tcp://:1', 'h:2375', 'ftp://x', 'ssh://u@h', 'https://h:2376', 'tcp:// h', 'TCP://h',
  ];
  for (const value of values) {
    const byAdapter = (() => {
      try {
        parseDockerHost(value);
        return true;
      } catch {
        return false;
      }
    })();
    const byArgs = (() => {
      try {
        parseArgs(['init', '--docker-host', value], {});
        return true;
      } catch {
        return false;
      }
    })();
    t.is(byArgs, byAdapter, value);
  }
});
