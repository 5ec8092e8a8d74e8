/**
 * Bootstrap benchmark (issue 13): two simulated hosts from nothing to a verified overlay, the product
 * against the raw container floor, interleaved in one run.
 *
 *   npm run build && sudo flock /tmp/ignite-heavy.lock npx tsx bench/bootstrap.ts [--rounds 5] [--trace] [--cli <other dist/cli.js>] [--versus <other dist/cli.js>] [--sudo-env]
 *
 * Needs what the e2e tests need (root, dockerd, the test images: scripts/test-setup.sh). Two hosts are
 * made as the tests make them (test/_helpers/hosts.ts), then, alternately, N rounds of
 *   - the floor (bench/bootstrap-floor.ts, one long-lived process per host, inside it): the product's
 *     own container specs (same images, same options, TLS) created and started with raw dockerode
 *     calls, etcd waited for with a tight v3 poll, the config put, users, roles and auth made with raw
 *     etcd3 calls, flannel waited for with a tight poll on subnet.env, the conflist written; no checks.
 *     Certificates and passwords are made before the rounds and not counted;
 *   - the product: `ignite-net init` on host 1, then `ignite-net join` (with the command init printed)
 *     on host 2, each a subprocess from start to exit, with --json, every check included.
 * The floor's round resets with `ignite-net cleanup --yes --purge` on both hosts (not counted). After
 * the product's join, init runs again on host 1 (a healthy host: nothing changes), then cleanup
 * --purge on host 2 and on host 1, each timed, every command under /usr/bin/time for its peak RSS (and
 * the CPU time of those three, less moved than the wall time by a machine that other work loads).
 * One untimed round of each goes first. It prints each round, the medians, the ratio (goal ≤ 1.15),
 * the other goals and the per-step medians of both; --trace prints every event of each round with
 * its time since the command's first.
 *
 * etcd's first election is raft's, not ours: a new single-member etcd becomes leader a randomised
 * 1–11 heartbeats after its start (0.1–1.1 s here), the same for the floor and the product (same
 * spec), and it swings a 5-round median by hundreds of ms. So each round also reads it off etcd's own
 * log (container StartedAt → "became leader") on both sides and prints the ratio with it taken out
 * of both: what the product adds, without the daemon's dice.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import Dockerode from 'dockerode';
import { buildNetworkConfig, renderNetworkConfig } from '../src/net/network-config.js';
import { createCa, createSelfSignedClient, issueCert } from '../src/pki/certs.js';
import { hostUser } from '../src/pki/etcd-roles.js';
import { ETCD_SERVER_NAME, pkiLayout, SECRET_MODE } from '../src/pki/layout.js';
import { newPassword, newToken } from '../src/pki/token.js';
import { CLI, assertBuilt, joinCommandOf, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../test/_helpers/cli.js';
import { createHosts, type SimHost } from '../test/_helpers/hosts.js';
import { ensureTestImages, REPO_ROOT, TEST_ETCD_IMAGE, TEST_FLANNEL_IMAGE } from '../test/_helpers/images.js';
import type { FloorConfig } from './bootstrap-floor.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, trace: { type: 'boolean', default: false }, cli: { type: 'string' }, versus: { type: 'string' }, 'sudo-env': { type: 'boolean', default: false } } });
// --sudo-env: the product's commands run without NODE_EXTRA_CA_CERTS, as `sudo ignite-net` runs on a
// real host (sudo's env_reset drops it). Node 20 loads that bundle before running any JS: where it
// names the system's CA bundle, ~45 ms of every process (`--version` 91 → 45 ms on this VM).
const commandEnv = { CI: 'true', NO_COLOR: '1', ...(values['sudo-env'] ? { NODE_EXTRA_CA_CERTS: undefined } : {}) };
// --cli <dist/cli.js of another build>: the same benchmark for it; --versus <another>: both builds, round by
// round (what a change bought, on a machine whose load moves from minute to minute).
const cliPath = values.cli ?? CLI;
const rounds = Number(values.rounds);

interface RunEvent {
  type: string;
  id?: string;
  durationMs?: number;
  next?: string[];
  message?: string;
  timestamp?: string;
  title?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

const fmt = (ms: number): string => `${Math.round(ms)}`.padStart(5);

/**
 * One CLI run inside a host, timed from spawn to exit, under /usr/bin/time for its peak RSS and its CPU
 * time (user + system, 10 ms resolution; less moved by a loaded machine than the wall time); its --json events parsed.
 */
async function cli(host: SimHost, args: string[], build = cliPath): Promise<{ ms: number; cpuMs: number; rssMb: number; events: RunEvent[] }> {
  const started = performance.now();
  const r = await host.exec('/usr/bin/time', ['-f', 'BENCH_MAXRSS_KB=%M BENCH_CPU=%U %S', process.execPath, build, ...args, '--json', '--timeout', '40s'], { timeoutMs: 120_000, env: commandEnv });
  const ms = performance.now() - started;
  if (r.code !== 0) throw new Error(`${host.name}: ignite-net ${args[0]} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as RunEvent);
  const cpu = /BENCH_CPU=([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { ms, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN, rssMb: Number(/BENCH_MAXRSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024, events };
}

async function reset(hosts: SimHost[]): Promise<void> {
  for (const host of [...hosts].reverse()) await cli(host, ['cleanup', '--yes', '--purge']);
}

/** Certificates, keys and passwords for the floor, laid out as the product's state dir holds them. */
async function floorConfigs(h1: SimHost, h2: SimHost): Promise<FloorConfig[]> {
  const ca = await createCa('bench floor CA');
  const member = await issueCert(ca, { commonName: 'ignite-etcd', usage: 'peer', altNames: [h1.address, '127.0.0.1', '::1', hostname(), ETCD_SERVER_NAME], validDays: 30 });
  const users = [h1, h2].map(() => ({ username: hostUser(newToken().id), password: newPassword() }));
  const network = renderNetworkConfig(buildNetworkConfig());
  const out: FloorConfig[] = [];
  for (const [i, host] of [h1, h2].entries()) {
    const pkiDir = join(host.dirs.root, 'floor-state');
    const layout = pkiLayout(pkiDir);
    await mkdir(layout.etcdTls.dir, { recursive: true, mode: 0o700 });
    await mkdir(layout.flannelTls.dir, { recursive: true, mode: 0o700 });
    const client = await createSelfSignedClient('bench floor flannel');
    const user = users[i] ?? { username: '', password: '' };
    const files: [string, string, number][] = [
      [layout.etcdTls.ca, ca.certPem, 0o644],
      [layout.etcdTls.cert, member.certPem + ca.certPem, 0o644],
      [layout.etcdTls.key, member.keyPem, SECRET_MODE],
      [layout.flannelTls.ca, ca.certPem, 0o644],
      [layout.flannelTls.cert, client.certPem, 0o644],
      [layout.flannelTls.key, client.keyPem, SECRET_MODE],
      [layout.flannelTls.password, user.password, SECRET_MODE],
    ];
    for (const [path, text, mode] of files) await writeFile(path, text, { mode });
    out.push({
      role: i === 0 ? 'init' : 'join',
      socketPath: host.socketPath,
      address: host.address,
      etcdAddress: h1.address,
      etcdImage: TEST_ETCD_IMAGE,
      flannelImage: TEST_FLANNEL_IMAGE,
      pkiDir,
      runDir: host.dirs.runDir,
      cniConfDir: host.dirs.cniConfDir,
      caPem: ca.certPem,
      networkConfig: network,
      rootPassword: newPassword(),
      users,
      username: user.username,
    });
  }
  return out;
}

/** A floor worker inside the host; `go()` runs one round there. */
function floorWorker(host: SimHost, config: FloorConfig): { go(): Promise<{ ms: number; steps: Record<string, number> }>; child: ChildProcess } {
  const child = host.spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'bench/bootstrap-floor.ts'), JSON.stringify(config)], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout ?? process.stdin })[Symbol.asyncIterator]();
  return {
    child,
    async go() {
      child.stdin?.write('go\n');
      const next = await lines.next();
      if (next.done) throw new Error(`${host.name}: the floor worker exited`);
      const answer = JSON.parse(next.value) as { ms: number; steps: Record<string, number>; error?: string };
      if (answer.error) throw new Error(`${host.name}: floor: ${answer.error}`);
      return answer;
    },
  };
}

/** etcd's first election on this host: its container's start to the "became leader" line of its log (docker's timestamps). */
async function electionMs(host: SimHost): Promise<number> {
  const etcd = host.docker.getContainer('ignite-etcd');
  const [info, logs] = await Promise.all([etcd.inspect(), etcd.logs({ stdout: true, stderr: true, timestamps: true })]);
  const stamp = logs
    .toString()
    .split('\n')
    .find((line) => line.includes('became leader'))
    ?.match(/\d{4}-\d\d-\d\dT[\d:.]+Z/)?.[0];
  if (stamp === undefined) throw new Error(`${host.name}: no "became leader" in etcd's log`);
  return Date.parse(stamp) - Date.parse(info.State.StartedAt);
}

/** init on host 1, join on host 2, init again on host 1, cleanup --purge on host 2 then host 1: each timed. */
async function productRound(h1: SimHost, h2: SimHost, build: string): Promise<Record<'a' | 'b' | 'again' | 'clean2' | 'clean1', Awaited<ReturnType<typeof cli>>> & { election: number }> {
  const a = await cli(h1, ['init', ...TEST_IMAGE_FLAGS], build);
  const election = await electionMs(h1);
  const summary = a.events.find((e) => e.type === 'summary');
  const joinArgs = joinCommandOf((summary?.next ?? []).join('\n'));
  const b = await cli(h2, [...joinArgs, ...TEST_FLANNEL_FLAGS], build);
  // The other goals: init again on a healthy host, cleanup (the joined host first), peak RSS.
  const again = await cli(h1, ['init', ...TEST_IMAGE_FLAGS], build);
  const againTitle = again.events.find((e) => e.type === 'summary')?.title ?? '';
  if (!againTitle.includes('already initialised')) throw new Error(`init again changed something: ${againTitle}`);
  const clean2 = await cli(h2, ['cleanup', '--yes', '--purge'], build);
  const clean1 = await cli(h1, ['cleanup', '--yes', '--purge'], build);
  return { a, b, again, clean2, clean1, election };
}

async function main(): Promise<void> {
  if (values.cli === undefined) assertBuilt();
  const images = await ensureTestImages();
  const sim = await createHosts(2, { images: [images.etcd, images.flannel], imagesFrom: new Dockerode(), bindDefaultPaths: true });
  const workers: ChildProcess[] = [];
  try {
    const [h1, h2] = sim.hosts as [SimHost, SimHost];
    const [c1, c2] = (await floorConfigs(h1, h2)) as [FloorConfig, FloorConfig];
    const w1 = floorWorker(h1, c1);
    const w2 = floorWorker(h2, c2);
    workers.push(w1.child, w2.child);

    // --versus: the same rounds for a second build, interleaved with the first (order alternating per round).
    const builds = values.versus === undefined ? [cliPath] : [cliPath, values.versus];
    const floor: number[] = [];
    const floorElection: number[] = [];
    const floorSteps = new Map<string, number[]>();
    const results = builds.map(() => ({ product: [] as number[], election: [] as number[], withoutElection: [] as number[], init: [] as number[], joined: [] as number[], steps: new Map<string, number[]>(), others: new Map<string, number[]>(), cpu: new Map<string, number[]>(), rss: new Map<string, number>() }));
    const add = (map: Map<string, number[]>, key: string, ms: number): void => void map.set(key, [...(map.get(key) ?? []), ms]);
    console.log(`two simulated hosts (${h1.address}, ${h2.address}); ${rounds} rounds each, interleaved; ms, process start to exit`);
    if (builds.length > 1) console.log(`builds: A ${builds[0] ?? ''}, B ${builds[1] ?? ''} (each round runs both, in alternating order)`);
    console.log(`round   floor  ${builds.length > 1 ? 'product A, product B' : 'product'} (init + join)`);
    // One untimed round of each first: page cache, images' layers, dockerd's first container.
    for (let i = -1; i < rounds; i++) {
      const started = performance.now();
      const f1 = await w1.go();
      const f2 = await w2.go();
      const f = performance.now() - started;
      const fe = await electionMs(h1);
      await reset([h1, h2]);
      const order = builds.map((_, b) => b);
      if (i % 2 === 1) order.reverse();
      const runs: Awaited<ReturnType<typeof productRound>>[] = [];
      for (const b of order) runs[b] = await productRound(h1, h2, builds[b] ?? cliPath);
      if (i < 0) continue;
      floor.push(f);
      floorElection.push(fe);
      for (const [k, v] of Object.entries(f1.steps)) add(floorSteps, `init host: ${k}`, v);
      for (const [k, v] of Object.entries(f2.steps)) add(floorSteps, `join host: ${k}`, v);
      for (const [b, run] of runs.entries()) {
        const r = results[b];
        if (!r) continue;
        const { a, b: j, again, clean2, clean1 } = run;
        add(r.others, 'init again (healthy host)', again.ms);
        add(r.others, 'cleanup --purge, joined host', clean2.ms);
        add(r.others, 'cleanup --purge, init host', clean1.ms);
        add(r.cpu, 'init again (healthy host)', again.cpuMs);
        add(r.cpu, 'cleanup --purge, joined host', clean2.cpuMs);
        add(r.cpu, 'cleanup --purge, init host', clean1.cpuMs);
        const named = [['init', a], ['join', j], ['init again', again], ['cleanup, joined', clean2], ['cleanup, init', clean1]] as const;
        for (const [name, c] of named) r.rss.set(name, Math.max(r.rss.get(name) ?? 0, c.rssMb));
        r.init.push(a.ms);
        r.joined.push(j.ms);
        r.product.push(a.ms + j.ms);
        r.election.push(run.election);
        // Against this round's floor, each without its own election.
        r.withoutElection.push((a.ms + j.ms - run.election) / (f - fe));
        for (const [name, c] of named) {
          for (const e of c.events) if (e.type === 'step-success' && e.id && e.durationMs !== undefined) add(r.steps, `${name}: ${e.id}`, e.durationMs);
          const end = c.events.find((e) => e.type === 'command-end');
          if (end?.durationMs !== undefined) add(r.steps, `${name}: (first to last event)`, end.durationMs);
        }
        if (values.trace) {
          // --trace: every event of this round's commands, ms since the command's first event.
          for (const [, c] of named) {
            const t0 = Date.parse(c.events[0]?.timestamp ?? '');
            for (const e of c.events) console.log(`  ${fmt(Date.parse(e.timestamp ?? '') - t0)}  ${e.type} ${e.id ?? ''} ${e.message ?? ''}`);
          }
        }
      }
      console.log(`${String(i + 1).padStart(5)}  ${fmt(f)}  ${runs.map((run) => `${fmt(run.a.ms + run.b.ms)} (${Math.round(run.a.ms)} + ${Math.round(run.b.ms)})`).join(', ')}`);
    }
    const fm = median(floor);
    const label = (b: number): string => (builds.length > 1 ? ` [${b === 0 ? 'A' : 'B'}]` : '');
    console.log(`\nmedians: floor ${Math.round(fm)} ms`);
    for (const [b, r] of results.entries()) {
      const pm = median(r.product);
      console.log(`  product${label(b)} ${Math.round(pm)} ms (init ${Math.round(median(r.init))} + join ${Math.round(median(r.joined))}); ratio ${(pm / fm).toFixed(2)} (goal ≤ 1.15)`);
    }
    console.log(`etcd's first election (its start to "became leader", raft's randomised timeout): floor ${fmt(median(floorElection))} ms${results.map((r, b) => `, product${label(b)} ${fmt(median(r.election))} ms`).join('')}`);
    for (const [b, r] of results.entries()) console.log(`  ratio with each side's election taken out${label(b)}: ${median(r.withoutElection).toFixed(2)} (median of the rounds' ratios)`);
    console.log('\nfloor, per part (medians):');
    for (const [k, v] of floorSteps) console.log(`  ${k.padEnd(30)} ${fmt(median(v))} ms`);
    console.log("\nthe other goals (medians; peak RSS the highest of the rounds, /usr/bin/time -v's maximum resident set size):");
    const first = results[0];
    for (const k of first?.others.keys() ?? []) console.log(`  ${k.padEnd(30)} ${results.map((r) => `${fmt(median(r.others.get(k) ?? []))} ms`).join('  ')}   (goal ≤ ${k.startsWith('init') ? 300 : 500} ms)`);
    for (const k of first?.cpu.keys() ?? []) console.log(`  CPU time, ${k.padEnd(30)} ${results.map((r) => `${fmt(median(r.cpu.get(k) ?? []))} ms`).join('  ')}`);
    for (const k of first?.rss.keys() ?? []) console.log(`  peak RSS, ${k.padEnd(20)} ${results.map((r) => `${(r.rss.get(k) ?? NaN).toFixed(0).padStart(5)} MB`).join('  ')}   (goal ≤ 100 MB)`);
    console.log(`\nthe product's steps (medians of its step-success durationMs${builds.length > 1 ? '; A, B' : ''}):`);
    for (const k of first?.steps.keys() ?? []) console.log(`  ${k.padEnd(36)} ${results.map((r) => `${fmt(median(r.steps.get(k) ?? []))} ms`).join('  ')}`);
  } finally {
    for (const w of workers) w.stdin?.end();
    await sim.destroy();
  }
}

await main();
