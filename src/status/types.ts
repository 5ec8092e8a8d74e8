/**
 * The status model's data: what collect.ts gathers (StatusInputs) and what the renderers draw
 * (StatusModel). Plain JSON-safe data, no logic.
 */
import type { FixedRecord } from '../net/fixed-subnet.js';
import type { ContainerState } from '../adapters/docker/view.js';
import type { MemberWithStatus } from '../adapters/etcd/members.js';
import type { TcpFailureReason, UdpProbeResult } from '../adapters/probes.js';
import type { IgniteFacts } from '../cni/ignite-config.js';
import type { PluginProbe } from '../cni/plugin-versions.js';
import type { Lease } from '../net/lease.js';
import type { NetworkConfig } from '../net/network-config.js';
import type { HostRecord, RevokedRecord } from '../pki/records.js';

// ---------------------------------------------------------------------------------------------
// Inputs (what collect.ts gathers)

export type EndpointSource = 'flag' | 'state' | 'local-etcd';

export interface ContainerInput {
  name: string;
  role?: 'etcd' | 'flannel';
  image: string;
  state: ContainerState;
  running: boolean;
  exitCode: number;
  error?: string;
  startedAt?: string;
  finishedAt?: string;
  restartCount: number;
  health?: 'starting' | 'healthy' | 'unhealthy';
}

export type ProbeInput =
  | { kind: 'udp'; port: number; result: UdpProbeResult; rttMs?: number }
  /** host-gw: this host's route to the peer's subnet (`ip route get`), judged as join judges it (net/backend-checks.ts pathOutcome). */
  | { kind: 'route'; target: string; ok: boolean; message: string }
  | { kind: 'tcp'; target: string; port: number; ok: true; rttMs: number }
  | { kind: 'tcp'; target: string; port: number; ok: false; reason: TcpFailureReason; message: string };

export interface StatusInputs {
  now: string;
  endpoint: { url: string; source: EndpointSource };
  state?: { path: string; role: 'init' | 'joined'; advertiseAddress: string; peer?: string; createdAt: string };
  /** No state file was found (status still runs from --etcd-endpoint or a local etcd). */
  stateMissing?: string;
  etcd:
    | {
        ok: true;
        version: string;
        readMs: number;
        config?: string;
        configKey: string;
        leases: Lease[];
        /** How many lease TTLs etcd was asked for, and how many came from status's memory (lease-expiry.ts). */
        leaseTtls?: { asked: number; remembered: number };
      }
    | { ok: false; message: string; hint?: string };
  /** How this host reaches etcd: TLS (with the CA pin this host recorded, the server certificate's expiry, its identity) or not. */
  security?: SecurityView;
  /** What `hosts revoke` recorded (read on the init host, as root; absent elsewhere). */
  revoked?: RevokedRecord[];
  /** Parsed from etcd's config by collect (parsing throws on bad data; the message lands here). */
  network?: { config?: NetworkConfig; problem?: string };
  docker: { ok: true; where: string; containers: ContainerInput[] } | { ok: false; message: string; hint?: string };
  subnetEnv: { path: string } & ({ kind: 'missing' } | { kind: 'invalid'; problem: string } | { kind: 'ok'; subnet: string; network: string; mtu: number });
  cni: {
    confDir: string;
    binDir: string;
    /** Files a CNI runtime considers (.conf, .conflist, .json), in the order libcni sorts them. */
    candidates: string[];
    /** Our conflist: undefined when absent. */
    ours?: { validJson: boolean; written: boolean };
    /** The files among candidates that do not load as a CNI config (ignite stops at them). */
    invalid: string[];
    /** Why each of `invalid` does not load, as cni/load-order.ts says it. */
    problems?: Record<string, string>;
    missingPlugins: string[];
    /** The cniVersion the plugins were asked about: our conflist's on disk (or as ignite-net writes it). */
    cniVersion?: string;
    /** Each plugin: there or not, and its VERSION answer or why it gave none (cni/plugin-versions.ts). */
    plugins?: PluginProbe[];
  };
  /** Ignite's config file, the running ignited's start and our conflist's mtime (cni/ignite-config.ts). */
  ignite?: IgniteFacts;
  /** This host's addresses (never probed; used when no state file says which lease is ours). */
  localAddresses: string[];
  /** Probe results by lease key; absent keys were not probed. */
  probes: Record<string, { backend?: ProbeInput; overlay?: ProbeInput }>;
  /** candidates: the other hosts with something to probe (a backend port, or the overlay path). */
  probeLimit: { limit: number; candidates: number };
  /** etcd's members, each with its own Status answer (status/control-plane.ts); absent when not asked. */
  controlPlane?: { ok: true; members: MemberWithStatus[] } | { ok: false; message: string };
  /** Every host's record of its flannel endpoints (pki/records.ts HostRecord); only root reads them. */
  hostRecords?: { user: string; record: HostRecord }[];
  /** What this host's flannel was given (state file), for a host that cannot read the records. */
  thisHostEndpoints?: string[];
  /** The fixed subnets (net/fixed-subnet.ts), when this identity may read them; the missing keys this status re-created. */
  fixed?: { records: FixedRecord[]; recreated: string[] };
}

// ---------------------------------------------------------------------------------------------
// The model

export type Severity = 'error' | 'warning';

/** Stable ids for scripts, one per rule and finding (status/rules.ts, status/hosts.ts). */
export type ProblemCode =
  | 'etcd-unreachable'
  | 'cert-expiring'
  | 'auth-off'
  | 'network-config-missing'
  | 'network-config-invalid'
  | 'docker-unreachable'
  | `${ContainerRoleName}-missing`
  | `${ContainerRoleName}-not-running`
  | `${ContainerRoleName}-unhealthy`
  | `${ContainerRoleName | 'container'}-restarted`
  | 'subnet-env-missing'
  | 'subnet-env-invalid'
  | 'subnet-env-stale'
  | 'cni-conflist-missing'
  | 'cni-conflist-invalid'
  | 'cni-conflist-foreign'
  | 'cni-not-first'
  | 'cni-plugins-missing'
  | 'cni-plugins-unusable'
  | 'ignite-network-plugin'
  | 'ignited-stale-cni-config'
  | 'lease-malformed'
  | 'lease-outside-network'
  | 'duplicate-public-ip'
  | 'lease-not-renewed'
  | 'backend-mismatch'
  | 'host-revoked'
  | 'backend-unreachable'
  | 'overlay-unreachable'
  | 'no-lease'
  | 'probes-limited'
  | 'etcd-member-unhealthy'
  | 'etcd-no-quorum'
  | 'host-endpoints-stale';

type ContainerRoleName = NonNullable<ContainerInput['role']>;

export interface Problem {
  severity: Severity;
  code: ProblemCode;
  message: string;
  hint?: string;
  /** The lease key or container the problem is about. */
  subject?: string;
}

export type ReachState = 'ok' | 'failed' | 'not-checked';

export interface ReachView {
  state: ReachState;
  /** A short phrase for a table cell: "not rejected", "answered", "rejected", "this host", "not checked". */
  text: string;
  /** Why, in a sentence: what was and was not checked. */
  note?: string;
  rttMs?: number;
}

export interface HostRow {
  key: string;
  subnet: string;
  publicIP: string;
  backend: string;
  reserved: boolean;
  /** A fixed subnet (a record under /ignite-net/fixed/ names this subnet and PublicIP): it stays with its host. */
  fixed?: boolean;
  /** Seconds left on the etcd lease; undefined for reservations. */
  ttlSeconds?: number;
  expiresAt?: string;
  thisHost: boolean;
  /** Runs the etcd this status read (the init host). */
  etcdHost: boolean;
  backendReach: ReachView;
  overlayReach: ReachView;
  health: 'ok' | 'warning' | 'error';
  problem?: string;
  /** The host's identity was revoked (`hosts revoke`): its lease runs out at expiresAt, no renewal possible. */
  revoked?: { user: string; at: string };
}

export interface ContainerRow extends ContainerInput {
  expected: boolean;
  uptimeSeconds?: number;
  health?: 'starting' | 'healthy' | 'unhealthy';
}

export interface SecurityView {
  tls: boolean;
  /** Authentication on (a call without credentials was refused), off, or absent when it could not be told. */
  auth?: boolean;
  /** Set when etcd serves plain HTTP (pki/facts.ts INSECURE_OVERLAY): said, not counted in the verdict. */
  warning?: { message: string; hint: string };
  caPin?: string;
  /** The etcd server certificate's expiry, as the server presented it. */
  certExpiresAt?: string;
  identity?: string;
}

/** One etcd member as status shows it (docs/ha.md, "status and doctor"). */
export interface MemberRow {
  /** Hex, as etcdctl prints it. */
  id: string;
  /** Empty until the member has started once. */
  name: string;
  peerUrl: string;
  clientUrl?: string;
  learner: boolean;
  leader: boolean;
  /** Answered its Status call (within 2 s). */
  reachable: boolean;
  /** Answers its Status call, knows a leader, raises no alarm. */
  healthy: boolean;
  /** Why not healthy: "not started", "no leader", etcd's alarms, or why the call failed. */
  problem?: string;
  raftIndex?: number;
  dbSizeBytes?: number;
  version?: string;
  thisHost: boolean;
}

export interface ControlPlaneView {
  /** The member list was read; false: `message` says why not. */
  ok: boolean;
  message?: string;
  members: MemberRow[];
  /** Voting members only: learners do not vote. */
  quorum?: { members: number; needed: number; healthy: number; ok: boolean; line: string };
  /** The cluster's shape (ha/quorum.ts controlPlaneWarnings): said, not counted in the verdict. */
  warnings: string[];
}

/** One host's flannel endpoints against the members' client URLs (status/endpoint-lists.ts). */
export interface EndpointListRow {
  address: string;
  hostname?: string;
  /** unknown: the host holds a lease but wrote no record (it joined before records existed). */
  state: 'current' | 'stale' | 'unknown';
  missing: string[];
  gone: string[];
}

export interface EndpointListsView {
  /** Every voting member's client URL: what each host's flannel should have. */
  current: string[];
  hosts: EndpointListRow[];
  /** Whose lists were compared: every host's records (root), or this host's state file. */
  scope: 'all hosts' | 'this host';
}

export type Verdict = 'healthy' | 'degraded' | 'unhealthy';

export interface StatusModel {
  generatedAt: string;
  etcd: { endpoint: string; source: EndpointSource; ok: boolean; version?: string; readMs?: number; leaseTtls?: { asked: number; remembered: number }; message?: string };
  state: { path?: string; role?: 'init' | 'joined'; peer?: string; since?: string; missing?: string };
  security: SecurityView;
  network?: NetworkConfig;
  hosts: HostRow[];
  thisHost: {
    /** The lease this host holds, if any. */
    subnet?: string;
    advertiseAddress?: string;
    /** Whether this host is set up as an overlay member (state file or a flannel container). */
    member: boolean;
    docker: { ok: boolean; where?: string; message?: string };
    containers: ContainerRow[];
    subnetEnv: StatusInputs['subnetEnv'];
    cni: StatusInputs['cni'] & { ourFile: string; firstPick?: string };
  };
  probes: { probed: number; candidates: number; limit: number };
  /** etcd's members and quorum; absent when the member list was not asked for. */
  controlPlane?: ControlPlaneView;
  /** Whose flannel has an old member list; absent without a member list. */
  endpointLists?: EndpointListsView;
  problems: Problem[];
  verdict: Verdict;
  exitCode: number;
}
