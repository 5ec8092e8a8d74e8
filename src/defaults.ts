/** Defaults that match ignite-flannel.sh and upstream images; every one is overridable by a flag. */
export const DEFAULT_IMAGES = {
  etcd: 'gcr.io/etcd-development/etcd:v3.6.16',
  flannel: 'ghcr.io/flannel-io/flannel:v0.28.9',
  /** The flannel CNI plugin (no longer in the CNI plugins package): the binary is the image's /flannel. */
  cniPlugin: 'ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3',
} as const;

/** --pull: when to pull images (`missing`: only images not on the host). */
export const PULL_POLICIES = ['missing', 'always', 'never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

export const CONTAINER_NAMES = { etcd: 'ignite-etcd', flannel: 'ignite-flannel' } as const;
export const ETCD_VOLUME = 'ignite-etcd-data';

/** Docker labels mark what ignite-net created; cleanup finds things by these, never by name. */
export const LABELS = {
  managed: 'io.ignite-net.managed',
  role: 'io.ignite-net.role',
  version: 'io.ignite-net.version',
} as const;

export type ContainerRole = 'etcd' | 'flannel';

export const PORTS = { etcdClient: 2379, etcdPeer: 2380 } as const;

export const PATHS = {
  cniConfDir: '/etc/cni/net.d',
  cniBinDir: '/opt/cni/bin',
  runDir: '/run/flannel',
  /** CNI plugins' state: host-local IPAM under networks/<name>, the flannel plugin under flannel/. */
  cniStateDir: '/var/lib/cni',
  stateDir: '/var/lib/ignite-net',
  /** Ignite's per-VM dirs (/var/lib/firecracker/vm/<vm id>): a VM that has one still exists. */
  igniteVmDir: '/var/lib/firecracker/vm',
} as const;

export const CNI_FILES = {
  ours: '10-flannel.conflist',
  ignite: '10-ignite.conflist',
  /** Where init keeps the ignite conflist it moved aside, inside the conf dir but ignored by CNI. */
  igniteMovedAside: '.10-ignite.conflist.ignite-net-moved',
} as const;

export const CNI_PLUGINS = ['flannel', 'portmap', 'firewall', 'bridge', 'host-local'] as const;
export type CniPluginName = (typeof CNI_PLUGINS)[number];

/** Where the flannel plugin sits in its image (--cni-plugin-image). */
export const CNI_PLUGIN_IMAGE_FILE = '/flannel';

/** Where distributions' CNI plugins packages put the other plugins: Debian/Ubuntu, then Fedora/RHEL. */
export const HOST_CNI_PLUGIN_DIRS = ['/usr/lib/cni', '/usr/libexec/cni'] as const;

export const ETCD_KEYS = {
  prefix: '/coreos.com/network',
  config: '/coreos.com/network/config',
  subnets: '/coreos.com/network/subnets/',
} as const;

export const DEFAULT_NETWORK = {
  network: '10.50.0.0/16',
  subnetLen: 24,
  subnetMin: '10.50.10.0',
  subnetMax: '10.50.99.0',
  backendType: 'udp',
  backendPort: 8285,
} as const;

export const DEFAULT_TIMEOUT_MS = 60_000;
