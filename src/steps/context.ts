import type { Options } from '../options.js';
import type { IgniteError } from '../core/errors.js';
import type { CheckResult } from '../core/events.js';
import type { DockerClient } from '../adapters/docker/client.js';
import type { ContainerView, ManagedContainer } from '../adapters/docker/view.js';
import type { EtcdAdmin } from '../adapters/etcd/admin.js';
import type { EtcdAuth } from '../adapters/etcd/auth.js';
import type { EtcdStore } from '../adapters/etcd/store.js';
import type { Services } from '../adapters/services.js';
import type { HostState } from '../adapters/state.js';
import type { IgniteFinding } from '../cni/ignite-config.js';
import type { IpLinkJson } from '../net/flannel-devices.js';
import type { IpamGcOutcome } from '../cni/ipam-gc-report.js';
import type { InstalledPlugin } from '../cni/plugins.js';
import type { NetworkConfig } from '../net/network-config.js';
import type { EtcdMember } from '../ha/members.js';
import type { ControlPlaneBundle } from '../pki/certificate-key.js';

/** What the steps of one command share; steps fill it in as they learn things. */
export interface CommandContext {
  options: Options;
  env: NodeJS.ProcessEnv;
  /** The only way steps reach the host: Docker, etcd, files, network, probes, clock. */
  services: Services;
  /**
   * The overlay's network config this run works with: the options' at first; join's peer step (and
   * doctor's state step) replace it with the one the overlay already has.
   */
  network: NetworkConfig;
  /** Set by the docker step when the Docker Engine answers; else dockerProblem says why not. */
  docker?: DockerClient;
  /** Why the Docker Engine could not be used; the DockerEngine check reports it. */
  dockerProblem?: IgniteError;
  /** The address flannel registers as PublicIP and etcd advertises (the advertise step sets it). */
  advertise?: { address: string; iface?: string };
  /** What the advertise step found, as the AdvertiseAddress check reports it. */
  advertiseFinding?: Omit<CheckResult, 'name'>;
  /** init: root's client, once the auth step has turned auth on (also ctx.store then). */
  admin?: EtcdAdmin;
  /** This host's etcd user (flannel's), once the auth step (init) or the identity step (join) set it. */
  identity?: string;
  /** join with a token: the identity the token opened, and the token's own client (to take the box). */
  joining?: { identity: EtcdAuth; tokenStore?: EtcdStore };
  /**
   * join: the UDP probe of the peer's backend port, started by the peer step and collected by
   * preflight (collectPeerBackendVerdict), before any step that changes the host: what it saw, or
   * the error join stops with.
   */
  peerBackend?: Promise<{ note: string } | { error: unknown }>;
  /** token and hosts: one summary line per token or host. */
  summaryLines?: { label: string; value: string }[];
  /** init: the whole join command for the other hosts (the summary prints it). */
  joinCommand?: string;
  /**
   * init securing an overlay an earlier init left plain (0.1 or --insecure): the other hosts' addresses
   * (from their leases), whose flannel reaches etcd over plain HTTP and must join again.
   */
  upgrade?: { otherHosts: string[] };
  /** init: the etcd step created the data volume (a failed run removes it); else it holds earlier data. */
  etcdVolumeCreated?: boolean;
  /** The overlay's CA and its pin, once the pki step (init) or the peer step (join) knows them; undefined with --insecure. */
  security?: { caPem: string; pin: string };
  /** The etcd client URL this host's commands use (the init host's and a control-plane host's: its own member). */
  etcdEndpoint?: string;
  /** join: the peer's etcd members, as its peer step read them. */
  members?: EtcdMember[];
  /** join: every voting member's client URL, flannel's --etcd-endpoints (else etcdEndpoint alone). */
  flannelEndpoints?: string[];
  /**
   * join --control-plane (docs/ha.md): the bundle the certificate key opened (or this host's own, on a
   * re-run), the token's client that takes it, and this host's member once the member step added it.
   */
  controlPlane?: { bundle: ControlPlaneBundle; take?: EtcdStore; member?: { id: string; name: string; initialCluster: string; added: boolean } };
  store?: EtcdStore;
  /** Peer (join only): as given on the command line and as resolved. */
  peer?: { host: string; address: string };
  /** init/join: the subnet this host keeps for good (--subnet, or one `subnets reserve` made), once recorded. */
  fixedSubnet?: string;
  /** This host's lease, e.g. 10.50.31.0/24, once flannel holds it. */
  subnet?: string;
  /** What the backend step checked after flannel started (BackendDevice, BackendMTU), and verify's path. */
  backendChecks?: CheckResult[];
  /** init after a backend change: other hosts whose flannel still runs the old backend ("10.x.y.z (10.50.31.0/24, udp)"). */
  rejoin?: string[];
  /** What an earlier init/join recorded on this host, if anything. */
  state?: HostState;
  /** CNI plugin files ignite-net installed, by this run or an earlier one (the cni-plugins step sets it). */
  cniPlugins?: InstalledPlugin[];
  /** Files moved aside by this run or an earlier one: original path → where it is now. */
  movedAside: Record<string, string>;
  /** Set by steps that find everything already in place (init/join run again). */
  unchanged: Set<string>;
  /** cleanup: what it removed and what stays, with the command to remove it. */
  removed: string[];
  left: string[];
  /**
   * How the peer step reaches the peer's etcd: plain HTTP (an insecure overlay), this host's own
   * identity, the token's, or (doctor without a credential) TLS only: authentication refuses reads.
   */
  peerAccess?: 'plain' | 'identity' | 'token' | 'anonymous';
  /** The insecure-overlay warning was given (steps/state.ts warnInsecure). */
  warnedInsecure?: boolean;
  /** init/join: what is wrong on Ignite's side (steps/ignite.ts), for the summary. */
  igniteFindings?: IgniteFinding[];
  /** ipam gc: what the store held and, with --yes, what was freed (cni/ipam-gc-report.ts renders it). */
  ipamGc?: IpamGcOutcome;
  /** doctor: every check's result and how the host was checked (doctor/report.ts). */
  doctor?: DoctorReport;
  /** cleanup: facts one step learns and a later one uses. */
  cleanup: CleanupFacts;
}

export interface CleanupFacts {
  /** Docker did not answer: warned once, later steps skip containers. */
  dockerUnreachable: boolean;
  /** The flannel step's reads of Docker, started early by the member check (steps/cleanup.ts startContainerLookup). */
  containers?: Promise<ContainerLookup>;
  /** From the flannel container's command, for hosts set up before the state file existed. */
  flannelEtcdEndpoint?: string;
  flannelPublicIP?: string;
  hadEtcdContainer: boolean;
  /** The etcd data volume stays (no --purge): so do the CA and root credential that open it. */
  volumeKept?: boolean;
  /** A control-plane host: what happens to its etcd member (steps/cleanup-member.ts). */
  member?: MemberPlan;
  /** This host's member left the cluster: its data cannot start again, so the volume and the CA key go. */
  memberRemoved?: boolean;
  /**
   * The member check's credentialed client, which answered: the lease step takes it when it asks the
   * same etcd (the init host's own), instead of connecting and authenticating again; or the lease
   * step's own, opened while flannel stopped, with its first call's outcome (undefined, or its error).
   */
  etcdClient?: { endpoints: readonly string[]; timeoutMs: number; store: EtcdStore; warmUp?: Promise<unknown> };
  /**
   * Read once flannel is stopped (steps/cleanup.ts prefetchLeftovers), for the devices step: the
   * host's devices (undefined inside: no iproute2); for the iptables step: its tables' listings
   * (`<tool> <table>` → `-S` output).
   */
  links?: Promise<IpLinkJson[] | undefined>;
  iptablesListings?: Promise<Map<string, string | undefined>>;
}

/** What cleanup's flannel step needs to know of the containers: all of ours, and each flannel's (its command). */
export interface ContainerLookup {
  all: ManagedContainer[];
  flannels: { container: ManagedContainer; view: ContainerView | undefined }[];
}

/** What cleanup's member check found: the member to remove and through which members, or why there is none. */
export type MemberPlan =
  | { kind: 'remove'; id: string; name: string; peerUrl: string; via: string[]; forced?: { reason: string; hint: string } }
  /** The only voting member: cleaned up as the init host always was (volume kept without --purge). */
  | { kind: 'last'; forced?: { reason: string; hint: string } }
  /** Not in the list (removed by an earlier run), or the list unreadable. */
  | { kind: 'none'; why: string; forced?: { reason: string; hint: string } };

/** What doctor found, kept on its context so the summary can list every check. */
export interface DoctorReport {
  /** How this host was checked: "init host (state file)", "joining 10.0.0.1", … */
  checkedAs: string;
  results: CheckResult[];
  /** Checks that could not run because one they need failed, with why. */
  notRun: { name: string; reason: string }[];
}

export function newContext(options: Options, env: NodeJS.ProcessEnv, services: Services): CommandContext {
  return {
    options,
    env,
    services,
    network: options.network,
    unchanged: new Set(),
    movedAside: {},
    removed: [],
    left: [],
    cleanup: { dockerUnreachable: false, hadEtcdContainer: false },
  };
}

export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`internal: ${what} is not set (a step ran out of order)`);
  return value;
}
