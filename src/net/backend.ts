/**
 * Flannel's Backend object in the network config: one shape per backend, with the field names
 * flannel reads (Documentation/backends.md): udp `Port`, vxlan `VNI`/`Port`/`DirectRouting`,
 * wireguard `ListenPort`, `Mode` and `PSK`, host-gw nothing but its Type.
 */
import { usageError } from '../core/errors.js';

export const BACKEND_TYPES = ['udp', 'vxlan', 'host-gw', 'wireguard'] as const;
export type BackendType = (typeof BACKEND_TYPES)[number];

export type BackendConfig =
  | { Type: 'udp'; Port: number }
  | { Type: 'vxlan'; VNI: number; Port: number; DirectRouting: boolean }
  | { Type: 'host-gw' }
  | { Type: 'wireguard'; ListenPort: number; Mode?: WireguardMode; PSK?: string };

/**
 * flannel's wireguard `Mode`: separate devices per family (flannel's default), one device for both
 * (auto), or IPv4 only. ignite-net's overlays are IPv4, so flannel's `ipv6` mode is not offered.
 */
export const WIREGUARD_MODES = ['separate', 'auto', 'ipv4'] as const;
export type WireguardMode = (typeof WIREGUARD_MODES)[number];

/** A WireGuard pre-shared key as `wg genpsk` prints it: base64 of 32 bytes. */
export function isWireguardKey(text: string): boolean {
  return /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(text) && Buffer.from(text, 'base64').length === 32;
}

/** flannel's defaults for each backend's UDP port; host-gw sends no encapsulated traffic. */
export const DEFAULT_BACKEND_PORTS = { udp: 8285, vxlan: 8472, wireguard: 51820 } as const;
export const DEFAULT_VNI = 1;
/** VXLAN's VNI is 24 bits. */
const MAX_VNI = 16_777_215;

export const isBackendType = (value: unknown): value is BackendType => (BACKEND_TYPES as readonly unknown[]).includes(value);

export interface BackendOptions {
  backendType?: string;
  backendPort?: number;
  vni?: number;
  directRouting?: boolean;
  wireguardMode?: string;
  /** The key itself (read from --wireguard-psk-file by the init step that reads it, or from etcd). */
  psk?: string;
}

/**
 * From flags (`fromFlags`) an option that does not apply to the backend is refused, since the
 * operator meant something by it; from etcd it is ignored, as flanneld ignores it.
 */
export function buildBackend(opts: BackendOptions, fromFlags: boolean): BackendConfig {
  const type = opts.backendType ?? 'udp';
  if (!isBackendType(type)) {
    throw usageError(`${fromFlags ? '--backend' : 'Backend.Type'} "${type}" is not a flannel backend`, `Use one of: ${BACKEND_TYPES.join(', ')}.`);
  }
  if (fromFlags) {
    const vxlanOnly = [opts.vni !== undefined ? '--vni' : '', opts.directRouting === true ? '--direct-routing' : ''].filter((f) => f !== '');
    if (type !== 'vxlan' && vxlanOnly.length > 0) {
      throw usageError(`${vxlanOnly.join(' and ')} ${vxlanOnly.length > 1 ? 'apply' : 'applies'} to --backend vxlan only, not ${type}`, `Drop ${vxlanOnly.join(' and ')}, or pass --backend vxlan.`);
    }
    const wireguardOnly = [opts.wireguardMode !== undefined ? '--wireguard-mode' : '', opts.psk !== undefined ? '--wireguard-psk-file' : ''].filter((f) => f !== '');
    if (type !== 'wireguard' && wireguardOnly.length > 0) {
      throw usageError(`${wireguardOnly.join(' and ')} ${wireguardOnly.length > 1 ? 'apply' : 'applies'} to --backend wireguard only, not ${type}`, `Drop ${wireguardOnly.join(' and ')}, or pass --backend wireguard.`);
    }
    if (type === 'host-gw' && opts.backendPort !== undefined) {
      throw usageError('--backend-port does not apply to --backend host-gw: it routes through the hosts and uses no UDP port', 'Drop --backend-port, or choose --backend udp, vxlan or wireguard.');
    }
  }
  let backend: BackendConfig;
  switch (type) {
    case 'udp':
      backend = { Type: type, Port: opts.backendPort ?? DEFAULT_BACKEND_PORTS.udp };
      break;
    case 'vxlan':
      backend = { Type: type, VNI: opts.vni ?? DEFAULT_VNI, Port: opts.backendPort ?? DEFAULT_BACKEND_PORTS.vxlan, DirectRouting: opts.directRouting ?? false };
      break;
    case 'host-gw':
      backend = { Type: type };
      break;
    case 'wireguard':
      backend = {
        Type: type,
        ListenPort: opts.backendPort ?? DEFAULT_BACKEND_PORTS.wireguard,
        ...(opts.wireguardMode !== undefined ? { Mode: opts.wireguardMode as WireguardMode } : {}), // validated below
        ...(opts.psk !== undefined ? { PSK: opts.psk } : {}),
      };
      break;
  }
  validateBackend(backend);
  return backend;
}

/** Throws a usage error for a bad port or VNI; the hints name the flag that sets the field. */
export function validateBackend(backend: BackendConfig): void {
  if (typeof backend !== 'object' || backend === null) {
    throw usageError('Backend is missing', `Backend must be {"Type": "udp", "Port": ${DEFAULT_BACKEND_PORTS.udp}}.`);
  }
  if (!isBackendType(backend.Type)) {
    throw usageError(`Backend.Type "${String((backend as { Type: unknown }).Type)}" is not a flannel backend`, `Use one of: ${BACKEND_TYPES.join(', ')}.`);
  }
  const port = backendUdpPort(backend);
  const field = backend.Type === 'wireguard' ? 'ListenPort' : 'Port';
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw usageError(`Backend.${field} ${String(port)} is not a port number`, 'Pass --backend-port as an integer from 1 to 65535.');
  }
  if (backend.Type === 'vxlan') {
    if (!Number.isInteger(backend.VNI) || backend.VNI < 1 || backend.VNI > MAX_VNI) {
      throw usageError(`Backend.VNI ${String(backend.VNI)} is not a VXLAN network identifier`, `Pass --vni as an integer from 1 to ${MAX_VNI}.`);
    }
    if (typeof backend.DirectRouting !== 'boolean') throw usageError('Backend.DirectRouting must be true or false', 'Pass --direct-routing or leave it out.');
  }
  if (backend.Type === 'wireguard') {
    if (backend.Mode !== undefined && !(WIREGUARD_MODES as readonly string[]).includes(backend.Mode)) {
      throw usageError(`Backend.Mode "${String(backend.Mode)}" is not a wireguard mode ignite-net supports`, `Pass --wireguard-mode ${WIREGUARD_MODES.join('|')} (the overlay is IPv4; flannel's default is separate).`);
    }
    // Never the key itself in the message: it is a secret.
    if (backend.PSK !== undefined && (typeof backend.PSK !== 'string' || !isWireguardKey(backend.PSK))) {
      throw usageError('Backend.PSK is not a WireGuard key (base64 of 32 bytes)', 'Make one with `wg genpsk > psk && chmod 600 psk` and pass --wireguard-psk-file psk.');
    }
  }
}

/** The UDP port the backend's traffic arrives on; none for host-gw. */
export function backendUdpPort(backend: BackendConfig): number | undefined {
  switch (backend.Type) {
    case 'udp':
    case 'vxlan':
      return backend.Port;
    case 'wireguard':
      return backend.ListenPort;
    case 'host-gw':
      return undefined;
  }
}

/** Flannel's field order from its docs, so equal backends render byte-equal. */
export function renderBackend(backend: BackendConfig): BackendConfig {
  switch (backend.Type) {
    case 'udp':
      return { Type: backend.Type, Port: backend.Port };
    case 'vxlan':
      return { Type: backend.Type, VNI: backend.VNI, Port: backend.Port, DirectRouting: backend.DirectRouting };
    case 'host-gw':
      return { Type: backend.Type };
    case 'wireguard':
      return { Type: backend.Type, ListenPort: backend.ListenPort, ...(backend.Mode !== undefined ? { Mode: backend.Mode } : {}), ...(backend.PSK !== undefined ? { PSK: backend.PSK } : {}) };
  }
}

/** For step details and status: "udp on 8285/udp", "vxlan VNI 1 on 8472/udp, direct routing", "host-gw". */
export function describeBackend(backend: BackendConfig): string {
  const port = backendUdpPort(backend);
  const vni = backend.Type === 'vxlan' ? ` VNI ${backend.VNI}` : '';
  const direct = backend.Type === 'vxlan' && backend.DirectRouting ? ', direct routing' : '';
  const wg = backend.Type === 'wireguard' ? `${backend.Mode !== undefined ? `, mode ${backend.Mode}` : ''}${backend.PSK !== undefined ? ', pre-shared key set' : ''}` : '';
  return `${backend.Type}${vni}${port === undefined ? '' : ` on ${port}/udp`}${direct}${wg}`;
}

/** The config as shown (status --json): wireguard's pre-shared key replaced by "(set)". */
export function withoutSecrets<C extends { Backend: BackendConfig }>(config: C): C {
  return config.Backend.Type === 'wireguard' && config.Backend.PSK !== undefined ? { ...config, Backend: { ...config.Backend, PSK: '(set)' } } : config;
}
