/**
 * Start-up benchmark: how long `node dist/cli.js --version` and `--help` take from process start to
 * exit, beside Node's own start-up (`node -e 0`) measured in the same run, as medians of many runs.
 * Machines are noisy: read the ratio and the overhead over the baseline, not the absolute figure.
 *
 *   npm run build && npx tsx bench/startup.ts [--runs 40] [--warmup 5] [--runner hyperfine|loop] [--cli dist/cli.js]
 *
 * Uses hyperfine (Debian package `hyperfine`) when installed, else its own loop that interleaves the
 * commands run by run, so load that comes and goes hits them all alike. Prints figures; asserts
 * nothing (targets: --version ≤ 100 ms, --help ≤ 150 ms).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '5' },
    runner: { type: 'string' },
    /** Another build to time instead (e.g. an older one, to compare). */
    cli: { type: 'string', default: join(root, 'dist', 'cli.js') },
  },
});
const cli = resolve(values.cli);

interface Case {
  label: string;
  args: string[];
  /** Target from issue 3, in ms; undefined for the baseline. */
  target?: number;
}

const CASES: Case[] = [
  { label: 'node -e 0', args: ['-e', '0'] },
  { label: 'ignite-net --version', args: [cli, '--version'], target: 100 },
  { label: 'ignite-net --help', args: [cli, '--help'], target: 150 },
  { label: 'ignite-net init --help', args: [cli, 'init', '--help'], target: 150 },
];

interface Figures {
  median: number;
  min: number;
  max: number;
  runs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function figures(ms: number[]): Figures {
  return { median: median(ms), min: Math.min(...ms), max: Math.max(...ms), runs: ms.length };
}

const shellQuote = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

function hasHyperfine(): boolean {
  return spawnSync('hyperfine', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** hyperfine without a shell (-N), so its figures are process start to exit, like ours. */
function runHyperfine(runs: number, warmup: number): Figures[] {
  const dir = mkdtempSync(join(tmpdir(), 'ignite-net-bench-'));
  try {
    const out = join(dir, 'results.json');
    const commands = CASES.map((c) => [process.execPath, ...c.args].map(shellQuote).join(' '));
    const result = spawnSync('hyperfine', ['-N', '--style', 'none', '--warmup', String(warmup), '--runs', String(runs), '--export-json', out, ...commands], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (result.status !== 0) throw new Error(`hyperfine exited with ${result.status}`);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { results: { times: number[] }[] };
    return json.results.map((r) => figures(r.times.map((s) => s * 1000)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runOnce(args: string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}`);
  return elapsed;
}

function runLoop(runs: number, warmup: number): Figures[] {
  const times: number[][] = CASES.map(() => []);
  for (let i = 0; i < warmup + runs; i++) {
    CASES.forEach((c, index) => {
      const ms = runOnce(c.args);
      if (i >= warmup) times[index]!.push(ms);
    });
  }
  return times.map(figures);
}

function main(): void {
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0) throw new Error('--runs and --warmup take whole numbers');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  const runner = values.runner ?? (hasHyperfine() ? 'hyperfine' : 'loop');
  if (runner !== 'hyperfine' && runner !== 'loop') throw new Error('--runner is hyperfine or loop');

  const results = runner === 'hyperfine' ? runHyperfine(runs, warmup) : runLoop(runs, warmup);
  const base = results[0]!.median;
  const rows = CASES.map((c, i) => {
    const r = results[i]!;
    return [
      c.label,
      r.median.toFixed(1),
      `${r.min.toFixed(1)}–${r.max.toFixed(1)}`,
      i === 0 ? '1.00' : (r.median / base).toFixed(2),
      i === 0 ? '' : `+${(r.median - base).toFixed(1)}`,
      c.target === undefined ? '' : `≤ ${c.target} ${r.median <= c.target ? 'yes' : 'NO'}`,
    ];
  });
  const header = ['command', 'median ms', 'min–max', 'ratio', 'over node', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  process.stdout.write(
    [
      `${cli}: node ${process.version}, ${runs} runs after ${warmup} warm-up runs each, runner: ${runner === 'hyperfine' ? 'hyperfine -N' : 'own loop (interleaved)'}`,
      line(header),
      ...rows.map(line),
      '',
    ].join('\n'),
  );
}

main();
