/**
 * The Docker host an operator names (--docker-host, else DOCKER_HOST, else the default socket): one
 * rule, used by args.ts at start-up and by connectDocker. Only dockerode's types here, no dockerode,
 * so that --help and --version stay fast.
 */
import type { DockerOptions } from 'dockerode';
import { IgniteError } from '../../core/errors.js';
import { hostFromUrl } from '../../net/host-arg.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** Where the Docker host came from, as messages name it. */
export type DockerHostSource = '--docker-host' | 'DOCKER_HOST' | 'the default socket';

/** What args.ts resolves (Options carries both fields); connectDocker takes the same shape. */
export interface DockerHostSetting {
  dockerHost?: string;
  /** Where dockerHost came from; a dockerHost without it counts as --docker-host. */
  dockerHostSource?: '--docker-host' | 'DOCKER_HOST';
}

export interface DockerTarget {
  /** Normalised for messages: `unix:///path` or `tcp://host:port`. */
  where: string;
  options: DockerOptions;
}

const EXAMPLE = 'e.g. unix:///var/run/docker.sock or tcp://127.0.0.1:2375';

/**
 * --docker-host, else DOCKER_HOST (empty counts as unset), each checked by parseDockerHost's rule;
 * undefined means the default socket.
 */
export function chooseDockerHost(flag: string | undefined, env: NodeJS.ProcessEnv): DockerHostSetting | undefined {
  if (flag !== undefined) {
    parseDockerHost(flag, '--docker-host');
    return { dockerHost: flag, dockerHostSource: '--docker-host' };
  }
  const fromEnv = env['DOCKER_HOST'];
  if (fromEnv === undefined || fromEnv === '') return undefined;
  parseDockerHost(fromEnv, 'DOCKER_HOST');
  return { dockerHost: fromEnv, dockerHostSource: 'DOCKER_HOST' };
}

/**
 * The one rule: `unix://<path>`, or `tcp://host[:port]` / `http://host[:port]` (plain HTTP, port
 * 2375 / 80 by default). Every connection field is set (some to undefined) because docker-modem
 * merges its own DOCKER_HOST-derived defaults underneath, which would otherwise override an
 * explicit socket.
 */
export function parseDockerHost(value: string, source: DockerHostSource = '--docker-host'): DockerTarget {
  const [, scheme, rest] = /^([a-z]+):\/\/(\S+)$/.exec(value) ?? [];
  if (scheme === undefined || rest === undefined) throw notAUrl(value, source);
  const blank = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined } as const;
  if (scheme === 'unix') return { where: `unix://${rest}`, options: { ...blank, socketPath: rest } };
  if (scheme === 'https' || scheme === 'ssh') throw unsupported(value, source, scheme);
  if (scheme !== 'tcp' && scheme !== 'http') throw notAUrl(value, source);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw notAUrl(value, source);
  }
  if (url.hostname === '') throw notAUrl(value, source);
  const port = url.port === '' ? (scheme === 'http' ? '80' : '2375') : url.port;
  // The http module wants IPv6 literals bare; messages keep the URL's brackets.
  return { where: `tcp://${url.hostname}:${port}`, options: { ...blank, host: hostFromUrl(url), port: Number(port), protocol: 'http' } };
}

function label(source: DockerHostSource): string {
  return source === 'the default socket' ? 'The default Docker socket' : source;
}

function fixHint(source: DockerHostSource, what: string): string {
  return source === 'DOCKER_HOST' ? `Fix or unset DOCKER_HOST, or pass --docker-host (${what}).` : `Use ${what}.`;
}

function notAUrl(value: string, source: DockerHostSource): IgniteError {
  return new IgniteError('usage', `${label(source)} "${value}" is not a Docker host URL`, { hint: fixHint(source, EXAMPLE) });
}

function unsupported(value: string, source: DockerHostSource, scheme: string): IgniteError {
  return new IgniteError('usage', `${label(source)} "${value}": ${scheme}:// Docker hosts are not supported yet`, {
    hint: fixHint(source, 'unix:///path/to/docker.sock or tcp://host:port (plain HTTP); TLS and ssh:// are not supported yet'),
  });
}
