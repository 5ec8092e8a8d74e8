import { isIPv6 } from 'node:net';
import type { ContainerCreateOptions } from 'dockerode';
import { CONTAINER_NAMES, ETCD_KEYS, LABELS, PATHS, PORTS, type ContainerRole } from '../defaults.js';
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
}

export const ETCD_DATA_DIR = '/var/lib/etcd';

export function etcdSpec(input: EtcdSpecInput): ContainerCreateOptions {
  const adv = bracketHost(input.advertiseAddress);
  // 0.0.0.0 would leave an IPv6-only advertise address unreachable; Go's [::] listener takes both families.
  const any = isIPv6(input.advertiseAddress) ? '[::]' : '0.0.0.0';
  const peerUrl = `http://${adv}:${PORTS.etcdPeer}`;
  return {
    name: input.name ?? CONTAINER_NAMES.etcd,
    Image: input.image,
    // The upstream etcd image has no entrypoint, so the command names the binary.
    Cmd: [
      '/usr/local/bin/etcd',
      '--name', 's1',
      '--data-dir', ETCD_DATA_DIR,
      '--listen-client-urls', `http://${any}:${PORTS.etcdClient}`,
      '--advertise-client-urls', `http://${adv}:${PORTS.etcdClient}`,
      '--listen-peer-urls', `http://${any}:${PORTS.etcdPeer}`,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `s1=${peerUrl}`,
      '--initial-cluster-state', 'new',
      // A fixed token keeps a re-created member from joining some other single-node cluster by accident.
      '--initial-cluster-token', 'ignite-net',
    ],
    Labels: managedLabels('etcd', input.version),
    HostConfig: {
      // Host network: peers reach etcd on the host's own address and no port publishing (or docker-proxy) is involved.
      NetworkMode: 'host',
      Binds: [`${input.volume}:${ETCD_DATA_DIR}`],
      RestartPolicy: { ...RESTART_POLICY },
    },
  };
}

export interface FlannelSpecInput {
  image: string;
  /** Client URLs of etcd, e.g. `http://192.168.1.2:2379`. */
  etcdEndpoints: string | string[];
  advertiseAddress: string;
  /** Host directory for subnet.env (mounted at /run/flannel). */
  runDir?: string;
  name?: string;
  version?: string;
}

export const FLANNEL_RUN_DIR = '/run/flannel';

export function flannelSpec(input: FlannelSpecInput): ContainerCreateOptions {
  const endpoints = Array.isArray(input.etcdEndpoints) ? input.etcdEndpoints.join(',') : input.etcdEndpoints;
  const cmd = ['--ip-masq', `--etcd-endpoints=${endpoints}`, `--etcd-prefix=${ETCD_KEYS.prefix}`];
  // --iface picks the interface that holds the advertise address. --public-ip pins the address written
  // into the lease: without it flanneld takes that interface's first IPv4 address, which on an interface
  // with secondary addresses is not necessarily the one the operator chose. For an IPv6 advertise address
  // the overlay (IPv4) still needs the interface's IPv4 address, so only --iface is given.
  cmd.push(`--iface=${input.advertiseAddress}`);
  if (!isIPv6(input.advertiseAddress)) cmd.push(`--public-ip=${input.advertiseAddress}`);
  return {
    name: input.name ?? CONTAINER_NAMES.flannel,
    Image: input.image,
    // No Entrypoint: the image's /opt/bin/flanneld is kept, so Cmd holds only flags.
    Cmd: cmd,
    Labels: managedLabels('flannel', input.version),
    HostConfig: {
      // flanneld configures the host's own interfaces, routes and iptables: it must live in the host netns.
      NetworkMode: 'host',
      CapAdd: ['NET_ADMIN', 'NET_RAW'],
      Devices: [{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }],
      Binds: [`${input.runDir ?? PATHS.runDir}:${FLANNEL_RUN_DIR}`],
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
}

/** Human-readable differences between what we would create and what exists; empty when they match. */
export function specDifferences(spec: ContainerCreateOptions, existing: ComparableContainer): string[] {
  const differences: string[] = [];
  if ((spec.Image ?? '') !== existing.image) {
    differences.push(`image ${existing.image} (wanted ${spec.Image ?? '?'})`);
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
