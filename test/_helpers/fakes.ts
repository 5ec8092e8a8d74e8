/**
 * In-memory stand-ins for everything a step reaches through ctx.services: a Docker Engine, an etcd
 * store, host files, the host network, probes, the state directory and a clock. Each records what was
 * done to it, so a unit test can assert both on the outcome and on the calls. No I/O, no timers.
 */
import { dirname, posix } from 'node:path';
import { Readable } from 'node:stream';
import type { ContainerCreateOptions } from 'dockerode';
import type { DockerClient } from '../../src/adapters/docker/client.js';
import { decodeLog } from '../../src/adapters/docker/log-frames.js';
import type { ContainerView, ManagedContainer, VolumeView } from '../../src/adapters/docker/view.js';
import type { EtcdStatus, EtcdStore, EtcdStoreOptions, SeedOptions, SeedOutcome } from '../../src/adapters/etcd/store.js';
import type { IptablesFamily } from '../../src/adapters/ip-tools.js';
import type { TcpProbeResult, UdpProbeResult } from '../../src/adapters/probes.js';
import type { RaftProbe } from '../../src/adapters/raft-probe.js';
import type { PresentedCa } from '../../src/adapters/tls-probe.js';
import { sha256 } from '../../src/cni/plugins.js';
import type { PluginProbe } from '../../src/cni/plugin-versions.js';
import type { VersionAnswer } from '../../src/adapters/cni-binaries.js';
import { pollingWaiter } from '../../src/adapters/wait.js';
import type { Clock, CniBinaries, HostFiles, HostKernel, HostNetwork, IpamStore, Probes, Services, StateFiles } from '../../src/adapters/services.js';
import type { ReleaseResult, StoreRead } from '../../src/adapters/ipam-store.js';
import { parseAllocationFile, type Allocation } from '../../src/cni/ipam-stale.js';
import type { HostState, Lock } from '../../src/adapters/state.js';
import { loadTemplate } from '../../src/adapters/templates.js';
import { IgniteError, interruptedError } from '../../src/core/errors.js';
import { ETCD_KEYS, LABELS, type ContainerRole } from '../../src/defaults.js';
import { subnetToLeaseKey } from '../../src/net/cidr.js';
import type { IpLinkJson } from '../../src/net/flannel-devices.js';
import type { HostAddress, Route } from '../../src/net/interfaces.js';
import { toLease, type Lease, type LeaseRead } from '../../src/net/lease.js';

// ---------------------------------------------------------------------------------------------
// Docker

export class FakeDocker implements DockerClient {
  readonly where = 'unix:///fake/docker.sock';
  readonly containers = new Map<string, ContainerView>();
  readonly volumes = new Map<string, Record<string, string>>();
  readonly images = new Set<string>();
  readonly logs = new Map<string, string[]>();
  /** Every mutating call, e.g. "createAndStart ignite-etcd", "stopAndRemove fake-1", "ensureVolume v". */
  readonly calls: string[] = [];
  /** Called after createAndStart: lets a test play the container's part (write subnet.env, a lease). */
  onStart: (view: ContainerView) => void | Promise<void> = () => undefined;
  private nextId = 1;

  /** Puts a container in place as if an earlier run (or someone else) had created it. */
  add(view: Partial<ContainerView> & { name: string }): ContainerView {
    const full: ContainerView = {
      id: `fake-${this.nextId++}`,
      image: 'image:tag',
      imageId: 'sha256:fake',
      state: 'running',
      running: true,
      exitCode: 0,
      restartCount: 0,
      labels: {},
      cmd: [],
      entrypoint: [],
      binds: [],
      networkMode: 'host',
      restartPolicy: 'unless-stopped',
      ...view,
    };
    this.containers.set(full.id, full);
    return full;
  }

  async imageExists(name: string): Promise<boolean> {
    return this.images.has(name);
  }
  async pullImage(name: string): Promise<void> {
    this.calls.push(`pullImage ${name}`);
    this.images.add(name);
  }
  async ensureImage(name: string): Promise<'present' | 'pulled'> {
    if (this.images.has(name)) return 'present';
    await this.pullImage(name);
    return 'pulled';
  }
  /** `${image} ${path}` → the file's bytes, for readImageFile. */
  readonly imageFiles = new Map<string, Buffer>();
  async readImageFile(image: string, path: string): Promise<Buffer> {
    this.calls.push(`readImageFile ${image} ${path}`);
    const content = this.imageFiles.get(`${image} ${path}`);
    if (content === undefined) throw new IgniteError('docker', `Image ${image} has no ${path} (fake)`);
    return content;
  }
  async listAllContainers(): Promise<{ ids: string[]; names: string[] }> {
    const all = [...this.containers.values()];
    return { ids: all.map((c) => c.id), names: all.map((c) => c.name) };
  }

  async listManaged(role?: ContainerRole): Promise<ManagedContainer[]> {
    return [...this.containers.values()]
      .filter((c) => c.labels[LABELS.managed] === 'true' && (role === undefined || c.labels[LABELS.role] === role))
      .map((c) => {
        const found = c.labels[LABELS.role];
        return {
          id: c.id,
          name: c.name,
          image: c.image,
          state: c.state,
          status: c.running ? 'Up' : 'Exited',
          labels: c.labels,
          ...(found === 'etcd' || found === 'flannel' ? { role: found } : {}),
        };
      });
  }
  async inspectContainer(nameOrId: string): Promise<ContainerView | undefined> {
    return this.containers.get(nameOrId) ?? [...this.containers.values()].find((c) => c.name === nameOrId);
  }
  async createAndStart(spec: ContainerCreateOptions): Promise<ContainerView> {
    const name = spec.name ?? `container-${this.nextId}`;
    if (await this.inspectContainer(name)) throw new IgniteError('docker', `container name ${name} is already in use`);
    this.calls.push(`createAndStart ${name}`);
    const view = this.add({ name, image: spec.Image ?? '', cmd: spec.Cmd ?? [], entrypoint: typeof spec.Entrypoint === 'string' ? [spec.Entrypoint] : (spec.Entrypoint ?? []), binds: spec.HostConfig?.Binds ?? [], labels: { ...spec.Labels } });
    await this.onStart(view);
    return view;
  }
  async stopAndRemove(id: string): Promise<'removed' | 'absent'> {
    this.calls.push(`stopAndRemove ${id}`);
    return this.containers.delete(id) ? 'removed' : 'absent';
  }
  /** Through the real decoder, as DockerEngine's: redacted the same way. */
  async containerLogs(id: string, tail: number, secrets: readonly string[] = []): Promise<string[]> {
    return decodeLog(Buffer.concat(this.frames(id, tail)), secrets).map((line) => line.text);
  }
  /** The logs as Docker sends them: stdout frames (8-byte header: stream 1, size big-endian), then the end. */
  async logStream(id: string, options: { tail: number }): Promise<NodeJS.ReadableStream> {
    return Readable.from(this.frames(id, options.tail));
  }
  private frames(id: string, tail: number): Buffer[] {
    return (this.logs.get(id) ?? []).slice(-tail).map((line) => {
      const body = Buffer.from(`${line}\n`);
      const header = Buffer.alloc(8);
      header[0] = 1;
      header.writeUInt32BE(body.length, 4);
      return Buffer.concat([header, body]);
    });
  }
  async removeByName(name: string): Promise<boolean> {
    this.calls.push(`removeByName ${name}`);
    const found = await this.inspectContainer(name);
    return found ? this.containers.delete(found.id) : false;
  }
  async ensureVolume(name: string, labels: Record<string, string>): Promise<'created' | 'present'> {
    if (this.volumes.has(name)) return 'present';
    this.calls.push(`ensureVolume ${name}`);
    this.volumes.set(name, { ...labels });
    return 'created';
  }
  async inspectVolume(name: string): Promise<VolumeView | undefined> {
    const labels = this.volumes.get(name);
    return labels ? { name, labels, mountpoint: `/fake/volumes/${name}` } : undefined;
  }
  async volumeExists(name: string): Promise<boolean> {
    return this.volumes.has(name);
  }
  async removeVolume(name: string): Promise<boolean> {
    this.calls.push(`removeVolume ${name}`);
    return this.volumes.delete(name);
  }
}

// ---------------------------------------------------------------------------------------------
// etcd

/** A key map that stamps each write with etcd's next revision (kept beside the entries, so they compare as before). */
class RevisionedKeys extends Map<string, { value: string; leaseId?: string }> {
  readonly revisions = new Map<string, number>();
  private revision = 0;
  override set(key: string, entry: { value: string; leaseId?: string }): this {
    this.revisions.set(key, ++this.revision);
    return super.set(key, entry);
  }
  override delete(key: string): boolean {
    this.revisions.delete(key);
    return super.delete(key);
  }
}

/** The keys of one fake etcd, shared by every store opened on it. */
export class FakeEtcd {
  /** key → value, and the etcd lease ID (decimal, as etcd3 gives it) for keys under a lease; none is a reservation. Each write gets a revision (`keys.revisions`). */
  readonly keys = new RevisionedKeys();
  /** False: every call fails as an unreachable etcd does (kind 'etcd'); waitUntilReady times out. */
  answering = true;
  /** Endpoints each store was opened with, in order. */
  readonly opened: string[][] = [];
  readonly deleted: string[] = [];
  private nextLease = 1;

  /** A lease as flannel writes it: under an etcd lease unless reserved. */
  putLease(subnet: string, publicIP: string, options: { reserved?: boolean; backendType?: string } = {}): string {
    const key = subnetToLeaseKey(subnet);
    const value = JSON.stringify({ PublicIP: publicIP, BackendType: options.backendType ?? 'udp' });
    this.keys.set(key, { value, ...(options.reserved ? {} : { leaseId: String(this.nextLease++) }) });
    return key;
  }

  /** What listLeases returns, parsed by the same toLease as the real store. */
  leases(): Lease[] {
    return [...this.keys.entries()]
      .filter(([key]) => key.startsWith(ETCD_KEYS.subnets))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, { value, leaseId }]) => toLease({ key, value, lease: leaseId ?? '0', ...this.revisionOf(key) }, ETCD_KEYS.subnets, new Map()));
  }

  private revisionOf(key: string): { modRevision?: number } {
    const revision = this.keys.revisions.get(key);
    return revision === undefined ? {} : { modRevision: revision };
  }

  /** True: a store opened without auth is refused every call but ping, as etcd with auth on refuses one. */
  authRequired = false;
  /** Keys whose delete etcd refuses (kind 'permission'), as a role without write on them is refused. */
  readonly denied = new Set<string>();

  store(endpoints: string | readonly string[], options: EtcdStoreOptions): EtcdStore {
    const list = typeof endpoints === 'string' ? [endpoints] : [...endpoints];
    this.opened.push(list);
    let closed = false;
    const answers = (): void => {
      if (closed) throw new Error('fake etcd: store used after close');
      if (!this.answering) throw new IgniteError('etcd', `etcd at ${list.join(', ')} is not reachable (fake)`);
    };
    const up = (): void => {
      answers();
      if (this.authRequired && options.auth === undefined) throw new IgniteError('permission', `etcd at ${list.join(', ')} requires a user name and password (user name is empty)`);
    };
    const status: EtcdStatus = { version: '3.6.0', hasLeader: true, dbSizeBytes: 1 };
    const keyOf = (subnet: string): string => (subnet.startsWith('/') ? subnet : subnetToLeaseKey(subnet.replace('-', '/')));
    return {
      endpoints: list,
      keys: { config: ETCD_KEYS.config, subnets: ETCD_KEYS.subnets },
      ping: async () => (answers(), status),
      waitUntilReady: async () => {
        if (closed) throw new Error('fake etcd: store used after close');
        if (!this.answering) throw new IgniteError('timeout', 'etcd did not answer (fake)');
        return status;
      },
      getConfig: async () => (up(), this.keys.get(ETCD_KEYS.config)?.value),
      configRevision: async () => (up(), this.keys.revisions.get(ETCD_KEYS.config)),
      seedConfig: async (value: string, options: SeedOptions): Promise<SeedOutcome> => {
        up();
        const existing = this.keys.get(ETCD_KEYS.config)?.value;
        if (existing === undefined) {
          this.keys.set(ETCD_KEYS.config, { value });
          return 'created';
        }
        if (options.equal(existing)) return 'unchanged';
        if (!options.force) throw new IgniteError('conflict', 'a different network config exists', { details: [existing] });
        this.keys.set(ETCD_KEYS.config, { value });
        return 'replaced';
      },
      listLeases: async () => (up(), this.leases()),
      readLeases: async (): Promise<LeaseRead> => (up(), { clusterId: 'fake', leases: this.leases(), asked: 0, remembered: 0 }),
      deleteLease: async (subnet: string) => {
        up();
        const key = keyOf(subnet);
        this.deleted.push(key);
        return this.keys.delete(key);
      },
      get: async (key: string) => (up(), this.keys.get(key)?.value),
      getPrefix: async (prefix: string) => (up(), new Map([...this.keys].filter(([key]) => key.startsWith(prefix)).map(([key, { value }]) => [key, value]))),
      put: async (key: string, value: string) => void (up(), this.keys.set(key, { value })),
      putUnderLease: async (key: string, value: string) => void (up(), this.keys.set(key, { value, leaseId: String(this.nextLease++) })),
      putAllUnderLease: async (entries: Record<string, string>) => {
        up();
        const leaseId = String(this.nextLease++);
        for (const [key, value] of Object.entries(entries)) this.keys.set(key, { value, leaseId });
      },
      delete: async (key: string) => {
        up();
        if (this.denied.has(key)) throw new IgniteError('permission', `etcd at ${list.join(', ')} refused: permission denied (fake)`);
        return this.keys.delete(key);
      },
      createIfAbsent: async (key: string, value: string) => {
        up();
        if (this.keys.has(key)) return false;
        this.keys.set(key, { value });
        return true;
      },
      takeKey: async (key: string) => {
        up();
        const entry = this.keys.get(key);
        this.keys.delete(key);
        return entry ? { value: entry.value, leaseId: entry.leaseId ?? '0' } : undefined;
      },
      putBack: async (key: string, taken: { value: string; leaseId: string }) => {
        up();
        this.keys.set(key, { value: taken.value, ...(taken.leaseId === '0' ? {} : { leaseId: taken.leaseId }) });
        return 'restored' as const;
      },
      // No events: waits fall back to polling on the fake clock.
      close: () => {
        closed = true;
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Files

export class FakeFiles implements HostFiles {
  readonly files = new Map<string, { content: string; mtime: Date }>();
  readonly dirs = new Set<string>();
  readonly charDevices = new Set<string>(['/dev/net/tun']);
  /** A directory → the problem directoryWritableProblem reports for it. */
  readonly unwritable = new Map<string, string>();

  constructor(private readonly clock: Clock) {}

  /** Writes a file (and its parent directories) as the host already had it. */
  put(path: string, content: string): void {
    this.files.set(path, { content, mtime: new Date(this.clock.now()) });
    for (let dir = dirname(path); dir !== '/' && dir !== '.'; dir = dirname(dir)) this.dirs.add(dir);
  }
  read(path: string): string | undefined {
    return this.files.get(path)?.content;
  }

  readIfExists = async (path: string): Promise<string | undefined> => this.read(path);
  /** No events: waits fall back to polling on the fake clock. */
  watchDir = (): (() => void) => () => undefined;
  exists = async (path: string): Promise<boolean> => this.files.has(path) || this.dirs.has(path);
  /** The mode each file and directory was last written or created with. */
  readonly modes = new Map<string, number>();
  writeFileAtomic = async (path: string, content: string, mode = 0o644): Promise<void> => {
    this.put(path, content);
    this.modes.set(path, mode);
  };
  ensureDir = async (path: string, mode = 0o755): Promise<'created' | 'exists'> => {
    if (!this.dirs.has(path)) this.modes.set(path, mode);
    if (this.dirs.has(path)) return 'exists';
    for (let dir = path; dir !== '/' && dir !== '.'; dir = dirname(dir)) this.dirs.add(dir);
    return 'created';
  };
  removeFile = async (path: string): Promise<boolean> => this.files.delete(path);
  moveFile = async (from: string, to: string): Promise<void> => {
    const file = this.files.get(from);
    if (!file) throw new Error(`fake files: ${from} does not exist`);
    this.files.delete(from);
    this.files.set(to, file);
  };
  directoryWritableProblem = async (path: string): Promise<string | undefined> => this.unwritable.get(path);
  isCharDevice = async (path: string): Promise<boolean> => this.charDevices.has(path);
  listDir = async (path: string): Promise<string[] | undefined> => {
    if (!this.dirs.has(path)) return undefined;
    const names = [...this.files.keys(), ...this.dirs].filter((p) => dirname(p) === path).map((p) => p.slice(path.length + 1));
    return [...new Set(names)].sort();
  };
  removeTree = async (path: string): Promise<boolean> => {
    const under = (p: string): boolean => p === path || p.startsWith(`${path}/`);
    const had = [...this.files.keys(), ...this.dirs].some(under);
    for (const p of [...this.files.keys()]) if (under(p)) this.files.delete(p);
    for (const p of [...this.dirs]) if (under(p)) this.dirs.delete(p);
    return had;
  };
  modifiedAt = async (path: string): Promise<Date | undefined> => this.files.get(path)?.mtime;
  /** put() files are 0644 unless `modes` says otherwise. */
  fileMode = async (path: string): Promise<number | undefined> => (this.files.has(path) ? (this.modes.get(path) ?? 0o644) : undefined);
  /** The template shipped in templates/ (read-only, the one the real command renders). */
  conflistTemplate = (): Promise<string> => loadTemplate();
}

/** CNI plugin binaries as bytes, with what each answers to VERSION. */
export class FakeCniBinaries implements CniBinaries {
  readonly files = new Map<string, { content: Buffer; mode: number }>();
  readonly dirs = new Set<string>();
  /** path → its VERSION answer; a file without one answers with none. */
  readonly versions = new Map<string, VersionAnswer>();
  /** Every write, move and removal, e.g. "write /opt/cni/bin/flannel". */
  readonly calls: string[] = [];
  sourceDirs: readonly string[] = ['/usr/lib/cni'];

  /** A file as the host already had it. */
  put(path: string, content: string | Buffer, version?: string): void {
    this.files.set(path, { content: Buffer.from(content), mode: 0o755 });
    if (version !== undefined) this.versions.set(path, { ok: true, version: { cniVersion: version, supportedVersions: ['0.4.0', version] } });
  }
  read(path: string): string | undefined {
    return this.files.get(path)?.content.toString();
  }
  readBinary = async (path: string): Promise<Buffer | undefined> => this.files.get(path)?.content;
  isReadable = async (path: string): Promise<boolean> => this.files.has(path);
  hashed: string[] = [];
  hashFile = async (path: string): Promise<string | undefined> => {
    this.hashed.push(path);
    const file = this.files.get(path);
    return file === undefined ? undefined : sha256(file.content);
  };
  writeExecutable = async (path: string, content: Uint8Array): Promise<void> => {
    this.calls.push(`write ${path}`);
    this.files.set(path, { content: Buffer.from(content), mode: 0o755 });
  };
  pluginVersion = async (path: string): Promise<VersionAnswer> => this.versions.get(path) ?? { ok: false, reason: 'no VERSION answer' };
  probePlugins = async (binDir: string, names: readonly string[]): Promise<PluginProbe[]> =>
    Promise.all(
      names.map(async (name): Promise<PluginProbe> => {
        const path = posix.join(binDir, name);
        if (!this.files.has(path)) return { name, path, present: false };
        const answer = await this.pluginVersion(path);
        return answer.ok ? { name, path, present: true, version: answer.version.cniVersion, supportedVersions: answer.version.supportedVersions } : { name, path, present: true, error: answer.reason };
      }),
    );
  ensureDir = async (path: string): Promise<'created' | 'exists'> => {
    if (this.dirs.has(path)) return 'exists';
    this.dirs.add(path);
    return 'created';
  };
  removeFile = async (path: string): Promise<boolean> => {
    this.calls.push(`remove ${path}`);
    return this.files.delete(path);
  };
  moveFile = async (from: string, to: string): Promise<void> => {
    const file = this.files.get(from);
    if (!file) throw new Error(`fake cni binaries: ${from} does not exist`);
    this.calls.push(`move ${from} ${to}`);
    this.files.delete(from);
    this.files.set(to, file);
    const version = this.versions.get(from);
    if (version) this.versions.set(to, version);
  };
}

/** host-local's store as files of address → content and mtime; the VM dirs and netns addresses as sets. */
export class FakeIpam implements IpamStore {
  readonly stores = new Map<string, Map<string, { text: string; mtimeMs: number }>>();
  unreadable = new Set<string>();
  igniteVms: Set<string> | undefined = new Set();
  addresses: Set<string> | undefined = new Set();
  lockProblem: string | undefined;
  readonly calls: string[] = [];

  allocate(dir: string, address: string, containerId: string, mtimeMs: number, ifname = 'eth0'): void {
    const store = this.stores.get(dir) ?? new Map<string, { text: string; mtimeMs: number }>();
    store.set(address, { text: `${containerId}\r\n${ifname}`, mtimeMs });
    this.stores.set(dir, store);
  }
  readStore = async (dir: string): Promise<StoreRead> => {
    if (this.unreadable.has(dir)) return { kind: 'unreadable', problem: `cannot read ${dir}: EACCES` };
    const store = this.stores.get(dir);
    if (!store) return { kind: 'missing' };
    return { kind: 'ok', allocations: [...store].sort().map(([address, f]) => ({ address, ...parseAllocationFile(f.text), since: f.mtimeMs })) };
  };
  listIgniteVms = async (): Promise<Set<string> | undefined> => this.igniteVms;
  netnsAddresses = async (): Promise<Set<string> | undefined> => this.addresses;
  releaseAllocations = async (dir: string, allocations: readonly Allocation[]): Promise<ReleaseResult> => {
    if (this.lockProblem) return { lockProblem: this.lockProblem };
    const store = this.stores.get(dir);
    const freed: string[] = [];
    const skipped: { address: string; why: string }[] = [];
    for (const a of allocations) {
      if (store?.delete(a.address)) {
        this.calls.push(`free ${dir}/${a.address}`);
        freed.push(a.address);
      } else skipped.push({ address: a.address, why: 'already released' });
    }
    return { freed, skipped };
  };
}

// ---------------------------------------------------------------------------------------------
// Network, kernel, probes, state, clock

export class FakeNetwork implements HostNetwork {
  addresses: HostAddress[] = [{ iface: 'eth0', address: '192.0.2.10', cidr: '192.0.2.0/24', family: 'IPv4' }];
  routes: Route[] = [{ iface: 'eth0', destination: '0.0.0.0/0', gateway: '192.0.2.1' }];
  /** undefined: iproute2 is not installed. */
  links: IpLinkJson[] | undefined = [];
  /** `${family} ${table}` → `iptables -S` text; a family with no entry at all is "not installed". */
  readonly tables = new Map<string, string>();
  readonly iptablesCalls: string[] = [];
  readonly deletedLinks: string[] = [];
  /** address → what `ip -j route get` prints; none: no route. */
  readonly routeGets = new Map<string, string>();

  hostNameValue = 'node1';
  hostName = (): string => this.hostNameValue;
  readAddresses = (): HostAddress[] => this.addresses;
  readRoutes = async (): Promise<Route[]> => this.routes;
  listLinks = async (): Promise<IpLinkJson[] | undefined> => this.links;
  routeGet = async (address: string): Promise<string | undefined> => this.routeGets.get(address);
  readonly deletedRoutes: string[] = [];
  deleteRoute = async (destination: string, gateway: string, iface: string): Promise<boolean> => {
    const before = this.routes.length;
    this.routes = this.routes.filter((r) => !(r.destination === destination && r.gateway === gateway && r.iface === iface));
    if (this.routes.length === before) return false;
    this.deletedRoutes.push(`${destination} via ${gateway} dev ${iface}`);
    return true;
  };
  deleteLink = async (name: string): Promise<boolean> => {
    if (!this.links?.some((l) => l.ifname === name)) return false;
    this.links = this.links.filter((l) => l.ifname !== name);
    this.deletedLinks.push(name);
    return true;
  };
  listTable = async (family: IptablesFamily, table: string): Promise<string | undefined> => {
    const installed = [...this.tables.keys()].some((k) => k.startsWith(`${family} `));
    return installed ? (this.tables.get(`${family} ${table}`) ?? '') : undefined;
  };
  iptables = async (family: IptablesFamily, table: string, args: readonly string[]): Promise<void> => {
    this.iptablesCalls.push(`${family} -t ${table} ${args.join(' ')}`);
  };
}

/** A udp lease of `publicIP` on `subnet` as etcd would list it (its raw value as flannel writes it); `extra` overrides. */
export function testLease(subnet: string, publicIP: string, extra: Partial<Lease> = {}): Lease {
  return { key: subnetToLeaseKey(subnet), subnet, publicIP, backendType: 'udp', reserved: false, raw: JSON.stringify({ PublicIP: publicIP, BackendType: 'udp' }), ...extra };
}

export const fakeKernel: HostKernel = {
  readProcValue: async () => undefined,
  readInterfaceMtu: async () => 1500,
  readIptablesForward: async () => ({ kind: 'missing' }),
  listFiles: async () => undefined,
  processStartedAt: async () => undefined,
};

export class FakeProbes implements Probes {
  /** `${host}:${port}` → result; anything else is refused. */
  readonly tcp = new Map<string, TcpProbeResult>();
  udp: UdpProbeResult = 'silent';
  readonly busyTcp = new Set<number>();
  readonly busyUdp = new Set<number>();

  tcpProbe = async (host: string, port: number): Promise<TcpProbeResult> =>
    this.tcp.get(`${host}:${port}`) ?? { ok: false, reason: 'refused', message: 'connection refused (fake)' };
  udpProbe = async (): Promise<UdpProbeResult> => this.udp;
  /** What a TLS server on the peer presents; undefined: it speaks plain HTTP. */
  presented: PresentedCa | undefined;
  fetchPresentedCa = async (host: string, port: number): Promise<PresentedCa> => {
    if (!this.presented) throw new IgniteError('peer', `${host}:${port} does not speak TLS`);
    return this.presented;
  };
  isTcpPortFree = async (port: number): Promise<boolean> => !this.busyTcp.has(port);
  /** Another member's peer port (test/etcd/members.test.ts probes real ones); none answers here. */
  probeRaftPeer = async (peerUrl: string): Promise<RaftProbe> => {
    throw new IgniteError('peer', `${peerUrl} is not reachable (fake)`);
  };
  isUdpPortFree = async (port: number): Promise<boolean> => !this.busyUdp.has(port);
}

export class FakeState implements StateFiles {
  state: HostState | undefined;
  leaseCache: string | undefined;
  locks = 0;
  readState = async (): Promise<HostState | undefined> => this.state;
  writeState = async (_dir: string, state: HostState): Promise<void> => {
    this.state = state;
  };
  removeState = async (): Promise<boolean> => {
    const had = this.state !== undefined;
    this.state = undefined;
    return had;
  };
  readLeaseCache = async (): Promise<string | undefined> => this.leaseCache;
  writeLeaseCache = async (_dir: string, text: string): Promise<boolean> => ((this.leaseCache = text), true);
  acquireLock = async (): Promise<Lock> => {
    this.locks += 1;
    return { release: async () => void (this.locks -= 1) };
  };
}

/** Time moves only when something sleeps: a wait of 60 s takes no time and its deadline is exact. */
export class FakeClock implements Clock {
  constructor(public current = Date.UTC(2026, 0, 1)) {}
  slept = 0;
  /** Called on each sleep, after time moved: lets a test change the world "meanwhile". */
  onSleep: (now: number) => void | Promise<void> = () => undefined;
  now = (): number => this.current;
  sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) throw interruptedError();
    this.current += ms;
    this.slept += ms;
    await this.onSleep(this.current);
  };
}

export interface FakeHost {
  services: Services;
  docker: FakeDocker;
  /** Set it to make services.docker() fail as an unreachable Engine does. */
  dockerProblem?: IgniteError;
  etcd: FakeEtcd;
  files: FakeFiles;
  cniBinaries: FakeCniBinaries;
  ipam: FakeIpam;
  network: FakeNetwork;
  probes: FakeProbes;
  state: FakeState;
  clock: FakeClock;
}

/** One fake host: its Services and the fakes behind them, for set-up and assertions. */
export function fakeServices(): FakeHost {
  const clock = new FakeClock();
  const host: FakeHost = {
    docker: new FakeDocker(),
    etcd: new FakeEtcd(),
    files: new FakeFiles(clock),
    cniBinaries: new FakeCniBinaries(),
    ipam: new FakeIpam(),
    network: new FakeNetwork(),
    probes: new FakeProbes(),
    state: new FakeState(),
    clock,
    services: undefined as unknown as Services, // set just below, from the fields above
  };
  host.services = {
    docker: async () => {
      if (host.dockerProblem) throw host.dockerProblem;
      return host.docker;
    },
    etcd: (endpoints, options) => host.etcd.store(endpoints, options),
    // Auth management is tested against a real etcd (test/etcd/auth.test.ts), not faked.
    etcdAdmin: () => {
      throw new Error('fake services: etcdAdmin is not faked; test auth against a real etcd');
    },
    // So is the member API (test/etcd/members.test.ts).
    etcdMembers: () => {
      throw new Error('fake services: etcdMembers is not faked; test the member API against a real etcd');
    },
    files: host.files,
    cniBinaries: host.cniBinaries,
    ipam: host.ipam,
    network: host.network,
    kernel: fakeKernel,
    probes: host.probes,
    state: host.state,
    clock,
    waiter: pollingWaiter,
    closeAll: () => undefined,
  };
  return host;
}
