import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { assertBuilt, CLI } from '../_helpers/cli.js';
import { startEtcdFor } from '../_helpers/etcd-process.js';

/**
 * status remembers lease expiry in the state dir so a run asks etcd only about leases it has not
 * seen, or whose remembered time left is under the warning line. Runs the built CLI on this host
 * against a loopback etcd; the leases' PublicIPs are loopback addresses, so status's probes stay here.
 */

interface Doc {
  etcd: { ok: boolean; leaseTtls?: { asked: number; remembered: number } };
  hosts: { subnet: string; reserved: boolean; ttlSeconds?: number }[];
  problems: { code: string; subject?: string }[];
}

const run = promisify(execFile);
const CONFIG = JSON.stringify({ Network: '10.50.0.0/16', SubnetLen: 24, Backend: { Type: 'udp', Port: 8285 } });
const value = (ip: string): string => JSON.stringify({ PublicIP: ip, PublicIPv6: null, BackendType: 'udp', BackendData: null });

async function status(endpoint: string, dir: string, stateDir: string): Promise<Doc> {
  const args = [CLI, 'status', '--json', '--etcd-endpoint', endpoint, '--state-dir', stateDir, '--run-dir', join(dir, 'run'), '--cni-conf-dir', join(dir, 'net.d'), '--cni-bin-dir', join(dir, 'bin')];
  // Exit 10 (unhealthy: no flannel here) is expected; the document is what is tested.
  const result = await run(process.execPath, args, { env: { ...process.env, CI: 'true', NO_COLOR: '1' } }).catch((error: { stdout?: string; code?: number }) => {
    if (error.code !== 10 || !error.stdout) throw error;
    return { stdout: error.stdout };
  });
  return JSON.parse(result.stdout) as Doc;
}

/** A loopback etcd holding the network config, a client for it and a temp dir, all torn down. */
async function setUp(t: ExecutionContext): Promise<{ endpoint: string; client: Etcd3; dir: string }> {
  assertBuilt();
  const etcd = await startEtcdFor(t);
  const client = new Etcd3({ hosts: etcd.endpoint, faultHandling: { host: () => noop, global: noop } });
  t.teardown(() => client.close());
  const dir = await mkdtemp(join(tmpdir(), 'ignite-net-lease-cache-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await client.put('/coreos.com/network/config').value(CONFIG);
  return { endpoint: etcd.endpoint, client, dir };
}

test('status asks etcd for a lease TTL once, then remembers it beside the state file', async (t) => {
  const { endpoint, client, dir } = await setUp(t);
  const stateDir = join(dir, 'state');
  await mkdir(stateDir, { mode: 0o700 }); // as init leaves it

  const grant = async (subnet: string, ip: string, ttl: number): Promise<string> => {
    const { ID } = await client.leaseClient.leaseGrant({ TTL: ttl });
    await client.put(`/coreos.com/network/subnets/${subnet}`).value(value(ip)).lease(ID);
    return ID;
  };
  await grant('10.50.1.0-24', '127.0.0.11', 86_400);
  await grant('10.50.2.0-24', '127.0.0.12', 86_400);
  const short = await grant('10.50.3.0-24', '127.0.0.13', 600); // under flannel's renew margin: a warning
  await client.put('/coreos.com/network/subnets/10.50.4.0-24').value(value('127.0.0.14')); // reservation

  const first = await status(endpoint, dir, stateDir);
  t.deepEqual(first.etcd.leaseTtls, { asked: 3, remembered: 0 });
  const cache = join(stateDir, 'lease-expiry.json');
  t.is((await stat(cache)).mode & 0o777, 0o600, 'root-only, like the state file');

  const second = await status(endpoint, dir, stateDir);
  t.deepEqual(second.etcd.leaseTtls, { asked: 1, remembered: 2 }, 'only the lease under the warning line is asked again');
  t.deepEqual(
    second.hosts.map((h) => h.subnet),
    first.hosts.map((h) => h.subnet),
  );
  for (const [i, host] of second.hosts.entries()) {
    const before = first.hosts[i]?.ttlSeconds;
    if (host.reserved) t.is(host.ttlSeconds, undefined);
    else t.true(host.ttlSeconds !== undefined && before !== undefined && host.ttlSeconds <= before && host.ttlSeconds >= before - 30, `${host.subnet}: ${before} then ${host.ttlSeconds}`);
  }
  t.true(second.problems.some((p) => p.code === 'lease-not-renewed' && p.subject?.endsWith('10.50.3.0-24') === true), 'the short lease is still reported');

  // flannel renews by putting the key under a new lease: asked about once, then remembered.
  const renewed = await grant('10.50.3.0-24', '127.0.0.13', 86_400);
  t.not(renewed, short);
  const third = await status(endpoint, dir, stateDir);
  t.deepEqual(third.etcd.leaseTtls, { asked: 1, remembered: 2 }, 'the new lease is asked about once');
  t.false(third.problems.some((p) => p.code === 'lease-not-renewed'));
  const fourth = await status(endpoint, dir, stateDir);
  t.deepEqual(fourth.etcd.leaseTtls, { asked: 0, remembered: 3 });
  const remembered = JSON.parse(await readFile(cache, 'utf8')) as { expiresAt: Record<string, number> };
  t.is(Object.keys(remembered.expiresAt).length, 3, 'the replaced lease is forgotten');
  t.false(BigInt(short).toString(16) in remembered.expiresAt);

  // A torn or foreign cache is ignored and rewritten.
  await writeFile(cache, '{"version":1,"clusterId":', { mode: 0o600 });
  t.deepEqual((await status(endpoint, dir, stateDir)).etcd.leaseTtls, { asked: 3, remembered: 0 });
  t.deepEqual((await status(endpoint, dir, stateDir)).etcd.leaseTtls, { asked: 0, remembered: 3 });
});

test('status never creates a state dir to remember leases in', async (t) => {
  const { endpoint, client, dir } = await setUp(t);
  const { ID } = await client.leaseClient.leaseGrant({ TTL: 86_400 });
  await client.put('/coreos.com/network/subnets/10.50.1.0-24').value(value('127.0.0.11')).lease(ID);

  const stateDir = join(dir, 'never-set-up');
  for (let i = 0; i < 2; i++) t.deepEqual((await status(endpoint, dir, stateDir)).etcd.leaseTtls, { asked: 1, remembered: 0 });
  t.false(existsSync(stateDir));
});
