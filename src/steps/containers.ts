import type { DockerClient } from '../adapters/docker/client.js';
import type { ContainerView } from '../adapters/docker/view.js';
import { LABELS, type ContainerRole } from '../defaults.js';

export const STOP_TIMEOUT_SEC = 10;

/** Our container of a role, inspected (image, command, binds), or undefined. */
export async function inspectManaged(docker: DockerClient, role: ContainerRole): Promise<ContainerView | undefined> {
  const [first] = await docker.listManaged(role);
  return first ? docker.inspectContainer(first.id) : undefined;
}

/** Containers that carry one of our names but not our label: ignite-flannel.sh's, most likely. */
export async function foreignNamed(docker: DockerClient, names: string[]): Promise<string[]> {
  const foreign: string[] = [];
  for (const name of names) {
    const view = await docker.inspectContainer(name);
    if (view && view.labels[LABELS.managed] !== 'true') foreign.push(name);
  }
  return foreign;
}

/** Only reached when the operator let preflight's ContainerNames error through. */
export async function removeForeignNamed(docker: DockerClient, name: string): Promise<void> {
  if ((await foreignNamed(docker, [name])).length > 0) await docker.removeByName(name);
}
