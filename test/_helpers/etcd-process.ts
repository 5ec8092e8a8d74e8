/**
 * A real etcd process for tests: loopback only, free ports, private data dir, killed by PID.
 *
 * Use `startEtcdFor(t)` in a test (stopped by `t.teardown`, so also when an assertion fails), or
 * `startEtcd()` in `test.before` with `stop()` in `test.after.always` to share one per file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { noop } from 'cockatiel';
import { Etcd3, type IOptions } from 'etcd3';
import { createCa, issueCert, type CertAndKey } from '../../src/pki/certs.js';
import { procState } from './proc.js';
import { newPassword } from '../../src/pki/token.js';

export interface EtcdProcess {
  /** Client URL, e.g. `http://127.0.0.1:40123` (`https://` with TLS). */
  endpoint: string;
  /** With `tls`: the CA that signed the server's certificate (key included, to sign more). */
  ca?: CertAndKey;
  /** With `auth`: user `root`'s password (auth is enabled before the process is returned). */
  rootPassword?: string;
  clientPort: number;
  peerPort: number;
  /** `--name`, e.g. `test-40123`. */
  name: string;
  /** e.g. `https://127.0.0.1:40124` with peerTls. */
  peerUrl: string;
  dataDir: string;
  pid: number;
  /** Last lines etcd wrote, for failure messages. */
  logs(): string;
  /**
   * SIGSTOP: the port stays open but nothing answers, as with a hung or partitioned host. Resolves
   * once every thread of etcd is stopped: a thread still running when kill() returns could answer
   * the caller's next request (seen in CI: a ping sent right after the signal was answered).
   */
  pause(): Promise<void>;
  /** SIGCONT after pause(). */
  resume(): void;
  /** SIGKILL without removing the data dir, as when the host dies. */
  kill(): Promise<void>;
  /** Kills etcd (by PID) and removes its data dir. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface StartEtcdOptions {
  /** How long to wait for etcd to answer over the v3 API. */
  readyTimeoutMs?: number;
  /**
   * Serve clients over TLS with a server certificate for 127.0.0.1 from our own CA (src/pki), as
   * `ignite-net init` does: no --trusted-ca-file, clients authenticate by password, not certificate.
   */
  tls?: boolean;
  /** Create user root (role root) with a random password and `auth enable`. */
  auth?: boolean;
  /** Sign the certificates with this CA instead of a new one (members of one cluster share it). Implies tls. */
  ca?: CertAndKey;
  /**
   * Peers over TLS too, as the product's etcdSpec: one CA-signed member certificate (serverAuth and
   * clientAuth, src/pki/certs.ts 'peer') for both ports, --peer-client-cert-auth. Implies tls.
   */
  peerTls?: boolean;
  /**
   * Join an existing cluster (`--initial-cluster-state existing`) instead of starting a new one: called
   * with this member's name and peer URL once its ports are chosen (add it there as a learner, as
   * `join --control-plane` does), it returns `--initial-cluster`. The cluster's auth, if any, is the
   * cluster's: `auth` is ignored. Not retried on a port taken (the member was added with its URL).
   */
  join?: (self: { name: string; peerUrl: string }) => Promise<string>;
}

const ETCD_CANDIDATES = ['/usr/bin/etcd', '/usr/local/bin/etcd'];
const READY_TIMEOUT_MS = 15_000;
const BIND_ATTEMPTS = 5;
const LOG_LIMIT = 8_000;

/** Every etcd started by this worker, so none survives the worker even if a test forgets stop(). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function etcdBinary(): string {
  const fromEnv = process.env['ETCD_BIN'];
  const candidates = fromEnv ? [fromEnv] : [...ETCD_CANDIDATES, ...pathCandidates()];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not this one; try the next
    }
  }
  throw new Error(
    'etcd is not installed (looked for ' +
      candidates.join(', ') +
      '). Install it with `apt-get install etcd-server` (or set ETCD_BIN).',
  );
}

function pathCandidates(): string[] {
  return (process.env['PATH'] ?? '').split(':').filter(Boolean).map((dir) => path.join(dir, 'etcd'));
}

/** A port nothing listens on right now (also handy as a "closed port" in tests). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

class PortTakenError extends Error {}

export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdProcess> {
  const binary = etcdBinary();
  let lastError: unknown;
  const attempts = options.join ? 1 : BIND_ATTEMPTS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await startOnce(binary, options);
    } catch (error) {
      // Another process may grab a port between choosing it and etcd binding it: choose again.
      if (!(error instanceof PortTakenError)) throw error;
      lastError = error;
    }
  }
  throw new Error(`etcd could not bind free loopback ports after ${attempts} attempt(s)`, { cause: lastError });
}

/** Starts etcd and stops it when the test ends, pass or fail. */
export async function startEtcdFor(
  t: { teardown(fn: () => Promise<void> | void): void },
  options?: StartEtcdOptions,
): Promise<EtcdProcess> {
  const etcd = await startEtcd(options);
  t.teardown(() => etcd.stop());
  return etcd;
}

/** A DNS name the TLS server's certificate carries besides 127.0.0.1 (for EtcdTls.serverName). */
export const TEST_SERVER_NAME = 'etcd.ignite-net.test';

interface ServerTls {
  ca: CertAndKey;
  dir: string;
  args: string[];
}

async function serverTls(options: Pick<StartEtcdOptions, 'ca' | 'peerTls'>): Promise<ServerTls> {
  const ca = options.ca ?? (await createCa('ignite-net test CA'));
  const peer = options.peerTls === true;
  const server = await issueCert(ca, { commonName: 'ignite-net test etcd', usage: peer ? 'peer' : 'server', altNames: ['127.0.0.1', TEST_SERVER_NAME], validDays: 1 });
  const dir = await mkdtemp(path.join(tmpdir(), 'ignite-net-etcd-tls-'));
  const cert = path.join(dir, 'server.pem');
  const key = path.join(dir, 'server-key.pem');
  const caFile = path.join(dir, 'ca.pem');
  await writeFile(cert, server.certPem + ca.certPem, { mode: 0o600 });
  await writeFile(key, server.keyPem, { mode: 0o600 });
  await writeFile(caFile, ca.certPem);
  const peerArgs = peer ? [`--peer-cert-file=${cert}`, `--peer-key-file=${key}`, `--peer-trusted-ca-file=${caFile}`, '--peer-client-cert-auth'] : [];
  return { ca, dir, args: [`--cert-file=${cert}`, `--key-file=${key}`, ...peerArgs] };
}

async function startOnce(binary: string, options: StartEtcdOptions): Promise<EtcdProcess> {
  const readyTimeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS;
  const clientPort = await freeLoopbackPort();
  let peerPort = await freeLoopbackPort();
  while (peerPort === clientPort) peerPort = await freeLoopbackPort();
  const tls = options.tls === true || options.ca !== undefined || options.peerTls === true ? await serverTls(options) : undefined;
  const endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
  const peerUrl = `${options.peerTls === true ? 'https' : 'http'}://127.0.0.1:${peerPort}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ignite-net-etcd-'));
  const name = `test-${clientPort}`;
  let cluster = [`--initial-cluster=${name}=${peerUrl}`, '--initial-cluster-state=new'];
  if (options.join) {
    try {
      cluster = [`--initial-cluster=${await options.join({ name, peerUrl })}`, '--initial-cluster-state=existing'];
    } catch (error) {
      await rm(dataDir, { recursive: true, force: true });
      if (tls) await rm(tls.dir, { recursive: true, force: true });
      throw error;
    }
  }

  const child = spawn(
    binary,
    [
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      ...cluster,
      '--logger=zap',
      '--log-level=warn',
      ...(tls?.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);

  let log = '';
  const append = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-LOG_LIMIT);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    // A process that never started emits 'error' and no 'exit'.
    child.once('error', () => {
      if (child.pid === undefined) resolve();
    });
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  void exited.then(() => live.delete(child));

  const signal = (sig: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  const killAndWait = async (): Promise<void> => {
    signal('SIGCONT'); // a paused etcd cannot act on SIGTERM
    signal('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
    if (!done) {
      signal('SIGKILL');
      await exited;
    }
  };
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await killAndWait();
      await rm(dataDir, { recursive: true, force: true });
      if (tls) await rm(tls.dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const clientOptions: IOptions = {
    hosts: endpoint,
    faultHandling: { host: () => noop, global: noop },
    grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 50, 'grpc.max_reconnect_backoff_ms': 200 },
    ...(tls ? { credentials: { rootCertificate: Buffer.from(tls.ca.certPem) } } : {}),
  };
  let rootPassword: string | undefined;
  try {
    await waitReady(clientOptions, readyTimeoutMs, exited, spawnError, () => log);
    if (options.auth === true && !options.join) rootPassword = await enableAuth(clientOptions);
  } catch (error) {
    await stop();
    if (/address already in use/i.test(log)) throw new PortTakenError(log);
    throw error;
  }

  return {
    endpoint,
    ...(tls ? { ca: tls.ca } : {}),
    ...(rootPassword === undefined ? {} : { rootPassword }),
    clientPort,
    peerPort,
    name,
    peerUrl,
    dataDir,
    pid: child.pid ?? -1,
    logs: () => log,
    pause: async () => {
      signal('SIGSTOP');
      await allThreadsStopped(child.pid ?? -1);
    },
    resume: () => signal('SIGCONT'),
    kill: async () => {
      signal('SIGCONT');
      signal('SIGKILL');
      await exited;
    },
    stop,
  };
}

/** Ready means a v3 (gRPC) Status call answers and the member sees a leader, so writes will work. */
async function waitReady(
  clientOptions: IOptions,
  timeoutMs: number,
  exited: Promise<void>,
  spawnError: Promise<Error>,
  logs: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Filled in by the child's events while the loop below polls.
  const child: { exited: boolean; spawnError?: NodeJS.ErrnoException } = { exited: false };
  void exited.then(() => {
    child.exited = true;
  });
  void spawnError.then((error) => {
    child.spawnError = error;
  });
  const endpoint = String(clientOptions.hosts);
  const client = new Etcd3(clientOptions);
  let lastError = 'no answer yet';
  try {
    while (Date.now() < deadline) {
      if (child.spawnError) {
        throw new Error(
          child.spawnError.code === 'ENOENT'
            ? 'etcd is not installed. Install it with `apt-get install etcd-server` (or set ETCD_BIN).'
            : `etcd could not be started: ${child.spawnError.message}`,
        );
      }
      if (child.exited) throw new Error(`etcd exited before it was ready:\n${logs()}`);
      try {
        const status = await client.maintenance.status({ deadline: Date.now() + 1_000 });
        if (status.leader !== '0') return;
        lastError = 'no leader yet';
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      await sleep(50);
    }
    throw new Error(`etcd at ${endpoint} not ready within ${timeoutMs} ms (${lastError}):\n${logs()}`);
  } finally {
    client.close();
  }
}

/** As etcdctl's `user add root`, `user grant-role root root`, `auth enable`; independent of src/adapters/etcd/admin.ts. */
async function enableAuth(clientOptions: IOptions): Promise<string> {
  const password = newPassword();
  const client = new Etcd3(clientOptions);
  try {
    await client.auth.userAdd({ name: 'root', password });
    await client.auth.userGrantRole({ user: 'root', role: 'root' });
    await client.auth.authEnable();
  } finally {
    client.close();
  }
  return password;
}

/** Until every thread of `pid` is in state T (stopped), per /proc/<pid>/task/<tid>/stat; 5 s at most. */
async function allThreadsStopped(pid: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const tasks = await readdir(`/proc/${pid}/task`).catch(() => []);
    // A thread gone meanwhile counts as stopped.
    const states = await Promise.all(tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').then(procState, () => 'T')));
    if (states.every((state) => state === 'T')) return;
    if (Date.now() > deadline) throw new Error(`etcd (pid ${pid}) not stopped 5 s after SIGSTOP: thread states ${states.join('')}`);
    await sleep(2);
  }
}
