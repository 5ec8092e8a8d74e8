/**
 * What a command line means once parsed (args.ts builds it): the commands and the Options every layer
 * reads. Types and one rule, no parsing, so the steps and adapters below args.ts can depend on it.
 */
import type { PullPolicy } from './defaults.js';
import type { NetworkConfig } from './net/network-config.js';
import type { JoinToken } from './pki/token.js';

export const COMMANDS = ['init', 'join', 'cleanup', 'status', 'doctor', 'logs', 'token', 'hosts', 'ipam', 'subnets'] as const;
export type Command = (typeof COMMANDS)[number];

export const isCommand = (value: string): value is Command => (COMMANDS as readonly string[]).includes(value);

export interface Options {
  command: Command;
  /** join only: the init host, normalised (IPv6 without brackets). */
  host?: string;
  /** From --docker-host, else DOCKER_HOST; undefined means the default socket. */
  dockerHost?: string;
  /** Which of the two dockerHost came from, for messages; set with dockerHost. */
  dockerHostSource?: '--docker-host' | 'DOCKER_HOST';
  cniConfDir: string;
  cniBinDir: string;
  runDir: string;
  /** CNI plugins' state (host-local IPAM, flannel plugin); cleanup removes our network's part. */
  cniStateDir: string;
  network: NetworkConfig;
  advertiseAddress?: string;
  /** init --backend wireguard: the file (0600) holding flannel's pre-shared key; the key is read by init, never kept in options. */
  wireguardPskFile?: string;
  etcdImage: string;
  flannelImage: string;
  /** init/join: the image the flannel CNI plugin is copied out of. */
  cniPluginImage: string;
  /** init/join: install missing CNI plugins into cniBinDir without asking (needed without a terminal). */
  installCniPlugins: boolean;
  pull: PullPolicy;
  yes: boolean;
  json: boolean;
  timeoutMs: number;
  /** Check names as given; preflight compares them case-insensitively. */
  ignorePreflightErrors: Set<string> | 'all';
  force: boolean;
  /** token: what to do, the token id for delete, create's --control-plane; and create's --ttl. */
  token?: { action: 'create' | 'list' | 'delete'; id?: string; controlPlane?: true };
  ttlMs: number;
  /** hosts: list them, or revoke one (by its advertise address or host name). */
  hosts?: { action: 'list' | 'revoke'; host?: string };
  /** init/join --subnet: the subnet this host keeps for good (canonical CIDR; checked against the overlay by the fixed-subnet steps). */
  fixedSubnet?: string;
  /** subnets: list the fixed subnets, reserve one for a host's PublicIP, or release a host's. */
  subnets?: { action: 'list' | 'reserve' | 'release'; publicIP?: string; subnet?: string };
  /** init: plain HTTP and no etcd auth (a throwaway lab). */
  insecure: boolean;
  /** join: the token and the CA pin, both or neither (docs/security.md). */
  join?: { token: JoinToken; caPin: string };
  /** join --control-plane: run an etcd member here too; the certificate key opens the token's bundle (docs/ha.md). */
  controlPlane?: { certificateKey: string };
  /** doctor --peer: the CA pin to compare the peer's with, given without a token (--ca-cert-hash alone). */
  caPin?: string;
  keepOnFailure: boolean;
  /** init, join, cleanup: run every check and report what would change, changing nothing (adapters/dry-run). */
  dryRun: boolean;
  purge: boolean;
  /** Where the state file and the lock live. */
  stateDir: string;
  /** status: etcd to read (else the state file's). */
  etcdEndpoint?: string;
  /** status --watch and its refresh interval. */
  watch: boolean;
  intervalMs: number;
  /** doctor: run join's checks against this init host. */
  peer?: string;
  /** logs: which container (both when undefined), follow, how many lines. */
  logsTarget?: 'etcd' | 'flannel';
  follow: boolean;
  tail: number;
  /** Options the operator gave on the command line (long names), so the state file fills in the rest. */
  explicit: ReadonlySet<string>;
}

/** Whether --ignore-preflight-errors names this check (case-insensitive, as kubeadm) or says all. */
export function ignoresPreflightError(options: Pick<Options, 'ignorePreflightErrors'>, name: string): boolean {
  const ignore = options.ignorePreflightErrors;
  return ignore === 'all' || [...ignore].some((n) => n.toLowerCase() === name.toLowerCase());
}
