/**
 * A real etcd process for tests: loopback only, free ports, private data dir, killed by PID.
 *
 * Use `startEtcdFor(t)` in a test (stopped by `t.teardown`, so also when an assertion fails), or
 * `startEtcd()` in `test.before` with `stop()` in `test.after.always` to share one per file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';

export interface EtcdProcess {
  /** Client URL, e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  pid: number;
  /** Last lines etcd wrote, for failure messages. */
  logs(): string;
  /** SIGSTOP: the port stays open but nothing answers, as with a hung or partitioned host. */
  pause(): void;
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
  for (let attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, options.readyTimeoutMs ?? READY_TIMEOUT_MS);
    } catch (error) {
      // Another process may grab a port between choosing it and etcd binding it: choose again.
      if (!(error instanceof PortTakenError)) throw error;
      lastError = error;
    }
  }
  throw new Error(`etcd could not bind free loopback ports after ${BIND_ATTEMPTS} attempts`, { cause: lastError });
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

async function startOnce(binary: string, readyTimeoutMs: number): Promise<EtcdProcess> {
  const clientPort = await freeLoopbackPort();
  let peerPort = await freeLoopbackPort();
  while (peerPort === clientPort) peerPort = await freeLoopbackPort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ignite-net-etcd-'));
  const name = `test-${clientPort}`;

  const child = spawn(
    binary,
    [
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${name}=${peerUrl}`,
      '--initial-cluster-state=new',
      '--logger=zap',
      '--log-level=warn',
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
    })();
    return stopped;
  };

  try {
    await waitReady(endpoint, readyTimeoutMs, exited, spawnError, () => log);
  } catch (error) {
    await stop();
    if (/address already in use/i.test(log)) throw new PortTakenError(log);
    throw error;
  }

  return {
    endpoint,
    clientPort,
    peerPort,
    dataDir,
    pid: child.pid ?? -1,
    logs: () => log,
    pause: () => signal('SIGSTOP'),
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
  endpoint: string,
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
  const client = new Etcd3({
    hosts: endpoint,
    faultHandling: { host: () => noop, global: noop },
    grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 50, 'grpc.max_reconnect_backoff_ms': 200 },
  });
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
