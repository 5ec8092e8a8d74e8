/**
 * Everything ignite-net could change on a simulated host, as text, so that two snapshots compare
 * byte for byte: files (path, type, mode, size, mtime, sha256) under the state dir, the CNI conf, bin
 * and state dirs and /run/flannel; Docker's containers, volumes and images with their ids; links,
 * routes and iptables rules (without packet counters, which traffic moves); and, when an etcd is
 * given, its keys and values with the store's revision, users and roles.
 */
import { etcdctl } from './cli.js';
import type { SimHost } from './hosts.js';

const PATHS = ['/var/lib/ignite-net', '/etc/cni', '/opt/cni/bin', '/run/flannel', '/var/lib/cni'];

const FILES_SCRIPT = `for p in ${PATHS.join(' ')}; do
  [ -e "$p" ] || { echo "absent $p"; continue; }
  find "$p" -printf '%y %m %s %T@ %p\\n' | sort -k5
  find "$p" -type f -exec sha256sum {} + | sort -k2
done`;

export interface HostSnapshot {
  files: string;
  docker: string;
  network: string;
  etcd?: string;
}

async function must(host: SimHost, cmd: string, args: string[]): Promise<string> {
  const result = await host.exec(cmd, args);
  if (result.code !== 0) throw new Error(`${cmd} ${args.join(' ')} on ${host.name}: ${result.stderr}`);
  return result.stdout;
}

async function dockerState(host: SimHost): Promise<string> {
  const containers = await host.docker.listContainers({ all: true });
  const volumes = (await host.docker.listVolumes()).Volumes ?? [];
  const images = await host.docker.listImages({ all: true });
  return [
    ...containers.map((c) => `container ${c.Id} ${c.Names.join(',')} ${c.Image} ${c.ImageID} ${c.State} ${c.Created}`).sort(),
    ...volumes.map((v) => `volume ${v.Name} ${JSON.stringify(v.Labels ?? {})}`).sort(),
    ...images.map((i) => `image ${i.Id} ${(i.RepoTags ?? []).join(',')}`).sort(),
  ].join('\n');
}

/** etcd's keys with values and mod revisions, the store's revision, users and roles, read on `via` from `endpointHost`. */
export async function etcdState(via: SimHost, endpointHost: string): Promise<string> {
  const get = await etcdctl(via, endpointHost, ['get', '', '--prefix', '-w', 'json']);
  if (get.code !== 0) throw new Error(`etcdctl get: ${get.stderr}`);
  const parsed = JSON.parse(get.stdout) as { header: { revision: number | string }; kvs?: { key: string; value: string; mod_revision: number; lease?: number }[] };
  const users = await etcdctl(via, endpointHost, ['user', 'list']);
  const roles = await etcdctl(via, endpointHost, ['role', 'list']);
  return [
    `revision ${parsed.header.revision}`,
    ...(parsed.kvs ?? []).map((kv) => `${Buffer.from(kv.key, 'base64').toString()} @${kv.mod_revision} lease ${kv.lease ?? 0} ${kv.value}`),
    `users ${users.stdout.trim().split('\n').join(',')} ${users.code}`,
    `roles ${roles.stdout.trim().split('\n').join(',')} ${roles.code}`,
  ].join('\n');
}

export async function snapshotHost(host: SimHost, etcd?: { via: SimHost; endpointHost: string }): Promise<HostSnapshot> {
  const [files, docker, links, routes, routes6, iptables] = await Promise.all([
    must(host, 'sh', ['-c', FILES_SCRIPT]),
    dockerState(host),
    must(host, 'ip', ['-o', 'link', 'show']),
    must(host, 'ip', ['-o', 'route', 'show', 'table', 'all']),
    must(host, 'ip', ['-o', '-6', 'route', 'show', 'table', 'all']),
    must(host, 'sh', ['-c', 'iptables-save; ip6tables-save']),
  ]);
  const rules = iptables
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '[counters]'))
    .join('\n');
  return { files, docker, network: [links, routes, routes6, rules].join('\n'), ...(etcd ? { etcd: await etcdState(etcd.via, etcd.endpointHost) } : {}) };
}
