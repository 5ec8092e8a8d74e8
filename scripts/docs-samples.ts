/**
 * Rebuilds the sample output in README.md and docs/*.md from real runs of the CLI, so the docs
 * cannot drift from what it prints. A sample is a marked block:
 *
 *   <!-- sample: NAME -->
 *   ```console
 *   $ ignite-net …
 *   …what it printed…
 *   ```
 *   <!-- /sample -->
 *
 * Usage: npx tsx scripts/docs-samples.ts [--check]   (runs dist/cli.js: `npm run build` first)
 * Without --check it rewrites every marked block; with --check it changes nothing, names each block
 * that differs, and exits 1 if any does. test/unit/docs-samples.test.ts runs the same check from src/.
 *
 * SAMPLES are the runs that need no host (help, refused input): each reads and changes nothing, so
 * they run anywhere and take milliseconds. HOST_SAMPLES (init, join, status, doctor, token, hosts, logs,
 * cleanup, Ctrl-C, in a terminal)
 * need hosts: scripts/docs-samples-hosts.ts makes them on simulated hosts (root, Docker).
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Sample {
  /** As in `<!-- sample: NAME -->`. */
  name: string;
  /** The arguments after `ignite-net`. */
  args: string[];
  /** Show the exit code (`; echo "exit $?"`): for refused input. */
  exit?: boolean;
  /** Only the first lines of the output (a long help), then `…`. */
  lines?: number;
  /** Shown as run on a host, as root: `[node2]$ sudo ignite-net …`. */
  on?: string;
  /** Only what it wrote to stdout (shown as `2>/dev/null`): a summary without the progress. */
  stdoutOnly?: boolean;
}

export const SAMPLES: readonly Sample[] = [
  { name: 'help', args: ['--help'] },
  { name: 'logs-help', args: ['logs', '--help'] },
  { name: 'completion-help', args: ['completion', '--help'] },
  { name: 'bad-command', args: ['intit'], exit: true },
  { name: 'bad-network', args: ['init', '--network', '10.50.0.0'], exit: true },
  { name: 'bad-option', args: ['cleanup', '--network', '10.60.0.0/16'], exit: true },
  { name: 'bad-timeout', args: ['init', '--timeout', '-5'], exit: true },
  { name: 'bad-host', args: ['join', 'http://192.0.2.10:2379'], exit: true },
  { name: 'bad-shell', args: ['completion', 'tcsh'], exit: true },
];

/**
 * The samples that need set-up hosts: scripts/docs-samples-hosts.ts (root, Docker) runs them, in
 * this order, on one pair of simulated hosts (their arguments are there: init and join carry the
 * test images' flags and the printed join command). They hold addresses, lease times and durations,
 * so no test compares them.
 */
export const HOST_SAMPLES: readonly { name: string }[] = [
  'init-dry-run', 'init-plain', 'join-plain', 'status-init-host', 'status-joined-host', 'doctor-joined-host',
  'token-create', 'token-list', 'hosts-list', 'logs-json', 'logs-tail', 'cleanup-joined-host',
  'doctor-failed-checks', 'init-preflight-error', 'ipam-gc-stale', 'status-unhealthy',
  'init-interrupted', 'status-terminal', 'cleanup-etcd-unreachable', 'init-terminal',
].map((name) => ({ name }));

export interface Run {
  code: number;
  /** stdout and stderr, in the order written (both to one pipe, as a terminal shows them). */
  output: string;
}

/** How to run the CLI: `node dist/cli.js` here, the sources under tsx in the test. */
export type Runner = (args: string[]) => Promise<Run>;

export function cliRunner(argvPrefix: string[]): Runner {
  return (args) =>
    new Promise((resolvePromise, reject) => {
      // One pipe for both streams (sh's 2>&1) keeps their order; no terminal, no colour, no CI tweaks.
      const quoted = [...argvPrefix, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
      const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], NO_COLOR: '1', LANG: 'C.UTF-8' };
      execFile('sh', ['-c', `${quoted} 2>&1`], { env, timeout: 30_000 }, (error, stdout) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
        if (code === undefined) reject(error ?? new Error('no exit code'));
        else resolvePromise({ code, output: stdout });
      });
    });
}

/** The block's body (between the markers), from a run. */
export function renderSample(sample: Sample, run: Run): string {
  const shown = run.output.replace(/\n$/, '').split('\n');
  const body = sample.lines !== undefined && shown.length > sample.lines ? [...shown.slice(0, sample.lines), '…'] : shown;
  const command = `${sample.on === undefined ? '$' : `[${sample.on}]$ sudo`} ignite-net ${sample.args.map((a) => (/^[\w./:=@-]+$/.test(a) ? a : `'${a}'`)).join(' ')}${sample.stdoutOnly ? ' 2>/dev/null' : ''}${sample.exit ? '; echo "exit $?"' : ''}`;
  return ['```console', command, ...body, ...(sample.exit ? [`exit ${run.code}`] : []), '```'].join('\n');
}

const BLOCK = /<!-- sample: ([\w-]+) -->\n([\s\S]*?)\n<!-- \/sample -->/g;

/** Each marked block of a text: its name and body. */
export function findBlocks(text: string): { name: string; body: string }[] {
  return [...text.matchAll(BLOCK)].map((m) => ({ name: m[1] ?? '', body: m[2] ?? '' }));
}

const KNOWN = new Set([...SAMPLES, ...HOST_SAMPLES].map((sample) => sample.name));

/**
 * The text with each block's body replaced by `bodies`'. A name in no sample list is an error; a
 * known one missing from `bodies` (the host samples, for the cheap run) is kept as it is.
 */
export function replaceBlocks(text: string, bodies: ReadonlyMap<string, string>): string {
  return text.replace(BLOCK, (all, name: string) => {
    if (!KNOWN.has(name)) throw new Error(`unknown sample "${name}": add it to SAMPLES or HOST_SAMPLES in scripts/docs-samples.ts`);
    const body = bodies.get(name);
    if (body === undefined) return all;
    return `<!-- sample: ${name} -->\n${body}\n<!-- /sample -->`;
  });
}

/** README.md and every docs/*.md. */
export async function docFiles(root: string): Promise<string[]> {
  const docs = (await readdir(join(root, 'docs'))).filter((f) => f.endsWith('.md')).sort();
  return [join(root, 'README.md'), ...docs.map((f) => join(root, 'docs', f))];
}

export async function renderAll(run: Runner): Promise<Map<string, string>> {
  const bodies = new Map<string, string>();
  for (const sample of SAMPLES) bodies.set(sample.name, renderSample(sample, await run(sample.args)));
  return bodies;
}

async function main(): Promise<number> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const check = process.argv.includes('--check');
  const bodies = await renderAll(cliRunner([process.execPath, join(root, 'dist', 'cli.js')]));
  let stale = 0;
  for (const file of await docFiles(root)) {
    const text = await readFile(file, 'utf8');
    const next = replaceBlocks(text, bodies);
    if (next === text) continue;
    const names = findBlocks(text).filter((b) => bodies.has(b.name) && b.body !== bodies.get(b.name)).map((b) => b.name);
    stale += names.length;
    process.stdout.write(`${relative(root, file)}: ${check ? 'stale' : 'rewrote'} ${names.join(', ')}\n`);
    if (!check) await writeFile(file, next);
  }
  if (stale === 0) process.stdout.write('every sample matches what the CLI prints\n');
  return check && stale > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => process.exit(code));
}
