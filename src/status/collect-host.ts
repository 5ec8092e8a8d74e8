/**
 * status's reads of this host itself: its containers (by label), subnet.env, and the CNI conf and bin
 * dirs with each plugin's VERSION answer. All through the command's Services.
 */
import { join } from 'node:path';
import type { HostFiles, Services } from '../adapters/services.js';
import { isOurConflist, renderConflist } from '../cni/conflist.js';
import { cniConfigProblem, cniLoadOrder } from '../cni/load-order.js';
import { conflistCniVersion } from '../cni/plugin-versions.js';
import { isIgniteError } from '../core/errors.js';
import { CNI_FILES, CNI_PLUGINS } from '../defaults.js';
import { leaseSubnet, parseSubnetEnv, subnetEnvPath } from '../net/subnet-env.js';
import type { ContainerInput, StatusInputs } from './model.js';

export async function readContainers(services: Services): Promise<StatusInputs['docker']> {
  try {
    const docker = await services.docker();
    const managed = await docker.listManaged();
    const views = await Promise.all(managed.map((c) => docker.inspectContainer(c.id)));
    const containers: ContainerInput[] = [];
    managed.forEach((c, i) => {
      const view = views[i];
      if (!view) return; // removed between list and inspect
      containers.push({
        name: view.name,
        ...(c.role ? { role: c.role } : {}),
        image: view.image,
        state: view.state,
        running: view.running,
        exitCode: view.exitCode,
        ...(view.error ? { error: view.error } : {}),
        ...(view.startedAt ? { startedAt: view.startedAt.toISOString() } : {}),
        ...(view.finishedAt ? { finishedAt: view.finishedAt.toISOString() } : {}),
        restartCount: view.restartCount,
        ...(view.health ? { health: view.health } : {}),
      });
    });
    containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { ok: true, where: docker.where, containers };
  } catch (error) {
    if (!isIgniteError(error)) throw error;
    return { ok: false, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  }
}

export async function readSubnetEnv(runDir: string, files: HostFiles): Promise<StatusInputs['subnetEnv']> {
  const path = subnetEnvPath(runDir);
  try {
    const text = await files.readIfExists(path);
    if (text === undefined) return { path, kind: 'missing' };
    const env = parseSubnetEnv(text, path);
    return { path, kind: 'ok', subnet: leaseSubnet(env), network: env.network, mtu: env.mtu };
  } catch (error) {
    if (!isIgniteError(error)) throw error;
    return { path, kind: 'invalid', problem: error.message };
  }
}

/** The conf dir as a runtime reads it (cni/load-order.ts), and the plugin binaries with their VERSION answers. */
export async function readCni(confDir: string, binDir: string, { files, kernel, cniBinaries }: Pick<Services, 'files' | 'kernel' | 'cniBinaries'>): Promise<StatusInputs['cni']> {
  const names = cniLoadOrder((await kernel.listFiles(confDir).catch(() => undefined)) ?? []);
  const invalid: string[] = [];
  const problems: Record<string, string> = {};
  const template = renderConflist(await files.conflistTemplate());
  let ours: StatusInputs['cni']['ours'];
  let oursText: string | undefined;
  await Promise.all(
    names.map(async (name) => {
      const text = await files.readIfExists(join(confDir, name)).catch(() => undefined);
      const problem = text === undefined ? 'cannot be read' : cniConfigProblem(name, text);
      if (problem !== undefined) {
        invalid.push(name);
        problems[name] = problem;
      }
      if (name === CNI_FILES.ours) {
        const validJson = text !== undefined && isJson(text);
        oursText = text;
        ours = { validJson, written: validJson && isOurConflist(text, template) };
      }
    }),
  );
  // The plugins must speak the version the conflist on disk asks for (ours as written when there is none).
  const cniVersion = conflistCniVersion(oursText) ?? conflistCniVersion(template) ?? '1.0.0';
  const plugins = await cniBinaries.probePlugins(binDir, CNI_PLUGINS, cniVersion);
  return {
    confDir,
    binDir,
    candidates: names,
    ...(ours ? { ours } : {}),
    invalid: invalid.sort(),
    problems,
    missingPlugins: plugins.filter((p) => !p.present).map((p) => p.name),
    cniVersion,
    plugins,
  };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
