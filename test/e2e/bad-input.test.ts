/**
 * Issue 4, bad input: every mistake an operator can make ends with one `error:` line saying what is
 * wrong, a `hint:` line saying what to do, the documented exit code (docs/commands.md, "Exit codes"), no stack
 * trace, and the host unchanged. docs/troubleshooting.md lists these same cases.
 *
 * Two kinds of case, one table each:
 *   - `local`: the built CLI run directly on this machine, every path option pointed into a fresh temp
 *     dir and DOCKER_HOST at a socket path that does not exist (these fail before any daemon matters);
 *   - `host`: the built CLI run inside ONE simulated host (its own network and mount namespaces, its
 *     own dockerd, default paths bind-mounted), serially, for cases that need Docker, the host's
 *     addresses, mounts or users.
 * "Host unchanged" compares, before and after, a listing (type, mode, size, sha256) of the CNI conf
 * dir, the flannel run dir, the state dir and the case's own paths, plus the host's containers,
 * volumes and images.
 *
 * Network rule: nothing here leaves loopback or the simulated host's namespaces. Addresses in
 * arguments that must fail parsing are from 192.0.2.0/24 (TEST-NET-1) and are never contacted; the
 * "unresolvable host" case runs inside the simulated host with `hosts: files` in its nsswitch.conf,
 * so the resolver reads /etc/hosts only and sends nothing; the "peer that does not answer" is an
 * unused address on the simulated segment.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import Dockerode from 'dockerode';
import { spawn } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CNI_FILES } from '../../src/defaults.js';
import { ExitCode } from '../../src/core/errors.js';
import { loadTemplate } from '../../src/adapters/templates.js';
import { renderConflist } from '../../src/cni/conflist.js';
import { assertBuilt, CLI, describe, etcdGetPrefix, runCli, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../_helpers/cli.js';
import type { ExecResult, SimHost, SimHosts } from '../_helpers/hosts.js';
import { createHosts } from '../_helpers/hosts.js';
import { ensureTestImages, TEST_FLANNEL_IMAGE } from '../_helpers/images.js';

// ---------------------------------------------------------------------------------------------
// What every case asserts

/** Frames of a stack trace, or the CLI's own "this is a bug" line. */
const STACK = /^\s+at \S.*(?:\(|:\d+:\d+)|unexpected error|a bug in ignite-net/m;

function assertOneErrorAndHint(t: ExecutionContext, result: ExecResult, exit: number, error: RegExp, hint: RegExp): void {
  const text = describe(result);
  t.false(result.timedOut, `timed out\n${text}`);
  t.is(result.code, exit, text);
  t.notRegex(result.stderr, STACK, `no stack trace\n${text}`);
  const lines = result.stderr.split('\n');
  const errorAt = lines.map((line) => line.trim().startsWith('error: ')).lastIndexOf(true);
  t.true(errorAt >= 0, `an error: line\n${text}`);
  const errorLine = lines[errorAt]?.trim() ?? '';
  t.regex(errorLine, error, text);
  // The error is one line: the hint follows it directly or after its evidence lines (indented deeper).
  const after = lines.slice(errorAt + 1).map((line) => line.trim());
  const hintLine = after.find((line) => line.startsWith('hint: ')) ?? '';
  t.regex(hintLine, hint, text);
  t.true(hintLine.length > 'hint: '.length + 10, `the hint says what to do\n${text}`);
  t.is(result.stdout.trim(), '', `nothing on stdout (no summary of a failed command)\n${text}`);
}

// ---------------------------------------------------------------------------------------------
// Local cases: the CLI on this machine, every path in a temp dir

function runLocal(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<ExecResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      // No TTY: stdin is /dev/null, stdout/stderr are pipes.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', CI: 'true', NO_COLOR: '1', ...env },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
  });
}

interface LocalDirs {
  root: string;
  conf: string;
  run: string;
  state: string;
  bin: string;
  /** A socket path nothing listens on: DOCKER_HOST for every local case. */
  noDocker: string;
}

async function localDirs(): Promise<LocalDirs> {
  const root = await mkdtemp(join(tmpdir(), 'ignite-net-bad-input-'));
  return { root, conf: join(root, 'conf'), run: join(root, 'run'), state: join(root, 'state'), bin: join(root, 'bin'), noDocker: `unix://${join(root, 'no-docker.sock')}` };
}

/** Path flags every command takes; --cni-bin-dir only where the command has it. */
function pathFlags(dirs: LocalDirs, command: string | undefined): string[] {
  const flags = ['--cni-conf-dir', dirs.conf, '--run-dir', dirs.run, '--state-dir', dirs.state];
  return command === 'init' || command === 'join' ? [...flags, '--cni-bin-dir', dirs.bin] : flags;
}

/** Every path under `root` with its type, mode, size and content hash. */
async function snapshotLocal(root: string): Promise<string> {
  const result = await new Promise<string>((resolve, reject) => {
    const child = spawn('sh', ['-c', SNAPSHOT_SCRIPT, 'snapshot', root], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.on('error', reject);
    child.on('close', () => resolve(Buffer.concat(out).toString('utf8')));
  });
  return result;
}

/** Lists each path argument: entries (type, mode, size; no times) and file hashes, or "absent". */
const SNAPSHOT_SCRIPT = [
  'for p in "$@"; do',
  '  if [ -e "$p" ] || [ -L "$p" ]; then',
  '    find "$p" -xdev -printf "%p %y %m %s %U:%G\\n" | sort',
  '    find "$p" -xdev -type f -exec sha256sum {} + | sort',
  '  else echo "absent $p"; fi',
  'done',
].join('\n');

interface LocalCase {
  title: string;
  /** The command line; `paths: false` leaves the temp path flags out (e.g. the command itself is wrong). */
  args: (dirs: LocalDirs) => string[];
  paths?: boolean;
  exit: number;
  error: RegExp;
  hint: RegExp;
  setup?: (dirs: LocalDirs) => Promise<void>;
  /** Extra environment; DOCKER_HOST defaults to a socket path nothing listens on. */
  env?: (dirs: LocalDirs) => Record<string, string>;
}

const USAGE = ExitCode.usage;
const JOIN_HINT = /hint: Give the IPv4\/IPv6 address or DNS name of the host where `ignite-net init` ran/;

const LOCAL_CASES: LocalCase[] = [
  // join <host>
  { title: 'join with an empty host', args: () => ['join', ''], exit: USAGE, error: /^error: invalid host "": empty$/, hint: JOIN_HINT },
  { title: 'join without a host and without a terminal', args: () => ['join'], exit: USAGE, error: /^error: join needs the host where `ignite-net init` ran$/, hint: /Pass it as an argument/ },
  { title: 'join with a malformed IPv4 address', args: () => ['join', '192.0.2'], exit: USAGE, error: /^error: invalid host "192\.0\.2": is not a valid IPv4 address/, hint: JOIN_HINT },
  { title: 'join with an out-of-range IPv4 address', args: () => ['join', '192.0.2.300'], exit: USAGE, error: /^error: invalid host "192\.0\.2\.300": is not a valid IPv4 address \(four numbers 0–255/, hint: JOIN_HINT },
  { title: 'join with a malformed name', args: () => ['join', 'init_host!'], exit: USAGE, error: /^error: invalid host "init_host!": "init_host!" is not a valid DNS label/, hint: JOIN_HINT },
  { title: 'join with a host and a port', args: () => ['join', '192.0.2.10:2379'], exit: USAGE, error: /^error: invalid host "192\.0\.2\.10:2379": has a port$/, hint: /hint: Leave out the port: ignite-net always uses etcd's client port 2379/ },
  { title: 'join with a bracketed IPv6 address and a port', args: () => ['join', '[2001:db8::10]:2379'], exit: USAGE, error: /^error: invalid host "\[2001:db8::10\]:2379": has a port$/, hint: /Leave out the port/ },
  { title: 'join with a URL (scheme)', args: () => ['join', 'http://192.0.2.10:2379'], exit: USAGE, error: /^error: invalid host "http:\/\/192\.0\.2\.10:2379": give a host, not a URL$/, hint: /ignite-net builds the etcd URL itself/ },
  { title: 'join with a CIDR', args: () => ['join', '192.0.2.0/24'], exit: USAGE, error: /^error: invalid host "192\.0\.2\.0\/24": is a CIDR; give a single address$/, hint: JOIN_HINT },
  { title: 'join with two hosts', args: () => ['join', '192.0.2.10', '192.0.2.11'], exit: USAGE, error: /^error: join takes one host \(got 2: 192\.0\.2\.10 192\.0\.2\.11\)$/, hint: /Join one init host/ },
  { title: 'join with the unspecified address', args: () => ['join', '0.0.0.0'], exit: USAGE, error: /^error: invalid host "0\.0\.0\.0": is the unspecified address/, hint: JOIN_HINT },

  // --network and the subnet range
  { title: '--network that is not a CIDR', args: () => ['init', '--network', '10.50.0.0'], exit: USAGE, error: /^error: --network "10\.50\.0\.0" is not an IPv4 CIDR/, hint: /hint: Write it as address\/prefix, e.g\. 10\.50\.0\.0\/16/ },
  { title: '--network with an invalid address', args: () => ['init', '--network', '10.500.0.0/16'], exit: USAGE, error: /^error: --network "10\.500\.0\.0\/16" has an invalid IPv4 address "10\.500\.0\.0"$/, hint: /four numbers 0–255 without leading zeros/ },
  { title: '--network too small', args: () => ['init', '--network', '10.50.0.0/30'], exit: USAGE, error: /^error: --network 10\.50\.0\.0\/30 is too small: flannel needs at least a \/28$/, hint: /Use a network of \/28 or larger/ },
  { title: '--network over loopback', args: () => ['init', '--network', '127.0.0.0/16'], exit: USAGE, error: /^error: --network 127\.0\.0\.0\/16 overlaps loopback \(127\.0\.0\.0\/8\)$/, hint: /Use a private range that is not in use on your hosts/ },
  { title: '--subnet-len above 30', args: () => ['init', '--subnet-len', '31'], exit: USAGE, error: /^error: SubnetLen 31 does not fit Network 10\.50\.0\.0\/16: it must be an integer from 18 to 30$/, hint: /Pass --subnet-len between 18/ },
  { title: '--subnet-len not longer than the network prefix', args: () => ['init', '--subnet-len', '16'], exit: USAGE, error: /^error: SubnetLen 16 does not fit Network 10\.50\.0\.0\/16/, hint: /--subnet-len between 18/ },
  { title: '--subnet-len that is not a number', args: () => ['init', '--subnet-len', '/24'], exit: USAGE, error: /^error: --subnet-len "\/24" is not a whole number$/, hint: /--subnet-len 24/ },
  { title: '--subnet-min outside the network', args: () => ['init', '--subnet-min', '10.60.10.0'], exit: USAGE, error: /^error: SubnetMin 10\.60\.10\.0 is outside Network 10\.50\.0\.0\/16$/, hint: /Pass --subnet-min as an address inside 10\.50\.0\.0\/16/ },
  { title: '--subnet-max outside the network', args: () => ['init', '--subnet-max', '10.51.0.0'], exit: USAGE, error: /^error: SubnetMax 10\.51\.0\.0 is outside Network 10\.50\.0\.0\/16$/, hint: /--subnet-max/ },
  { title: '--subnet-min not on a subnet boundary', args: () => ['init', '--subnet-min', '10.50.10.7'], exit: USAGE, error: /^error: SubnetMin 10\.50\.10\.7 is not on a \/24 boundary; did you mean 10\.50\.10\.0\?$/, hint: /first address of a \/24 subnet/ },
  { title: '--subnet-min above --subnet-max', args: () => ['init', '--subnet-min', '10.50.90.0', '--subnet-max', '10.50.20.0'], exit: USAGE, error: /^error: SubnetMin 10\.50\.90\.0 is above SubnetMax 10\.50\.20\.0$/, hint: /--subnet-min lower than or equal to --subnet-max/ },

  // ports, addresses, images, durations
  { title: '--backend-port above 65535', args: () => ['init', '--backend-port', '65536'], exit: USAGE, error: /^error: Backend\.Port 65536 is not a port number$/, hint: /--backend-port as an integer from 1 to 65535/ },
  { title: '--backend-port 0', args: () => ['init', '--backend-port', '0'], exit: USAGE, error: /^error: Backend\.Port 0 is not a port number$/, hint: /from 1 to 65535/ },
  { title: '--advertise-address that is not an IPv4 address', args: () => ['init', '--advertise-address', '192.0.2.256'], exit: USAGE, error: /^error: --advertise-address "192\.0\.2\.256" is not a valid IPv4 address$/, hint: /--advertise-address 192\.168\.1\.2/ },
  { title: '--advertise-address on loopback', args: () => ['join', '192.0.2.10', '--advertise-address', '127.0.0.1'], exit: USAGE, error: /^error: --advertise-address 127\.0\.0\.1 is a loopback address; other hosts cannot reach it$/, hint: /other hosts reach this one on/ },
  { title: '--pull with an unknown policy', args: () => ['init', '--pull', 'sometimes'], exit: USAGE, error: /^error: --pull "sometimes" is not a pull policy$/, hint: /missing, always, never/ },
  { title: '--etcd-image that is a URL', args: () => ['init', '--etcd-image', 'https://gcr.io/etcd'], exit: USAGE, error: /^error: --etcd-image "https:\/\/gcr\.io\/etcd" is not an image reference$/, hint: /repository\[:tag\]/ },
  // The lock is the first thing init does: a file there stops it before any change (only read here).
  { title: 'a --state-dir that is a file', args: () => ['init', '--state-dir', '/etc/passwd'], paths: false, exit: ExitCode.permission, error: /^error: cannot create the lock \/etc\/passwd\/lock: \/etc\/passwd exists but is not a directory$/, hint: /^hint: Pass a --state-dir that is a directory \(or does not exist yet\)\.$/ },
  { title: 'a negative --timeout', args: () => ['init', '--timeout', '-5'], exit: USAGE, error: /^error: --timeout "-5" must be positive$/, hint: /30s, 2m or 1m30s/ },
  { title: 'a negative --tail', args: () => ['logs', '--tail', '-1'], exit: USAGE, error: /^error: --tail "-1" must be positive \(or 0\)$/, hint: /--tail 100/ },
  { title: 'an unknown check name in --ignore-preflight-errors', args: () => ['init', '--ignore-preflight-errors', 'TunDevise'], exit: USAGE, error: /^error: --ignore-preflight-errors: no check is named "TunDevise"$/, hint: /^hint: Known checks: .*TunDevice.*; or all\.$/ },
  { title: '--timeout that is not a duration', args: () => ['init', '--timeout', '1 minute'], exit: USAGE, error: /^error: --timeout "1 minute" is not a duration$/, hint: /30s, 2m or 1m30s/ },

  // commands and options
  { title: 'an unknown command', args: () => ['intit'], paths: false, exit: USAGE, error: /^error: unknown command "intit"$/, hint: /Commands are init, join, cleanup/ },
  { title: 'an unknown option', args: () => ['init', '--netwrk', '10.60.0.0/16'], exit: USAGE, error: /^error: unknown option --netwrk$/, hint: /ignite-net init --help/ },
  { title: 'an option of another command', args: () => ['cleanup', '--network', '10.60.0.0/16'], exit: USAGE, error: /^error: --network is not an option of cleanup \(it is for init, doctor\)$/, hint: /ignite-net cleanup --help/ },
  { title: 'an option without its value', args: () => ['init', '--network', '--yes'], exit: USAGE, error: /^error: --network needs a value \(<cidr>\)$/, hint: /ignite-net init --help/ },
  { title: 'init with an argument (meant join)', args: () => ['init', '192.0.2.10'], exit: USAGE, error: /^error: init takes no arguments \(got "192\.0\.2\.10"\)$/, hint: /ignite-net join 192\.0\.2\.10/ },
  { title: 'cleanup without --yes and without a terminal', args: () => ['cleanup'], exit: USAGE, error: /^error: cleanup removes ignite-net from this host and needs confirmation, but there is no terminal to ask$/, hint: /^hint: Pass --yes to confirm\.$/ },
  { title: '--docker-host that is not a URL', args: () => ['init', '--docker-host', 'docker.sock'], exit: USAGE, error: /^error: --docker-host "docker\.sock" is not a Docker host URL$/, hint: /unix:\/\/\/var\/run\/docker\.sock/ },
  { title: 'DOCKER_HOST that is not a URL', args: () => ['init'], env: () => ({ DOCKER_HOST: 'localhost' }), exit: USAGE, error: /^error: DOCKER_HOST "localhost" is not a Docker host URL$/, hint: /Fix or unset DOCKER_HOST/ },

  // state file
  {
    title: 'a corrupt state file',
    setup: async (dirs) => {
      await mkdir(dirs.state, { recursive: true, mode: 0o700 });
      await writeFile(join(dirs.state, 'state.json'), '{"version": 1, "role": "init", "etcdEnd', { mode: 0o600 });
    },
    args: () => ['init'],
    exit: ExitCode.conflict,
    error: /^error: the state file .*state\.json is corrupt \(not JSON\)$/,
    hint: /hint: Move it away \(`mv .*state\.json .*state\.json\.bad`\)/,
  },
  {
    title: 'a state file of an unknown version',
    setup: async (dirs) => {
      await mkdir(dirs.state, { recursive: true, mode: 0o700 });
      await writeFile(join(dirs.state, 'state.json'), '{"version": 7}\n', { mode: 0o600 });
    },
    args: () => ['join', '192.0.2.10'],
    exit: ExitCode.conflict,
    error: /^error: the state file .*state\.json is corrupt \(unknown version\)$/,
    hint: /Move it away/,
  },
];

for (const c of LOCAL_CASES) {
  test.serial(`local: ${c.title} → exit ${c.exit}`, async (t) => {
    const dirs = await localDirs();
    t.teardown(() => rm(dirs.root, { recursive: true, force: true }));
    await c.setup?.(dirs);
    const args = c.args(dirs);
    const before = await snapshotLocal(dirs.root);
    const result = await runLocal([...args, ...(c.paths === false ? [] : pathFlags(dirs, args[0]))], { DOCKER_HOST: dirs.noDocker, ...c.env?.(dirs) });
    assertOneErrorAndHint(t, result, c.exit, c.error, c.hint);
    t.is(await snapshotLocal(dirs.root), before, 'nothing under the temp dirs changed');
  });
}

test.serial('local: a Docker host that is an HTTP server but not Docker (loopback), even with --ignore-preflight-errors all → exit 3', async (t) => {
  const dirs = await localDirs();
  const server = createHttpServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404 page not found\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    closeServer(server);
    await rm(dirs.root, { recursive: true, force: true });
  });
  const { port } = server.address() as { port: number };
  const before = await snapshotLocal(dirs.root);
  // Every other check is ignored so that this machine's own state cannot add errors; DockerEngine
  // cannot be ignored: nothing after preflight works without it.
  const result = await runLocal(['init', ...pathFlags(dirs, 'init'), '--docker-host', `tcp://127.0.0.1:${port}`, '--ignore-preflight-errors', 'all']);
  assertOneErrorAndHint(
    t,
    result,
    ExitCode.preflight,
    new RegExp(`^error: preflight found an error: DockerEngine: Something answers at tcp://127\\.0\\.0\\.1:${port} but it is not a Docker Engine \\(GET /_ping answered HTTP 404\\)$`),
    /hint: Check --docker-host \/ DOCKER_HOST/,
  );
  t.regex(result.stderr, /\[ERROR DockerEngine\]/, 'reported as an error, not turned into a warning');
  t.notRegex(result.stderr, /hint: .*--ignore-preflight-errors=DockerEngine/, 'not offered to be ignored');
  t.is(await snapshotLocal(dirs.root), before);
});

// ---------------------------------------------------------------------------------------------
// Host cases: one simulated host for all of them, serially

let sim: SimHosts | undefined;
const servers: (NetServer | HttpServer)[] = [];

async function host(): Promise<SimHost> {
  if (!sim) {
    const images = await ensureTestImages();
    sim = await createHosts(1, { images: [images.etcd, images.flannel], imagesFrom: new Dockerode(), bindDefaultPaths: true });
  }
  return sim.hosts[0]!;
}

test.after.always(async () => {
  for (const server of servers) closeServer(server);
  await sim?.destroy();
});

/** Stops listening and drops open connections; does not wait (nothing here needs to). */
function closeServer(server: NetServer | HttpServer): void {
  if ('closeAllConnections' in server) server.closeAllConnections();
  for (const socket of sockets.get(server) ?? []) socket.destroy();
  server.close();
}

const sockets = new WeakMap<NetServer | HttpServer, Set<Socket>>();

/** The host's default paths (as the CLI sees them inside the host) plus the case's own. */
const HOST_PATHS = ['/etc/cni/net.d', '/run/flannel', '/var/lib/ignite-net', '/opt/cni/bin'];

async function snapshotHost(h: SimHost, extra: string[] = []): Promise<{ files: string; docker: string }> {
  const files = await h.exec('sh', ['-c', SNAPSHOT_SCRIPT, 'snapshot', ...HOST_PATHS, ...extra]);
  if (files.code !== 0) throw new Error(`snapshot failed: ${describe(files)}`);
  const containers = await h.docker.listContainers({ all: true });
  const volumes = (await h.docker.listVolumes()).Volumes ?? [];
  const images = await h.docker.listImages();
  const docker = [
    ...containers.map((c) => `container ${c.Id} ${c.Names.join(',')} ${c.State}`).sort(),
    ...volumes.map((v) => `volume ${v.Name}`).sort(),
    ...images.map((i) => `image ${i.Id} ${(i.RepoTags ?? []).join(',')}`).sort(),
  ].join('\n');
  return { files: files.stdout, docker };
}

async function assertUnchanged(t: ExecutionContext, h: SimHost, before: { files: string; docker: string }, extra: string[] = []): Promise<void> {
  const after = await snapshotHost(h, extra);
  t.is(after.files, before.files, 'host files unchanged');
  t.is(after.docker, before.docker, 'host containers, volumes and images unchanged');
}

/** Runs the built CLI as nobody (node and dist/ must be readable by that user). */
function asNobody(h: SimHost): (args: string[]) => Promise<ExecResult> {
  return (args) =>
    h.exec('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args, '--timeout', '40s'], {
      env: { CI: 'true', NO_COLOR: '1', HOME: '/' },
      cwd: '/',
      timeoutMs: 60_000,
    });
}

interface HostCase {
  title: string;
  exit: number;
  error: RegExp;
  hint: RegExp;
  /** Prepares the host; returns the command line and extra paths to compare. */
  setup: (h: SimHost) => Promise<{ args: string[]; paths?: string[]; run?: (args: string[]) => Promise<ExecResult> }>;
  /** Runs after the case, passed or not: puts the host back for the next case. */
  restore?: (h: SimHost) => Promise<void>;
}

/** A path inside the simulated host's own temp root (the CLI inside sees the same path). */
const hostPath = (h: SimHost, name: string): string => join(h.dirs.root, 'bad-input', name);

const HOST_CASES: HostCase[] = [
  {
    title: 'a Docker host socket that does not exist',
    exit: ExitCode.preflight,
    error: /^error: preflight found an error: DockerEngine: Docker Engine is not reachable at unix:\/\/.*nothing\.sock \(no such socket\)$/,
    hint: /hint: Start the Docker daemon .*--docker-host/,
    setup: async (h) => ({ args: ['init', ...TEST_IMAGE_FLAGS, '--docker-host', `unix://${hostPath(h, 'nothing.sock')}`] }),
  },
  {
    title: 'a Docker host on a loopback port where nothing listens',
    exit: ExitCode.preflight,
    error: /^error: preflight found an error: DockerEngine: Docker Engine is not reachable at tcp:\/\/127\.0\.0\.1:2375 \(connection refused\)$/,
    hint: /hint: Start the Docker daemon/,
    setup: async () => ({ args: ['init', ...TEST_IMAGE_FLAGS, '--docker-host', 'tcp://127.0.0.1:2375'] }),
  },
  {
    title: 'a Docker host socket that accepts but never answers',
    exit: ExitCode.preflight,
    error: /^error: preflight found an error: DockerEngine: Docker Engine is not reachable at unix:\/\/.*silent\.sock \(no answer within 3s\)$/,
    hint: /hint: Start the Docker daemon/,
    setup: async (h) => {
      const path = hostPath(h, 'silent.sock');
      servers.push(await listenUnix(path, () => undefined));
      return { args: ['init', ...TEST_IMAGE_FLAGS, '--docker-host', `unix://${path}`] };
    },
  },
  {
    title: 'a Docker host socket that is an HTTP server but not Docker',
    exit: ExitCode.preflight,
    error: /^error: preflight found an error: DockerEngine: Something answers at unix:\/\/.*web\.sock but it is not a Docker Engine \(GET \/_ping answered "hello" instead of "OK"\)$/,
    hint: /hint: Check --docker-host \/ DOCKER_HOST/,
    setup: async (h) => {
      const path = hostPath(h, 'web.sock');
      const server = createHttpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('hello');
      });
      await new Promise<void>((resolve) => server.listen(path, resolve));
      servers.push(server);
      return { args: ['init', ...TEST_IMAGE_FLAGS, '--docker-host', `unix://${path}`] };
    },
  },
  {
    title: 'a Docker host socket that does not speak HTTP',
    exit: ExitCode.preflight,
    error: /^error: preflight found an error: DockerEngine: Something answers at unix:\/\/.*ssh\.sock but it is not a Docker Engine \(it does not speak HTTP\)$/,
    hint: /hint: Check --docker-host/,
    setup: async (h) => {
      const path = hostPath(h, 'ssh.sock');
      servers.push(await listenUnix(path, (socket) => socket.write('SSH-2.0-OpenSSH_9.2\r\n')));
      return { args: ['init', ...TEST_IMAGE_FLAGS, '--docker-host', `unix://${path}`] };
    },
  },
  {
    title: 'an advertise address that is not on this host',
    exit: ExitCode.preflight,
    error: /^error: preflight found an error: AdvertiseAddress: 192\.0\.2\.77 is not an address of this host$/,
    hint: /hint: Pass one of: 10\.231\.\d+\.11\./,
    setup: async () => ({ args: ['init', ...TEST_IMAGE_FLAGS, '--advertise-address', '192.0.2.77'] }),
  },
  {
    title: 'a --network that overlaps a network of this host',
    exit: ExitCode.preflight,
    error: /^error: preflight found an error: NetworkOverlap: 10\.231\.0\.0\/16 overlaps 10\.231\.\d+\.0\/24 on \S+, route 10\.231\.\d+\.0\/24 dev \S+$/,
    hint: /hint: Pick another overlay with --network .* Or pass --ignore-preflight-errors=NetworkOverlap to go on anyway\.$/,
    setup: async () => ({ args: ['init', ...TEST_IMAGE_FLAGS, '--network', '10.231.0.0/16'] }),
  },
  {
    title: 'a CNI conf dir that is a file',
    exit: ExitCode.preflight,
    error: /^error: preflight found an error: CNIConfDir: \S+conf-file exists but is not a directory$/,
    hint: /hint: Choose a directory with --cni-conf-dir <dir>\./,
    setup: async (h) => {
      const path = hostPath(h, 'conf-file');
      await writeFile(path, 'not a directory\n');
      return { args: ['init', ...TEST_IMAGE_FLAGS, '--cni-conf-dir', path], paths: [path] };
    },
  },
  {
    title: 'a flannel run dir on a read-only file system',
    exit: ExitCode.preflight,
    error: /^error: preflight found an error: FlannelRunDir: \S+\/ro is on a read-only file system$/,
    hint: /hint: Fix \S+\/ro\/flannel or pass --run-dir <dir>\./,
    setup: async (h) => {
      const ro = await readOnlyMount(h);
      return { args: ['init', ...TEST_IMAGE_FLAGS, '--run-dir', join(ro, 'flannel')], paths: [ro] };
    },
    restore: unmountReadOnly,
  },
  {
    title: 'a state dir on a read-only file system',
    exit: ExitCode.permission,
    error: /^error: cannot create the lock \S+\/ro\/ignite-net\/lock: \S+\/ro is on a read-only file system$/,
    hint: /^hint: Pass a --state-dir on a writable file system\.$/,
    setup: async (h) => {
      const ro = await readOnlyMount(h);
      return { args: ['init', ...TEST_IMAGE_FLAGS, '--state-dir', join(ro, 'ignite-net')], paths: [ro] };
    },
    restore: unmountReadOnly,
  },
  {
    title: 'an image that does not exist, with --pull never',
    exit: ExitCode.docker,
    error: /^error: Image ignite-net-test\/no-such-etcd:0\.0 is not on this host and --pull never forbids pulling it$/,
    hint: /hint: Drop --pull never, load the image first/,
    setup: async () => ({ args: ['init', '--pull', 'never', '--etcd-image', 'ignite-net-test/no-such-etcd:0.0', '--flannel-image', TEST_FLANNEL_IMAGE] }),
  },
  {
    title: 'not root',
    exit: ExitCode.preflight,
    error: /^error: preflight found an error: IsPrivilegedUser: ignite-net is not running as root$/,
    hint: /hint: Run it with sudo/,
    setup: async (h) => {
      const args = ['init', ...TEST_IMAGE_FLAGS];
      return {
        args,
        run: asNobody(h),
      };
    },
  },
  {
    // A host already set up has its state dir, root-only: the lock's EACCES is then on the PID file, not on mkdir.
    title: 'not root, on a host whose state dir exists (root-only, as init leaves it)',
    exit: ExitCode.preflight,
    error: /^error: preflight found an error: IsPrivilegedUser: ignite-net is not running as root$/,
    hint: /hint: Run it with sudo/,
    setup: async (h) => {
      const made = await h.exec('mkdir', ['-m', '0700', '/var/lib/ignite-net']);
      if (made.code !== 0) throw new Error(`mkdir: ${describe(made)}`);
      const args = ['init', ...TEST_IMAGE_FLAGS];
      return {
        args,
        run: asNobody(h),
      };
    },
    restore: async (h) => void (await h.exec('rmdir', ['/var/lib/ignite-net'])),
  },
  {
    title: 'join with a name that does not resolve',
    exit: ExitCode.usage,
    error: /^error: cannot resolve host "no-such-init-host\.invalid": no such name$/,
    hint: /hint: Check the spelling, or give the IP address/,
    setup: async (h) => {
      // The resolver of this host reads /etc/hosts only: the lookup fails without any DNS query.
      const nss = await h.exec('sh', ['-c', 'printf "hosts: files\\n" > /etc/nsswitch.conf && getent hosts no-such-init-host.invalid; echo "getent=$?"']);
      if (!/getent=2/.test(nss.stdout)) throw new Error(`nsswitch.conf not in effect: ${describe(nss)}`);
      return { args: ['join', 'no-such-init-host.invalid', ...TEST_FLANNEL_FLAGS] };
    },
  },
  {
    title: 'join a host where nothing answers',
    exit: ExitCode.peer,
    error: /^error: cannot reach etcd at 10\.231\.\d+\.250:2379\/tcp \(.+\)$/,
    hint: /hint: Is 10\.231\.\d+\.250 initialised \(`ignite-net init`\) and is 2379\/tcp open between the hosts\?/,
    // An unused address on the simulated segment: the SYN stays inside the test's namespaces.
    setup: async (h) => ({ args: ['join', h.address.replace(/\.\d+$/, '.250'), ...TEST_FLANNEL_FLAGS] }),
  },
  {
    title: 'join itself',
    exit: ExitCode.usage,
    error: /^error: 10\.231\.\d+\.11 is this host: a host cannot join itself$/,
    hint: /hint: Pass the address of the init host \(the one that ran `sudo ignite-net init`\), not one of this host's\.$/,
    setup: async (h) => ({ args: ['join', h.address, ...TEST_FLANNEL_FLAGS] }),
  },
  {
    title: 'a corrupt state file at the default path',
    exit: ExitCode.conflict,
    error: /^error: the state file \/var\/lib\/ignite-net\/state\.json is corrupt \(not JSON\)$/,
    hint: /hint: Move it away/,
    setup: async (h) => {
      const made = await h.exec('sh', ['-c', 'mkdir -m 700 -p /var/lib/ignite-net && printf "garbage\\n" > /var/lib/ignite-net/state.json']);
      if (made.code !== 0) throw new Error(describe(made));
      return { args: ['init', ...TEST_IMAGE_FLAGS] };
    },
    restore: async (h) => void (await h.exec('rm', ['-rf', '/var/lib/ignite-net'])),
  },
];

async function listenUnix(path: string, onConnection: (socket: Socket) => void): Promise<NetServer> {
  const open = new Set<Socket>();
  const server = createNetServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  sockets.set(server, open);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  return server;
}

/** A read-only tmpfs mounted inside the simulated host's own mount namespace only. */
async function readOnlyMount(h: SimHost): Promise<string> {
  const dir = hostPath(h, 'ro');
  await mkdir(dir, { recursive: true });
  const mounted = await h.exec('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k,mode=755', 'ignite-net-ro', dir]);
  if (mounted.code !== 0) throw new Error(`mount failed: ${describe(mounted)}`);
  return dir;
}

async function unmountReadOnly(h: SimHost): Promise<void> {
  await h.exec('umount', [hostPath(h, 'ro')]);
}

for (const c of HOST_CASES) {
  test.serial(`host: ${c.title} → exit ${c.exit}`, async (t) => {
    const h = await host();
    await mkdir(hostPath(h, ''), { recursive: true });
    if (c.restore) t.teardown(() => c.restore?.(h));
    const { args, paths = [], run } = await c.setup(h);
    const before = await snapshotHost(h, paths);
    const result = run ? await run(args) : await runCli(h, args);
    assertOneErrorAndHint(t, result, c.exit, c.error, c.hint);
    await assertUnchanged(t, h, before, paths);
  });
}

// ---------------------------------------------------------------------------------------------
// Cases that need an overlay on the host: a foreign conflist, an existing etcd with another config

const FOREIGN_CONFLIST = '{\n  "cniVersion": "0.3.1",\n  "name": "hand-written",\n  "plugins": [ { "type": "bridge", "bridge": "br-hand" } ]\n}\n';

test.serial('host: a 10-flannel.conflist ignite-net did not write → exit 8, everything undone; with --force it is replaced and kept as a backup', async (t) => {
  const h = await host();
  const ours = join(h.dirs.cniConfDir, CNI_FILES.ours);
  const backup = join(h.dirs.cniConfDir, `.${CNI_FILES.ours}.ignite-net-backup`);
  t.teardown(async () => {
    await runCli(h, ['cleanup', '--yes', '--purge']);
    await rm(ours, { force: true });
    await rm(backup, { force: true });
  });
  await writeFile(ours, FOREIGN_CONFLIST);

  const before = await snapshotHost(h);
  const refused = await runCli(h, ['init', ...TEST_IMAGE_FLAGS]);
  assertOneErrorAndHint(
    t,
    refused,
    ExitCode.conflict,
    /^error: \/etc\/cni\/net\.d\/10-flannel\.conflist exists and was not written by ignite-net$/,
    /hint: Move it away, or pass --force to replace it \(a copy is kept at \/etc\/cni\/net\.d\/\.10-flannel\.conflist\.ignite-net-backup\)\./,
  );
  t.regex(refused.stderr, /undone/, 'what init had started is undone and listed');
  await assertUnchanged(t, h, before);
  t.is(await readFile(ours, 'utf8'), FOREIGN_CONFLIST);

  const forced = await runCli(h, ['init', ...TEST_IMAGE_FLAGS, '--force']);
  t.is(forced.code, 0, describe(forced));
  t.is(await readFile(ours, 'utf8'), renderConflist(await loadTemplate(), {}), 'replaced by ours');
  t.is(await readFile(backup, 'utf8'), FOREIGN_CONFLIST, 'the foreign conflist is kept byte for byte');
});

test.serial('host: an etcd that holds a different network config → exit 8, nothing changed; an init host cannot join → exit 2', async (t) => {
  const h = await host();
  t.teardown(async () => {
    await runCli(h, ['cleanup', '--yes', '--purge']);
  });
  const first = await runCli(h, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(first.code, 0, describe(first));
  const configBefore = (await etcdGetPrefix(h, h.address, '/coreos.com/network/config')).get('/coreos.com/network/config');
  t.truthy(configBefore);

  const before = await snapshotHost(h);
  const other = await runCli(h, ['init', ...TEST_IMAGE_FLAGS, '--network', '10.60.0.0/16']);
  assertOneErrorAndHint(
    t,
    other,
    ExitCode.conflict,
    /^error: etcd already holds a different network config at \/coreos\.com\/network\/config$/,
    /hint: Pass the same network options as before, or --force to replace it/,
  );
  t.regex(other.stderr, /Network: 10\.50\.0\.0\/16 → 10\.60\.0\.0\/16/, 'the difference is shown under the error');
  await assertUnchanged(t, h, before);
  t.is((await etcdGetPrefix(h, h.address, '/coreos.com/network/config')).get('/coreos.com/network/config'), configBefore, 'etcd keeps its config');

  const join2 = await runCli(h, ['join', h.address.replace(/\.\d+$/, '.250'), ...TEST_FLANNEL_FLAGS]);
  assertOneErrorAndHint(t, join2, ExitCode.usage, /^error: this host runs ignite-etcd: it is an init host and cannot join another$/, /hint: Run `ignite-net cleanup` here first/);
  await assertUnchanged(t, h, before);
});

// docs/troubleshooting.md's table has a row for every case, with the exit code the case asserts.
test.serial('docs/troubleshooting.md lists every case with its exit code', async (t) => {
  const doc = await readFile(new URL('../../docs/troubleshooting.md', import.meta.url), 'utf8');
  const end = doc.indexOf('## How it differs');
  t.true(doc.startsWith('# Troubleshooting') && end > 0, 'the troubleshooting table comes before the comparison with the script');
  const section = doc.slice(0, end);
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = /^\|(.+)\|(.+)\|\s*(\d+)\s*\|$/.exec(line);
    if (cells?.[1] !== undefined && cells[3] !== undefined) rows.set(cells[1].trim().toLowerCase(), cells[3]);
  }
  const cases = [...LOCAL_CASES, ...HOST_CASES];
  t.true(cases.length >= 30, `at least 30 cases (${cases.length})`);
  for (const c of cases) t.is(rows.get(c.title.toLowerCase()), String(c.exit), `troubleshooting row for "${c.title}"`);
});
