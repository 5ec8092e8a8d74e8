/**
 * Status benchmark: `node dist/cli.js status --json` against a real etcd on loopback holding 1,000
 * leases, from process start to exit, beside Node's own start-up (`node -e 0`) in the same run.
 * Medians of interleaved runs (load that comes and goes hits both alike). Target (issue 3): ≤ 300 ms.
 *
 *   npm run build && npx tsx bench/status.ts [--runs 15] [--leases 1000]
 *
 * The leases look like flannel's (each under its own 24 h etcd lease; every 100th a reservation)
 * and their PublicIPs are loopback addresses 127.1.x.y, so the probes status sends stay on this
 * machine (nothing listens on 8285/udp there: each probe is rejected at once). Also prints how much
 * of a run is module loading.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Etcd3 } from 'etcd3';
import { startEtcd } from '../test/_helpers/etcd-process.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, leases: { type: 'string', default: '1000' } } });
const runs = Number(values.runs);
const leaseCount = Number(values.leases);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function timeRun(args: string[]): { ms: number; status: number | null; stdout: string; stderr: string } {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 });
  return { ms: performance.now() - started, status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function main(): Promise<void> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  const etcd = await startEtcd();
  // A second etcd with the config and no leases: the same run without the leases shows what they cost.
  const empty = await startEtcd();
  const tmp = mkdtempSync(join(tmpdir(), 'ignite-net-bench-status-'));
  const client = new Etcd3({ hosts: etcd.endpoint });
  const emptyClient = new Etcd3({ hosts: empty.endpoint });
  try {
    const config = JSON.stringify({ Network: '10.50.0.0/16', SubnetLen: 26, SubnetMin: '10.50.0.0', SubnetMax: '10.50.255.192', Backend: { Type: 'udp', Port: 8285 } });
    await client.put('/coreos.com/network/config').value(config);
    await emptyClient.put('/coreos.com/network/config').value(config);
    const seedStart = performance.now();
    const batch = 100;
    for (let start = 0; start < leaseCount; start += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, leaseCount - start) }, async (_, j) => {
          const i = start + j;
          const subnet = `10.50.${Math.floor(i / 4)}.${(i % 4) * 64}`;
          // Loopback only (network rule): 127.1.<i/250>.<1 + i%250>.
          const publicIP = `127.1.${Math.floor(i / 250)}.${1 + (i % 250)}`;
          const value = JSON.stringify({ PublicIP: publicIP, PublicIPv6: null, BackendType: 'udp', BackendData: null });
          const put = client.put(`/coreos.com/network/subnets/${subnet}-26`).value(value);
          if (i % 100 === 99) return void (await put); // a reservation: no etcd lease
          const lease = await client.leaseClient.leaseGrant({ TTL: 86_400 });
          await put.lease(lease.ID);
        }),
      );
    }
    console.log(`seeded ${leaseCount} leases in ${Math.round(performance.now() - seedStart)} ms at ${etcd.endpoint}`);

    const argsFor = (endpoint: string): string[] => [cli, 'status', '--json', '--etcd-endpoint', endpoint, '--state-dir', join(tmp, 'state'), '--run-dir', join(tmp, 'run'), '--cni-conf-dir', join(tmp, 'net.d'), '--cni-bin-dir', join(tmp, 'bin')];
    const statusArgs = argsFor(etcd.endpoint);
    const emptyArgs = argsFor(empty.endpoint);
    const check = timeRun(statusArgs);
    const doc = JSON.parse(check.stdout) as { hosts: unknown[]; probes: { probed: number; candidates: number }; exitCode: number };
    if (doc.hosts.length !== leaseCount) throw new Error(`status listed ${doc.hosts.length} hosts, expected ${leaseCount}`);
    console.log(`status --json: ${doc.hosts.length} hosts, probed ${doc.probes.probed} of ${doc.probes.candidates}, exit ${check.status}`);

    const base: number[] = [];
    const status: number[] = [];
    const version: number[] = [];
    const none: number[] = [];
    for (let i = 0; i < 2; i++) timeRun(statusArgs); // warm-up (page cache)
    for (let i = 0; i < runs; i++) {
      base.push(timeRun(['-e', '0']).ms);
      version.push(timeRun([cli, '--version']).ms);
      none.push(timeRun(emptyArgs).ms);
      status.push(timeRun(statusArgs).ms);
    }
    const b = median(base);
    const v = median(version);
    const s = median(status);
    const z = median(none);
    const row = (label: string, ms: number): string => `${label.padEnd(36)} ${ms.toFixed(0).padStart(5)} ms   ×${(ms / b).toFixed(2)}   +${(ms - b).toFixed(0)} ms`;
    console.log(`\nmedians of ${runs} interleaved runs (process start to exit)`);
    console.log(row('node -e 0', b));
    console.log(row('ignite-net --version', v));
    console.log(row('ignite-net status --json (0 leases)', z));
    console.log(row(`ignite-net status --json (${leaseCount} leases)`, s));
    console.log(`the ${leaseCount} leases cost ${(s - z).toFixed(0)} ms (range read, one LeaseTimeToLive call per lease, ${doc.probes.probed} probes, JSON); the rest is start-up, module loading, Docker and etcd connections`);
    console.log(`target ≤ 300 ms: ${s <= 300 ? 'met' : 'missed'}`);

  } finally {
    client.close();
    emptyClient.close();
    await etcd.stop();
    await empty.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
