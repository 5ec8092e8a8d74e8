/** What the Engine's inspect and list answers mean to ignite-net: plain views, mapped in one place. */
import type { ContainerInfo, ContainerInspectInfo, VolumeInspectInfo } from 'dockerode';
import { LABELS, type ContainerRole } from '../../defaults.js';

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerView {
  id: string;
  name: string;
  /** The image reference it was created from, e.g. `ghcr.io/flannel-io/flannel:v0.28.9`. */
  image: string;
  imageId: string;
  state: ContainerState;
  running: boolean;
  exitCode: number;
  /** Docker's error for a container that failed to start, e.g. a missing device. */
  error?: string;
  startedAt?: Date;
  finishedAt?: Date;
  restartCount: number;
  labels: Record<string, string>;
  /** Only when the image defines a HEALTHCHECK. */
  health?: 'starting' | 'healthy' | 'unhealthy';
  cmd: string[];
  /** The image's entrypoint when the container was created without one; [] when neither has one. */
  entrypoint: string[];
  binds: string[];
  networkMode: string;
  restartPolicy: string;
}

export interface ManagedContainer {
  id: string;
  name: string;
  image: string;
  state: ContainerState;
  /** Docker's human status line, e.g. "Up 3 minutes". */
  status: string;
  role?: ContainerRole;
  labels: Record<string, string>;
}

export interface VolumeView {
  name: string;
  labels: Record<string, string>;
  mountpoint: string;
}

export function toContainerView(info: ContainerInspectInfo): ContainerView {
  const health = info.State.Health?.Status;
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    imageId: info.Image,
    state: info.State.Status as ContainerState,
    running: info.State.Running,
    exitCode: info.State.ExitCode,
    ...(info.State.Error ? { error: info.State.Error } : {}),
    ...optional('startedAt', toDate(info.State.StartedAt)),
    ...optional('finishedAt', toDate(info.State.FinishedAt)),
    restartCount: info.RestartCount,
    labels: info.Config.Labels ?? {},
    ...(health === 'starting' || health === 'healthy' || health === 'unhealthy' ? { health } : {}),
    cmd: info.Config.Cmd ?? [],
    // null when neither the image nor the create request set one, though the typings say string[].
    entrypoint: toList(info.Config.Entrypoint as string | string[] | null | undefined),
    binds: info.HostConfig.Binds ?? [],
    networkMode: info.HostConfig.NetworkMode ?? '',
    restartPolicy: info.HostConfig.RestartPolicy?.Name ?? '',
  };
}

/** One entry of a label-filtered container list. */
export function toManagedContainer(c: ContainerInfo): ManagedContainer {
  const labels = c.Labels ?? {};
  const role = labels[LABELS.role];
  return {
    id: c.Id,
    name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
    image: c.Image,
    state: c.State as ContainerState,
    status: c.Status,
    ...(role === 'etcd' || role === 'flannel' ? { role } : {}),
    labels,
  };
}

export function toVolumeView(v: VolumeInspectInfo): VolumeView {
  return { name: v.Name, labels: v.Labels ?? {}, mountpoint: v.Mountpoint };
}

function toList(value: string | string[] | null | undefined): string[] {
  return value === null || value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

function toDate(value: string | undefined): Date | undefined {
  // Docker reports "never" as the zero time.
  if (!value || value.startsWith('0001-01-01')) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
