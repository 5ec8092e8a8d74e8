import { isIPv6 } from 'node:net';
import type { ContainerCreateOptions } from 'dockerode';
import { CONTAINER_NAMES, ETCD_KEYS, LABELS, PATHS, PORTS, type ContainerRole } from '../defaults.js';
import { FIRST_MEMBER_NAME } from '../ha/members.js';
import { bracketHost } from '../net/host-arg.js';
import { version as PACKAGE_VERSION } from '../version.js';

/**
 * What ignite-net asks Docker to run, as plain data. No daemon is touched here, so every flag and
 * mount is unit-tested; src/adapters/docker/engine.ts only sends these.
 */

// unless-stopped: the network comes back by itself after a reboot or a dockerd restart, and a crashed
// flanneld/etcd is restarted, yet an operator's `docker stop` is respected (unlike `always`).
const RESTART_POLICY = { Name: 'unless-stopped', MaximumRetryCount: 0 } as const;

export function managedLabels(role: ContainerRole, version = PACKAGE_VERSION): Record<string, string> {
  return { [LABELS.managed]: 'true', [LABELS.role]: role, [LABELS.version]: version };
}


export interface EtcdSpecInput {
  image: string;
  /** The address peers use to reach this etcd; goes into the advertised client and peer URLs. */
  advertiseAddress: string;
  /** Named volume for /var/lib/etcd, so the network config and leases survive a container re-create. */
  volume: string;
  name?: string;
  version?: string;
  /**
   * Serve clients and peers over TLS. hostDir (pkiLayout(stateDir).etcdTls.dir) holds ca.pem, member.pem and
   * member-key.pem; without tls etcd serves plain HTTP (--insecure).
   */
  tls?: { hostDir: string };
  /**
   * A member joining an existing cluster (`join --control-plane`, docs/ha.md): its own name and the
   * whole `--initial-cluster` (every member, this one included, from ha/members.ts initialCluster),
   * started with `--initial-cluster-state existing`. Needs tls: peers authenticate by certificate.
   * Without it, the init host's single-member cluster (name s1, state new).
   */
  member?: { name: string; initialCluster: string };
}

export const ETCD_DATA_DIR = '/var/lib/etcd';
/** bcrypt's lowest cost (etcd accepts 4–31): see etcdSpec. */
export const ETCD_BCRYPT_COST = 4;
/** Where the etcd container sees `<stateDir>/etcd-tls` (read-only). */
export const ETCD_TLS_DIR = '/etc/ignite-net/etcd';

export function etcdSpec(input: EtcdSpecInput): ContainerCreateOptions {
  const adv = bracketHost(input.advertiseAddress);
  // 0.0.0.0 would leave an IPv6-only advertise address unreachable; Go's [::] listener takes both families.
  const any = isIPv6(input.advertiseAddress) ? '[::]' : '0.0.0.0';
  if (input.member && !input.tls) throw new Error('etcdSpec: a member of an existing cluster needs tls (peers authenticate by certificate)');
  const scheme = input.tls ? 'https' : 'http';
  const peerUrl = `${scheme}://${adv}:${PORTS.etcdPeer}`;
  const tlsFlags = input.tls
    ? [
        // One member certificate (serverAuth + clientAuth) for both ports. Clients get no
        // --trusted-ca-file/--client-cert-auth: they authenticate with passwords (docs/security.md), and
        // no signer runs after init to give them certificates. Peers must present a CA-signed one.
        '--cert-file', `${ETCD_TLS_DIR}/member.pem`,
        '--key-file', `${ETCD_TLS_DIR}/member-key.pem`,
        '--peer-cert-file', `${ETCD_TLS_DIR}/member.pem`,
        '--peer-key-file', `${ETCD_TLS_DIR}/member-key.pem`,
        '--peer-trusted-ca-file', `${ETCD_TLS_DIR}/ca.pem`,
        '--peer-client-cert-auth',
        // etcd hashes every password it stores with bcrypt, and each login pays that cost (~50 ms at the
        // default 10, 64× less at 4). Every password here is random (192 bits; a token's secret 82), so
        // the cost buys no protection against guessing, online or from a copy of the data (docs/security.md).
        '--bcrypt-cost', String(ETCD_BCRYPT_COST),
      ]
    : [];
  const binds = [`${input.volume}:${ETCD_DATA_DIR}`];
  if (input.tls) binds.push(`${input.tls.hostDir}:${ETCD_TLS_DIR}:ro`);
  return {
    name: input.name ?? CONTAINER_NAMES.etcd,
    Image: input.image,
    // The upstream etcd image has no entrypoint, so the command names the binary.
    Cmd: [
      '/usr/local/bin/etcd',
      '--name', input.member?.name ?? FIRST_MEMBER_NAME,
      '--data-dir', ETCD_DATA_DIR,
      '--listen-client-urls', `${scheme}://${any}:${PORTS.etcdClient}`,
      '--advertise-client-urls', `${scheme}://${adv}:${PORTS.etcdClient}`,
      '--listen-peer-urls', `${scheme}://${any}:${PORTS.etcdPeer}`,
      '--initial-advertise-peer-urls', peerUrl,
      // Read only while the data dir is empty: a restarted member takes its cluster from its own data.
      '--initial-cluster', input.member?.initialCluster ?? `${FIRST_MEMBER_NAME}=${peerUrl}`,
      '--initial-cluster-state', input.member ? 'existing' : 'new',
      // A fixed token keeps a re-created member from joining some other single-node cluster by accident.
      '--initial-cluster-token', 'ignite-net',
      ...tlsFlags,
    ],
    Labels: managedLabels('etcd', input.version),
    HostConfig: {
      // Host network: peers reach etcd on the host's own address and no port publishing (or docker-proxy) is involved.
      NetworkMode: 'host',
      Binds: binds,
      RestartPolicy: { ...RESTART_POLICY },
    },
  };
}

export interface FlannelSpecInput {
  image: string;
  /** Client URLs of etcd, e.g. `http://192.168.1.2:2379` (`https://…` with secure). */
  etcdEndpoints: string | string[];
  advertiseAddress: string;
  /** Host directory for subnet.env (mounted at /run/flannel). */
  runDir?: string;
  name?: string;
  version?: string;
  /**
   * TLS to etcd and a password identity. hostDir (pkiLayout(stateDir).flannelTls.dir) holds ca.pem, client.pem,
   * client-key.pem and etcd-password; the user name is not secret and goes on the command line.
   */
  secure?: { hostDir: string; username: string };
}

export const FLANNEL_RUN_DIR = '/run/flannel';
/** Where the flannel container sees `<stateDir>/flannel-tls` (read-only). */
export const FLANNEL_TLS_DIR = '/etc/ignite-net/flannel';
export const FLANNEL_PASSWORD_FILE = `${FLANNEL_TLS_DIR}/etcd-password`;

/**
 * The secure flannel container's entrypoint: the password reaches flanneld as FLANNELD_ETCD_PASSWORD
 * (flanneld reads unset flags from FLANNELD_<NAME>), read from the mounted file at start, so it is in
 * neither the command line nor `docker inspect`'s Env. "$@" is the Cmd (flags); `flanneld` is $0.
 * Upstream's image (alpine) and the test stand-in both have /bin/sh and cat.
 */
export const FLANNEL_SECURE_ENTRYPOINT: readonly string[] = [
  '/bin/sh',
  '-c',
  `FLANNELD_ETCD_PASSWORD="$(cat ${FLANNEL_PASSWORD_FILE})" && export FLANNELD_ETCD_PASSWORD && exec /opt/bin/flanneld "$@"`,
  'flanneld',
];

/** Entrypoints ignite-net sets itself: a spec that keeps the image's own must not match a container with one of these. */
const OUR_ENTRYPOINTS: readonly (readonly string[])[] = [FLANNEL_SECURE_ENTRYPOINT];

export function flannelSpec(input: FlannelSpecInput): ContainerCreateOptions {
  const endpoints = Array.isArray(input.etcdEndpoints) ? input.etcdEndpoints.join(',') : input.etcdEndpoints;
  const cmd = ['--ip-masq', `--etcd-endpoints=${endpoints}`, `--etcd-prefix=${ETCD_KEYS.prefix}`];
  if (input.secure) {
    // flanneld turns TLS on only when both certfile and keyfile are given; the client certificate is a
    // throwaway (etcd does not check it), the CA makes flanneld verify etcd's server certificate.
    cmd.push(
      `--etcd-cafile=${FLANNEL_TLS_DIR}/ca.pem`,
      `--etcd-certfile=${FLANNEL_TLS_DIR}/client.pem`,
      `--etcd-keyfile=${FLANNEL_TLS_DIR}/client-key.pem`,
      `--etcd-username=${input.secure.username}`,
    );
  }
  // --iface picks the interface that holds the advertise address. --public-ip pins the address written
  // into the lease: without it flanneld takes that interface's first IPv4 address, which on an interface
  // with secondary addresses is not necessarily the one the operator chose. For an IPv6 advertise address
  // the overlay (IPv4) still needs the interface's IPv4 address, so only --iface is given.
  cmd.push(`--iface=${input.advertiseAddress}`);
  if (!isIPv6(input.advertiseAddress)) cmd.push(`--public-ip=${input.advertiseAddress}`);
  const binds = [`${input.runDir ?? PATHS.runDir}:${FLANNEL_RUN_DIR}`];
  if (input.secure) binds.push(`${input.secure.hostDir}:${FLANNEL_TLS_DIR}:ro`);
  return {
    name: input.name ?? CONTAINER_NAMES.flannel,
    Image: input.image,
    // Insecure: no Entrypoint, the image's /opt/bin/flanneld is kept, so Cmd holds only flags. Secure:
    // the shell entrypoint above, which execs the same binary with the same Cmd.
    ...(input.secure ? { Entrypoint: [...FLANNEL_SECURE_ENTRYPOINT] } : {}),
    Cmd: cmd,
    Labels: managedLabels('flannel', input.version),
    HostConfig: {
      // flanneld configures the host's own interfaces, routes and iptables: it must live in the host netns.
      NetworkMode: 'host',
      CapAdd: ['NET_ADMIN', 'NET_RAW'],
      Devices: [{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }],
      Binds: binds,
      RestartPolicy: { ...RESTART_POLICY },
    },
  };
}

/** The parts of an existing container that decide whether it is the one we would create. */
export interface ComparableContainer {
  /** The image reference it was created from (Config.Image), not the image ID. */
  image: string;
  cmd: string[];
  binds: string[];
  /**
   * Config.Entrypoint as Docker reports it: the image's own when the container was created without
   * one. Absent is taken as the image's own (not one of ours).
   */
  entrypoint?: string[];
}

/** Human-readable differences between what we would create and what exists; empty when they match. */
export function specDifferences(spec: ContainerCreateOptions, existing: ComparableContainer): string[] {
  const differences: string[] = [];
  if ((spec.Image ?? '') !== existing.image) {
    differences.push(`image ${existing.image} (wanted ${spec.Image ?? '?'})`);
  }
  const entrypoint = existing.entrypoint ?? [];
  const wantEntrypoint = typeof spec.Entrypoint === 'string' ? [spec.Entrypoint] : spec.Entrypoint;
  // Docker reports the image's entrypoint for a container created without one, and we do not know the
  // image's here: a spec that keeps it matches any entrypoint except those ignite-net sets itself.
  const entrypointDiffers =
    wantEntrypoint === undefined ? OUR_ENTRYPOINTS.some((ours) => sameList(ours, entrypoint)) : !sameList(wantEntrypoint, entrypoint);
  if (entrypointDiffers) {
    differences.push(`entrypoint ${entrypoint.join(' ') || 'none'} (wanted ${wantEntrypoint?.join(' ') ?? "the image's own"})`);
  }
  const wantCmd = spec.Cmd ?? [];
  if (!sameList(wantCmd, existing.cmd)) {
    differences.push(`command ${existing.cmd.join(' ')} (wanted ${wantCmd.join(' ')})`);
  }
  const wantBinds = spec.HostConfig?.Binds ?? [];
  // Docker keeps binds as given, but order carries no meaning.
  if (!sameList([...wantBinds].sort(), [...existing.binds].sort())) {
    differences.push(`mounts ${existing.binds.join(', ') || 'none'} (wanted ${wantBinds.join(', ') || 'none'})`);
  }
  return differences;
}

export function specMatches(spec: ContainerCreateOptions, existing: ComparableContainer): boolean {
  return specDifferences(spec, existing).length === 0;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
