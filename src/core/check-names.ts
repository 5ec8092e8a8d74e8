/**
 * Every name a preflight or doctor check reports, so `--ignore-preflight-errors` can refuse a name
 * that matches none (as kubeadm does) instead of ignoring nothing in silence.
 * test/unit/check-names.test.ts keeps this list and the checks in step: each name the checks report is here.
 */
export const CHECK_NAMES = [
  'IsPrivilegedUser',
  'DockerEngine',
  'ContainerNames',
  'CNIConfDir',
  'FlannelRunDir',
  'TunDevice',
  'WireguardKernel',
  'KernelVxlan',
  'HostGwLayer2',
  'AdvertiseAddress',
  'Port-2379',
  'Port-2380',
  'Port-backend-udp',
  'NetworkOverlap',
  'BackendDevice',
  'BackendMTU',
  'BackendPath',
  'EtcdData',
  'StateFile',
  'PeerAddress',
  'HostRole',
  'PeerEtcd',
  'PeerAuth',
  'PeerNetworkConfig',
  'PeerBackendPort',
  'IPForward',
  'BridgeNetfilter',
  'ForwardPolicy',
  'CNIConfigOrder',
  'CNIPlugins',
  'CNIStaleAllocations',
  'IgniteConfig',
  'OverlayMTU',
  'EtcdTls',
  'EtcdCert',
  'EtcdAuth',
  'EtcdIdentity',
] as const;

/** Names with a part that varies: doctor's EtcdPeer-<member name or id>. */
export const CHECK_NAME_PREFIXES = ['EtcdPeer-'] as const;

/** Whether `name` (any case, as kubeadm) is one a check reports. */
export function isKnownCheckName(name: string): boolean {
  const lower = name.toLowerCase();
  return CHECK_NAMES.some((n) => n.toLowerCase() === lower) || CHECK_NAME_PREFIXES.some((p) => lower.startsWith(p.toLowerCase()) && lower.length > p.length);
}
