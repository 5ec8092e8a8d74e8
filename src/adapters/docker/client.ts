import type { ContainerCreateOptions } from 'dockerode';
import type { PullProgress } from '../../core/events.js';
import type { ContainerRole, PullPolicy } from '../../defaults.js';
import type { ContainerView, ManagedContainer, VolumeView } from './view.js';

/** What steps need of the Docker Engine, so they can be tested against a fake; DockerEngine is the real one. */
export interface DockerClient {
  /** Where the Engine is, as the operator would write it: `unix:///var/run/docker.sock`. */
  readonly where: string;
  imageExists(name: string): Promise<boolean>;
  pullImage(name: string, onProgress: (progress: PullProgress) => void, signal?: AbortSignal): Promise<void>;
  ensureImage(
    name: string,
    policy: PullPolicy,
    onProgress: (progress: PullProgress) => void,
    signal?: AbortSignal,
  ): Promise<'present' | 'pulled'>;
  /** One file of an image (a container created, never started, then removed): the flannel CNI plugin. */
  readImageFile(image: string, path: string, signal?: AbortSignal): Promise<Buffer>;
  listManaged(role?: ContainerRole): Promise<ManagedContainer[]>;
  /** Every container in any state, ours or not: full IDs and names (without Docker's leading slash). */
  listAllContainers(): Promise<{ ids: string[]; names: string[] }>;
  inspectContainer(nameOrId: string): Promise<ContainerView | undefined>;
  createAndStart(spec: ContainerCreateOptions): Promise<ContainerView>;
  stopAndRemove(id: string, timeoutSec: number): Promise<'removed' | 'absent'>;
  /** The last lines, redacted (log-frames.ts): flanneld's etcdPassword field always, `secrets` anywhere. */
  containerLogs(id: string, tail: number, secrets?: readonly string[]): Promise<string[]>;
  /** A container's raw log stream (Docker's multiplexed frames; log-frames.ts decodes and redacts them), for `ignite-net logs`. */
  logStream(id: string, options: { tail: number; follow: boolean; timestamps: boolean }): Promise<NodeJS.ReadableStream>;
  removeByName(name: string): Promise<boolean>;
  ensureVolume(name: string, labels: Record<string, string>): Promise<'created' | 'present'>;
  inspectVolume(name: string): Promise<VolumeView | undefined>;
  volumeExists(name: string): Promise<boolean>;
  removeVolume(name: string): Promise<boolean>;
}
