import Docker from 'dockerode';
import { DockerEngine, PING_TIMEOUT_MS } from './engine.js';
import { DEFAULT_DOCKER_SOCKET, chooseDockerHost, parseDockerHost, type DockerHostSetting } from './host.js';

export interface ConnectOptions {
  /** Where DOCKER_HOST is read from when no host is given; tests pass their own. */
  env?: NodeJS.ProcessEnv;
  pingTimeoutMs?: number;
}

/**
 * Connects and pings. The host is, in order: `host.dockerHost` (args.ts has already chosen between
 * --docker-host and DOCKER_HOST, and says which in dockerHostSource), DOCKER_HOST, the default
 * socket. Fails with IgniteError('docker') when nothing answers or what answers is not Docker.
 */
export async function connectDocker(host: DockerHostSetting = {}, options: ConnectOptions = {}): Promise<DockerEngine> {
  const chosen = host.dockerHost !== undefined ? host : chooseDockerHost(undefined, options.env ?? process.env);
  const source = chosen?.dockerHost === undefined ? 'the default socket' : (chosen.dockerHostSource ?? '--docker-host');
  const target = parseDockerHost(chosen?.dockerHost ?? `unix://${DEFAULT_DOCKER_SOCKET}`, source);
  const engine = new DockerEngine(new Docker(target.options), target.where, source);
  await engine.ping(options.pingTimeoutMs ?? PING_TIMEOUT_MS);
  return engine;
}
