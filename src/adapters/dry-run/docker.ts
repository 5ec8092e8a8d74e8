import type { ContainerCreateOptions } from 'dockerode';
import { LABELS, type ContainerRole } from '../../defaults.js';
import type { DockerClient } from '../docker/client.js';
import type { ContainerView, ManagedContainer } from '../docker/view.js';
import type { DryRunLedger } from './ledger.js';

/**
 * What a container would be, in lines for the record: the image, the command (flags), mounts,
 * capabilities, devices, ports. Environment variables by name only (their values may be secrets).
 */
export function describeSpec(spec: ContainerCreateOptions): string[] {
  const host = spec.HostConfig ?? {};
  const lines = [`image ${spec.Image ?? '?'}`];
  if (spec.Entrypoint !== undefined) lines.push(`entrypoint ${[spec.Entrypoint].flat().join(' ').slice(0, 60)}${[spec.Entrypoint].flat().join(' ').length > 60 ? '…' : ''}`);
  if (spec.Cmd !== undefined && spec.Cmd.length > 0) lines.push(`command ${[spec.Cmd].flat().join(' ')}`);
  if (host.NetworkMode !== undefined) lines.push(`network ${host.NetworkMode}`);
  if (host.RestartPolicy?.Name !== undefined) lines.push(`restart ${host.RestartPolicy.Name}`);
  if (host.CapAdd !== undefined && host.CapAdd.length > 0) lines.push(`cap-add ${host.CapAdd.join(', ')}`);
  if (host.Devices !== undefined && host.Devices.length > 0) lines.push(`devices ${host.Devices.map((d: { PathOnHost?: string }) => d.PathOnHost ?? "?").join(', ')}`);
  for (const bind of host.Binds ?? []) lines.push(`mount ${bind}`);
  for (const mount of host.Mounts ?? []) lines.push(`mount ${mount.Source ?? ''}:${mount.Target}`);
  const ports = Object.keys(spec.ExposedPorts ?? {});
  if (ports.length > 0) lines.push(`ports ${ports.join(', ')}`);
  const env = (spec.Env ?? []).map((entry) => entry.split('=')[0] ?? '');
  if (env.length > 0) lines.push(`env ${env.join(', ')} (values not shown)`);
  return lines;
}

/** The client URLs an etcd spec advertises (`--advertise-client-urls`). */
function advertisedUrls(spec: ContainerCreateOptions): string[] {
  const cmd = [spec.Cmd ?? []].flat();
  const index = cmd.indexOf('--advertise-client-urls');
  const value = index >= 0 ? cmd[index + 1] : cmd.find((arg) => arg.startsWith('--advertise-client-urls='))?.split('=')[1];
  return value === undefined ? [] : value.split(',');
}

/** The container a successful create and start would give: what the next step reads of it. */
function wouldBeView(spec: ContainerCreateOptions): ContainerView {
  const name = spec.name ?? '?';
  return {
    id: `dry-run-${name}`,
    name,
    image: spec.Image ?? '',
    imageId: '',
    state: 'running',
    running: true,
    exitCode: 0,
    restartCount: 0,
    labels: spec.Labels ?? {},
    cmd: [spec.Cmd ?? []].flat(),
    entrypoint: [spec.Entrypoint ?? []].flat(),
    binds: spec.HostConfig?.Binds ?? [],
    networkMode: spec.HostConfig?.NetworkMode ?? '',
    restartPolicy: spec.HostConfig?.RestartPolicy?.Name ?? '',
  } as ContainerView;
}

/**
 * The Docker Engine of a dry run: reads go to the real one; creating, starting, stopping, removing,
 * pulling and making volumes are recorded and answered as a successful call would be. What it would
 * have created or removed reads back so (an overlay), so a later step sees the effect of an earlier one.
 */
export function recordingDocker(real: DockerClient, ledger: DryRunLedger): DockerClient {
  const created = new Map<string, ContainerView>();
  const removed = new Set<string>();
  const volumes = new Map<string, 'created' | 'removed'>();
  const pulled = new Set<string>();
  const gone = (c: { id: string; name: string }): boolean => removed.has(c.id) || removed.has(c.name);
  const nameOf = async (id: string): Promise<string> => created.get(id)?.name ?? (await real.inspectContainer(id).catch(() => undefined))?.name ?? id;

  const client: DockerClient = {
    where: real.where,
    imageExists: async (name) => pulled.has(name) || (await real.imageExists(name)),
    async pullImage(name) {
      ledger.record('image', `pull image ${name}`);
      pulled.add(name);
    },
    async ensureImage(name, policy, onProgress, signal) {
      if (policy !== 'always' && (await client.imageExists(name))) return 'present';
      // --pull never and a missing image fail now, as they would for real.
      if (policy === 'never') return real.ensureImage(name, policy, onProgress, signal);
      await client.pullImage(name, onProgress, signal);
      return 'pulled';
    },
    async readImageFile(image, path, signal) {
      // Reads an image through a container created and removed within the call: nothing stays.
      if (pulled.has(image)) {
        ledger.record('image', `copy ${path} out of ${image} (not pulled yet: its content is not checked)`);
        return Buffer.alloc(0);
      }
      return real.readImageFile(image, path, signal);
    },
    async listManaged(role?: ContainerRole) {
      const list = (await real.listManaged(role)).filter((c) => !gone(c));
      const added: ManagedContainer[] = [...created.values()]
        .filter((c) => role === undefined || c.labels[LABELS.role] === role)
        .map((c) => ({ id: c.id, name: c.name, image: c.image, state: c.state, status: 'would be started', labels: c.labels, ...(c.labels[LABELS.role] === undefined ? {} : { role: c.labels[LABELS.role] as ContainerRole }) }));
      return [...list.filter((c) => !created.has(c.name)), ...added];
    },
    async listAllContainers() {
      const all = await real.listAllContainers();
      const keep = all.ids.map((id, i) => ({ id, name: all.names[i] ?? '' })).filter((c) => !gone(c));
      return { ids: [...keep.map((c) => c.id), ...[...created.values()].map((c) => c.id)], names: [...keep.map((c) => c.name), ...created.keys()] };
    },
    async inspectContainer(nameOrId) {
      const mine = created.get(nameOrId) ?? [...created.values()].find((c) => c.id === nameOrId);
      if (mine) return mine;
      const view = await real.inspectContainer(nameOrId);
      return view === undefined || gone(view) ? undefined : view;
    },
    async createAndStart(spec) {
      const name = spec.name ?? '?';
      const existing = await real.inspectContainer(name).catch(() => undefined);
      if (spec.Labels?.[LABELS.role] === 'etcd' && !(existing !== undefined && !gone(existing) && existing.running)) {
        for (const url of advertisedUrls(spec)) ledger.newEtcdUrls.add(url);
      }
      ledger.record('container', `create and start container ${name}`, describeSpec(spec));
      ledger.started.add(name);
      const view = wouldBeView(spec);
      created.set(name, view);
      return view;
    },
    async stopAndRemove(id) {
      const name = await nameOf(id);
      if (created.delete(name)) return 'removed';
      const view = await real.inspectContainer(id);
      if (view === undefined || gone(view)) return 'absent';
      ledger.record('container', `stop and remove container ${name}`, [`image ${view.image}`, `id ${view.id.slice(0, 12)}`]);
      removed.add(view.id);
      removed.add(view.name);
      return 'removed';
    },
    containerLogs: (id, tail, secrets) => (created.has(id) || id.startsWith('dry-run-') ? Promise.resolve([]) : real.containerLogs(id, tail, secrets)),
    logStream: (id, options) => real.logStream(id, options),
    async removeByName(name) {
      if (created.delete(name)) return true;
      const view = await real.inspectContainer(name);
      if (view === undefined || gone(view)) return false;
      ledger.record('container', `remove container ${name}`, [`image ${view.image}`, `id ${view.id.slice(0, 12)}`]);
      removed.add(view.id);
      removed.add(view.name);
      return true;
    },
    async ensureVolume(name) {
      if (await client.volumeExists(name)) return 'present';
      ledger.record('volume', `create volume ${name}`);
      volumes.set(name, 'created');
      return 'created';
    },
    async inspectVolume(name) {
      const overlay = volumes.get(name);
      if (overlay === 'removed') return undefined;
      if (overlay === 'created') return { name, labels: {}, mountpoint: '' };
      return real.inspectVolume(name);
    },
    async volumeExists(name) {
      const overlay = volumes.get(name);
      return overlay === undefined ? real.volumeExists(name) : overlay === 'created';
    },
    async removeVolume(name) {
      if (!(await client.volumeExists(name))) return false;
      ledger.record('volume', `remove volume ${name}`);
      volumes.set(name, 'removed');
      return true;
    },
  };
  return client;
}
