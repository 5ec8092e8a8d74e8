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

/**
 * Services' docker(): connects on first use and keeps the client, so a command pings once. A failed
 * connection is kept too (the next caller gets the same error without another ping timeout), unless
 * `retry`: status --watch tries again on its next refresh. Here, not in services.ts, so `logs` can
 * use it without loading the etcd client.
 */
export function dockerOnDemand(host: DockerHostSetting, options: ConnectOptions & { retry?: boolean } = {}): () => Promise<DockerEngine> {
  let docker: Promise<DockerEngine> | undefined;
  const connect = (): Promise<DockerEngine> => {
    const connecting = connectDocker(host, options);
    if (!options.retry) return connecting;
    return connecting.catch((error: unknown) => {
      docker = undefined;
      throw error;
    });
  };
  return () => (docker ??= connect());
}
