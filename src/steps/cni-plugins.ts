import { dirname, join } from 'node:path';
import {
  describeSource,
  formatVersion,
  needsSourceHash,
  packageInstallCommand,
  planPlugins,
  sha256,
  type InstalledPlugin,
  type PluginAction,
  type PluginFacts,
} from '../cni/plugins.js';
import type { Step, StepIO } from '../core/step.js';
import { CNI_PLUGIN_IMAGE_FILE, CNI_PLUGINS, type CniPluginName } from '../defaults.js';
import { required, type CommandContext } from './context.js';

type Install = Extract<PluginAction, { kind: 'install' }>;

/**
 * Puts the CNI plugins VMs need into the CNI bin dir (cni/plugins.ts decides what and from where):
 * asked first on a terminal, only with --install-cni-plugins without one; else the missing ones are
 * a warning saying how to get them. Runs before anything else changes, so a failed install (an image
 * that cannot be pulled) leaves the host as it was.
 */
export const cniPluginsStep: Step<CommandContext> = {
  id: 'cni-plugins',
  title: 'CNI plugins',
  async run(ctx, io) {
    const bins = ctx.services.cniBinaries;
    const plan = planPlugins(await gatherFacts(ctx));
    for (const { record, why } of plan.dropped) {
      if (why === 'changed') io.warn(`${record.path} changed since ignite-net installed it: it is no longer treated as ignite-net's (cleanup leaves it)`);
    }
    ctx.cniPlugins = plan.keep;

    // Each present plugin is asked its VERSION (a process each, ~5 ms): all at once, reported in order.
    const presentActions = plan.actions.filter((a): a is Extract<PluginAction, { kind: 'present' }> => a.kind === 'present');
    const answers = await Promise.all(presentActions.map((action) => bins.pluginVersion(action.path)));
    const present: Labelled[] = [];
    for (const [i, action] of presentActions.entries()) {
      const answer = answers[i];
      if (answer === undefined) continue;
      present.push({ name: action.name, note: `${action.ours ? "ignite-net's, " : ''}${answer.ok ? `CNI ${answer.version.cniVersion}` : 'version unknown'}` });
      const version = answer.ok ? formatVersion(answer.version) : `version unknown: ${answer.reason}`;
      if (!action.ours && action.same === undefined) io.progress(`${action.path} is not ignite-net's (${version}): left as it is (--force replaces it)`);
    }
    const installs = plan.actions.filter((a): a is Install => a.kind === 'install');
    const unavailable = plan.actions.filter((a) => a.kind === 'unavailable').map((a) => a.name);
    const parts = (installed: Labelled[], missing: string[]): string =>
      [installed.length > 0 ? `installed ${grouped(installed)}` : '', present.length > 0 ? `present: ${grouped(present)}` : '', missing.length > 0 ? `missing: ${missing.join(', ')}` : '']
        .filter((part) => part !== '')
        .join('; ');

    if (installs.length > 0 && !(await approved(ctx, io, installs))) {
      const missing = [...installs.filter((a) => a.replaces === undefined).map((a) => a.name), ...unavailable];
      if (missing.length > 0) io.warn(missingMessage(ctx, missing), `${installHint(installs)}${await unavailableHint(ctx, unavailable, '; ')}`);
      ctx.unchanged.add('cni-plugins');
      return { detail: parts([], missing) || 'nothing to do' };
    }

    const installed: Labelled[] = [];
    if (installs.length > 0 && (await bins.ensureDir(ctx.options.cniBinDir)) === 'created') io.progress(`created ${ctx.options.cniBinDir}`);
    for (const action of installs) {
      ctx.cniPlugins.push(await install(ctx, io, action));
      const answer = await bins.pluginVersion(action.path);
      if (!answer.ok) io.warn(`the ${action.name} plugin just installed does not answer CNI's VERSION command (${answer.reason})`, `Check that ${describeSource(action.source)} is a CNI plugin for this machine's architecture.`);
      installed.push({ name: action.name, note: answer.ok ? `CNI ${answer.version.cniVersion}` : 'version unknown' });
    }
    if (unavailable.length > 0) io.warn(missingMessage(ctx, unavailable), await unavailableHint(ctx, unavailable));
    if (installs.length === 0) ctx.unchanged.add('cni-plugins');
    return { detail: parts(installed, unavailable) || 'nothing to do' };
  },
};

async function gatherFacts(ctx: CommandContext): Promise<PluginFacts> {
  const bins = ctx.services.cniBinaries;
  const recorded = ctx.state?.cniPlugins ?? [];
  const paths = [...CNI_PLUGINS.map((name) => join(ctx.options.cniBinDir, name)), ...recorded.map((r) => r.path)];
  // The bin dir's files hashed and each plugin's sources looked for (in their order: the first readable
  // wins; one that cannot be read is no source), side by side.
  const unique = [...new Set(paths)];
  const [binHashes, sourcePaths] = await Promise.all([
    Promise.all(unique.map((path) => bins.hashFile(path))),
    Promise.all(
      CNI_PLUGINS.map(async (name) => {
        for (const dir of bins.sourceDirs) if (await bins.isReadable(join(dir, name))) return join(dir, name);
        return undefined;
      }),
    ),
  ]);
  const hashes = new Map<string, string | undefined>(unique.map((path, i) => [path, binHashes[i]]));
  // A source is read and hashed only where the plan compares it (~3 MB each: on a host with the plugins
  // installed by us, or none yet, no package file is read at all).
  const sources = await Promise.all(
    CNI_PLUGINS.map(async (name, i) => {
      const path = sourcePaths[i];
      if (path === undefined) return undefined;
      if (!needsSourceHash(join(ctx.options.cniBinDir, name), hashes, recorded, ctx.options.force)) return { path };
      const hash = await bins.hashFile(path).catch(() => undefined);
      return hash === undefined ? undefined : { path, sha256: hash };
    }),
  );
  const hostPlugins = new Map<CniPluginName, { path: string; sha256?: string }>();
  for (const [i, name] of CNI_PLUGINS.entries()) {
    const source = sources[i];
    if (source) hostPlugins.set(name, source);
  }
  return {
    binDir: ctx.options.cniBinDir,
    plugins: CNI_PLUGINS,
    hashes,
    hostPlugins,
    recorded,
    image: { image: ctx.options.cniPluginImage, file: CNI_PLUGIN_IMAGE_FILE },
    force: ctx.options.force,
  };
}

async function approved(ctx: CommandContext, io: StepIO, installs: Install[]): Promise<boolean> {
  if (ctx.options.installCniPlugins) return true;
  if (!io.prompter.interactive) return false;
  if (ctx.options.yes) return true;
  const replacing = installs.filter((a) => a.replaces !== undefined).map((a) => a.name);
  return io.prompter.confirm(
    `Install the CNI plugins VMs need into ${ctx.options.cniBinDir}: ${describeInstalls(installs)}${replacing.length > 0 ? ` (replacing ${replacing.join(', ')}: --force)` : ''}?`,
    { flag: '--install-cni-plugins', initial: true },
  );
}

/** "flannel (from <image>:/flannel), bridge, host-local (copied from /usr/lib/cni)". */
function describeInstalls(installs: Install[]): string {
  const groups = new Map<string, string[]>();
  for (const action of installs) {
    const from = action.source.kind === 'image' ? `from ${describeSource(action.source)}` : `copied from ${dirname(action.source.path)}`;
    groups.set(from, [...(groups.get(from) ?? []), action.name]);
  }
  return [...groups].map(([from, names]) => `${names.join(', ')} (${from})`).join(', ');
}

function missingMessage(ctx: CommandContext, missing: string[]): string {
  return `CNI plugins missing from ${ctx.options.cniBinDir}: ${missing.join(', ')} — every VM start will fail until they are there`;
}

function installHint(installs: Install[]): string {
  return `Pass --install-cni-plugins (or answer yes in a terminal) to install ${describeInstalls(installs)}`;
}

async function unavailableHint(ctx: CommandContext, unavailable: string[], lead = ''): Promise<string> {
  if (unavailable.length === 0) return '.';
  const osRelease = await ctx.services.files.readIfExists('/etc/os-release').catch(() => undefined);
  const command = `${ctx.options.command} --install-cni-plugins`;
  return `${lead}${lead === '' ? '' : 'for '}${unavailable.join(', ')}: install the CNI plugins package (\`${packageInstallCommand(osRelease)}\`), then run \`ignite-net ${command}\` again to copy them in.`;
}

interface Labelled {
  name: string;
  note: string;
}

/** "flannel, bridge (CNI 1.0.0), portmap (CNI 0.4.0)": neighbours with the same note share it. */
function grouped(items: Labelled[]): string {
  const runs: { names: string[]; note: string }[] = [];
  for (const { name, note } of items) {
    const last = runs[runs.length - 1];
    if (last?.note === note) last.names.push(name);
    else runs.push({ names: [name], note });
  }
  return runs.map((run) => `${run.names.join(', ')} (${run.note})`).join(', ');
}

/** Writes one plugin atomically (a plugin --force replaces is kept aside first) and declares how to undo it. */
async function install(ctx: CommandContext, io: StepIO, action: Install): Promise<InstalledPlugin> {
  const bins = ctx.services.cniBinaries;
  const { source, path } = action;
  let content: Buffer | undefined;
  if (source.kind === 'image') {
    const docker = required(ctx.docker, 'docker');
    io.progress(`checking ${source.image}`);
    await docker.ensureImage(source.image, ctx.options.pull, (pull) => io.progress(`pulling ${source.image}`, pull), io.signal);
    io.progress(`copying ${source.file} out of ${source.image}`);
    content = await docker.readImageFile(source.image, source.file, io.signal);
  } else {
    content = await bins.readBinary(source.path);
    if (content === undefined) throw new Error(`internal: ${source.path} went away while installing it`);
  }
  const previous = action.replaces ? await bins.readBinary(path) : undefined;
  if (action.replaces === 'foreign' && action.backup && previous) await bins.writeExecutable(action.backup, previous);
  await bins.writeExecutable(path, content);
  io.changed({
    title: previous ? `put back the previous ${path}` : `remove ${path}`,
    run: async () => {
      if (!previous) return void (await bins.removeFile(path));
      await bins.writeExecutable(path, previous);
      if (action.replaces === 'foreign' && action.backup) await bins.removeFile(action.backup);
    },
  });
  return { path, sha256: sha256(content), source: describeSource(source), ...(action.backup ? { backup: action.backup } : {}) };
}
