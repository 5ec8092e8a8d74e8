/**
 * The floor of bench/bootstrap.ts, run inside one simulated host (its network and mount namespaces),
 * started once before the rounds so no process start is counted. Each line "go" on stdin runs one
 * round; it answers with one JSON line {ms, steps} (or {error}).
 *
 * What a round does is what the original script did plus what the secure default needs, with raw
 * dockerode and etcd3 calls and no checks: the same containers (etcdSpec/flannelSpec, the product's
 * own specs: same images, same options, TLS), etcd waited for with a tight v3 poll, the network config
 * put, etcd's users and roles made and auth enabled (init host only), flannel waited for with a tight
 * poll on subnet.env, the conflist written. The certificates and passwords were made by the bench
 * before the rounds.
 *
 *   argv[2]: JSON of FloorConfig
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { noop } from 'cockatiel';
import { Etcd3, Range } from 'etcd3';
import { etcdSpec, flannelSpec } from '../src/adapters/container-specs.js';
import { loadTemplate } from '../src/adapters/templates.js';
import { renderConflist } from '../src/cni/conflist.js';
import { CNI_FILES, ETCD_KEYS, ETCD_VOLUME } from '../src/defaults.js';
import { FLANNEL_ROLE, flannelPermissions, ROOT_ROLE, ROOT_USER } from '../src/pki/etcd-roles.js';

export interface FloorConfig {
  /** 'init': etcd, config, auth, then flannel; 'join': flannel only. */
  role: 'init' | 'join';
  socketPath: string;
  address: string;
  etcdAddress: string;
  etcdImage: string;
  flannelImage: string;
  /** Holds etcd-tls/ and flannel-tls/ as pkiLayout lays them out. */
  pkiDir: string;
  runDir: string;
  cniConfDir: string;
  caPem: string;
  networkConfig: string;
  rootPassword: string;
  /** Every host's flannel user and password (init makes them all). */
  users: { username: string; password: string }[];
  username: string;
}

const POLL_MS = 10;
const cfg = JSON.parse(process.argv[2] ?? '{}') as FloorConfig;
const docker = new Dockerode({ socketPath: cfg.socketPath });
const endpoint = `https://${cfg.etcdAddress}:2379`;

async function etcdUp(): Promise<void> {
  await docker.createVolume({ Name: ETCD_VOLUME });
  const c = await docker.createContainer(etcdSpec({ image: cfg.etcdImage, advertiseAddress: cfg.address, volume: ETCD_VOLUME, tls: { hostDir: join(cfg.pkiDir, 'etcd-tls') } }));
  await c.start();
}

async function etcdReady(client: Etcd3): Promise<void> {
  for (;;) {
    try {
      await client.maintenance.status();
      return;
    } catch {
      await sleep(POLL_MS);
    }
  }
}

async function seedAndAuth(client: Etcd3): Promise<void> {
  await client.put(`${ETCD_KEYS.prefix}/config`).value(cfg.networkConfig);
  const auth = client.auth;
  await auth.roleAdd({ name: ROOT_ROLE });
  await auth.userAdd({ name: ROOT_USER, password: cfg.rootPassword });
  await auth.userGrantRole({ user: ROOT_USER, role: ROOT_ROLE });
  await auth.roleAdd({ name: FLANNEL_ROLE });
  for (const p of flannelPermissions()) {
    const key = Buffer.from(p.key);
    // A single key has an empty range end, a prefix etcd3's Range.prefix end.
    const rangeEnd = p.prefix ? Range.prefix(key).end : Buffer.alloc(0);
    await auth.roleGrantPermission({ name: FLANNEL_ROLE, perm: { permType: p.permission === 'read' ? 'Read' : 'Readwrite', key, range_end: rangeEnd } });
  }
  for (const u of cfg.users) {
    await auth.userAdd({ name: u.username, password: u.password });
    await auth.userGrantRole({ user: u.username, role: FLANNEL_ROLE });
  }
  await auth.authEnable();
}

async function flannelUp(): Promise<void> {
  await mkdir(cfg.runDir, { recursive: true });
  const spec = flannelSpec({ image: cfg.flannelImage, etcdEndpoints: endpoint, advertiseAddress: cfg.address, runDir: cfg.runDir, secure: { hostDir: join(cfg.pkiDir, 'flannel-tls'), username: cfg.username } });
  const c = await docker.createContainer(spec);
  await c.start();
}

async function subnetEnv(): Promise<void> {
  const path = join(cfg.runDir, 'subnet.env');
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (/^FLANNEL_SUBNET=/m.test(text)) return;
    await sleep(POLL_MS);
  }
}

async function conflist(): Promise<void> {
  await mkdir(cfg.cniConfDir, { recursive: true });
  await writeFile(join(cfg.cniConfDir, CNI_FILES.ours), renderConflist(await loadTemplate(), {}));
}

async function round(): Promise<{ ms: number; steps: Record<string, number> }> {
  const steps: Record<string, number> = {};
  const started = performance.now();
  let mark = started;
  const lap = (name: string): void => {
    const now = performance.now();
    steps[name] = Math.round(now - mark);
    mark = now;
  };
  if (cfg.role === 'init') {
    await etcdUp();
    // A tight poll: grpc-js would otherwise back off its reconnects for up to 2 minutes.
    const client = new Etcd3({
      hosts: endpoint,
      credentials: { rootCertificate: Buffer.from(cfg.caPem) },
      faultHandling: { host: () => noop, global: noop },
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + 1_000 }),
      grpcOptions: { 'grpc.initial_reconnect_backoff_ms': POLL_MS, 'grpc.max_reconnect_backoff_ms': POLL_MS, 'grpc.use_local_subchannel_pool': 1 },
    });
    try {
      await etcdReady(client);
      lap('etcd');
      await seedAndAuth(client);
      lap('config+auth');
    } finally {
      client.close();
    }
  }
  await flannelUp();
  await subnetEnv();
  lap('flannel');
  await conflist();
  lap('cni');
  return { ms: performance.now() - started, steps };
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== 'go') continue;
  const answer = await round().then(
    (r) => r,
    (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
  );
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
