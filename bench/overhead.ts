/**
 * Per-command fixed cost (issue 13): for join, init again on a healthy host and cleanup of the joined
 * host, how long each process spends before its first event (Node's start, loading the chunks, what
 * runs before the first step), between its first and last event (the steps), and after its last
 * event (closing clients, exit), for one or two builds, interleaved round by round.
 *
 *   npm run build && sudo flock /tmp/ignite-heavy.lock npx tsx bench/overhead.ts [--rounds 7] [--cli <dist/cli.js>] [--versus <other dist/cli.js>]… [--sudo-env] [--trace] [--node-arg <flag>]…
 *
 * Two simulated hosts as the tests make them; init on host 1 once (not counted), then each round, per
 * build (order alternating): join on host 2, init again on host 1, cleanup --purge on host 2. Every
 * command runs with --json; times come from the wall clock at spawn and exit and the events' own
 * timestamps (ms), so "before" includes nsenter's exec (~1–2 ms). --node-arg passes a flag to node for
 * every command (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import Dockerode from 'dockerode';
import { CLI, joinCommandOf, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../test/_helpers/cli.js';
import { createHosts, type SimHost } from '../test/_helpers/hosts.js';
import { ensureTestImages } from '../test/_helpers/images.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    cli: { type: 'string' },
    versus: { type: 'string', multiple: true, default: [] },
    'sudo-env': { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    'node-arg': { type: 'string', multiple: true, default: [] },
  },
});
const builds = [values.cli ?? CLI, ...(values.versus ?? [])];
const LETTERS = 'ABCDEFGH';

interface Timing {
  /** The process's CPU time (user + system, /usr/bin/time: 10 ms resolution): less noisy than wall time on a loaded machine. */
  cpu: number;
  total: number;
  before: number;
  steps: number;
  after: number;
}

function run(host: SimHost, build: string, args: string[]): Promise<{ timing: Timing; events: { type: string; timestamp: string; next?: string[]; title?: string }[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(host.nsenterPrefix[0] ?? 'nsenter', [...host.nsenterPrefix.slice(1), '/usr/bin/time', '-f', 'BENCH_CPU=%U %S', process.execPath, ...(values['node-arg'] ?? []), build, ...args, '--json', '--timeout', '40s'], {
      // --sudo-env: without what sudo's env_reset drops on a real host and Node reads at start (NODE_EXTRA_CA_CERTS: Node 20 loads that bundle before running any JS).
      env: host.env({ CI: 'true', NO_COLOR: '1', ...(values['sudo-env'] ? { NODE_EXTRA_CA_CERTS: undefined } : {}) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = Date.now();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ended = Date.now();
      if (code !== 0) return reject(new Error(`${host.name}: ${args[0]} exited ${code}\n${stdout}\n${stderr}`));
      const events = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; timestamp: string });
      const first = Date.parse(events[0]?.timestamp ?? '');
      const last = Date.parse(events.at(-1)?.timestamp ?? '');
      const cpu = /BENCH_CPU=([\d.]+) ([\d.]+)/.exec(stderr);
      resolve({ timing: { cpu: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN, total: ended - started, before: first - started, steps: last - first, after: ended - last }, events });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

async function main(): Promise<void> {
  const images = await ensureTestImages();
  const sim = await createHosts(2, { images: [images.etcd, images.flannel], imagesFrom: new Dockerode(), bindDefaultPaths: true });
  try {
    const [h1, h2] = sim.hosts as [SimHost, SimHost];
    const init = await run(h1, builds[0] ?? CLI, ['init', ...TEST_IMAGE_FLAGS]);
    const summary = init.events.find((e) => e.type === 'summary');
    // A token joins one host: each init again prints a new one, for the next round's join.
    let joinArgs = joinCommandOf((summary?.next ?? []).join('\n'));
    const results = builds.map(() => new Map<string, Timing[]>());
    const rounds = Number(values.rounds);
    // One untimed round first (page cache).
    for (let i = -1; i < rounds; i++) {
      const order = builds.map((_, b) => b);
      // Rotate the order each round, so no build always goes first.
      for (let r = 0; r < ((i % builds.length) + builds.length) % builds.length; r++) order.push(order.shift() ?? 0);
      for (const b of order) {
        const build = builds[b] ?? CLI;
        const joined = await run(h2, build, [...joinArgs, ...TEST_FLANNEL_FLAGS]);
        const again = await run(h1, build, ['init', ...TEST_IMAGE_FLAGS]);
        const againSummary = again.events.find((e) => e.type === 'summary');
        if (!(againSummary?.title ?? '').includes('already initialised')) throw new Error('init again changed something');
        joinArgs = joinCommandOf((againSummary?.next ?? []).join('\n'));
        const cleaned = await run(h2, build, ['cleanup', '--yes', '--purge']);
        if (i < 0) continue;
        if (values.trace) {
          // --trace: each command's events, ms since its spawn.
          for (const [name, r] of [['join', joined], ['init again', again], ['cleanup, joined', cleaned]] as const) {
            const t0 = Date.parse(r.events[0]?.timestamp ?? '') - r.timing.before;
            console.log(`  ${name}`);
            for (const e of r.events) console.log(`    ${String(Date.parse(e.timestamp) - t0).padStart(5)}  ${e.type} ${(e as { id?: string }).id ?? ''}`);
          }
        }
        for (const [name, r] of [['join', joined], ['init again', again], ['cleanup, joined', cleaned]] as const) {
          const map = results[b];
          map?.set(name, [...(map.get(name) ?? []), r.timing]);
        }
        console.log(`round ${i + 1} ${builds.length > 1 ? LETTERS[b] : ''}: join ${joined.timing.total}, init again ${again.timing.total}, cleanup ${cleaned.timing.total} ms`);
      }
    }
    if (builds.length > 1) for (const [b, build] of builds.entries()) console.log(`${LETTERS[b]} ${build}`);
    console.log(`\nmedians, ms (${rounds} rounds):  total = before first event + first..last event + after last event; cpu`);
    for (const name of results[0]?.keys() ?? []) {
      const cells = results.map((r) => {
        const t = r.get(name) ?? [];
        const m = (k: keyof Timing) => String(Math.round(median(t.map((x) => x[k])))).padStart(5);
        return `${m('total')} = ${m('before')} + ${m('steps')} + ${m('after')}; ${m('cpu')}`;
      });
      console.log(`  ${name.padEnd(16)} ${cells.join('   |  ')}`);
    }
    await run(h1, builds[0] ?? CLI, ['cleanup', '--yes', '--purge']);
  } finally {
    await sim.destroy();
  }
}

await main();
