/** This host's addresses, routes and devices as data; adapters/host-network.ts reads them. */

export interface HostAddress {
  iface: string;
  address: string;
  /** The interface network in CIDR form, e.g. 192.168.1.0/24. */
  cidr: string;
  family: 'IPv4' | 'IPv6';
}

export interface Route {
  iface: string;
  /** Destination in CIDR form; 0.0.0.0/0 is the default route. */
  destination: string;
  gateway?: string;
}

/** Parses /proc/net/route: hex little-endian IPv4 fields. */
export function parseProcNetRoute(text: string): Route[] {
  const routes: Route[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const [iface, dest, gateway, , , , , mask] = fields as [string, string, string, string, string, string, string, string];
    const prefix = maskToPrefix(hexToIp(mask));
    const gw = hexToIp(gateway);
    routes.push({
      iface,
      destination: `${hexToIp(dest)}/${prefix}`,
      ...(gw === '0.0.0.0' ? {} : { gateway: gw }),
    });
  }
  return routes;
}

export function defaultRouteInterface(routes: Route[]): string | undefined {
  return routes.find((r) => r.destination === '0.0.0.0/0')?.iface;
}

/** Interfaces flannel and CNI create; their addresses and routes are the overlay's own. */
export function isOverlayDevice(iface: string): boolean {
  return iface === 'cni0' || iface.startsWith('flannel') || iface.startsWith('veth');
}

/** Devices that never carry the host's public address (container bridges, overlays). */
export function isVirtualDevice(iface: string): boolean {
  return isOverlayDevice(iface) || iface === 'docker0' || iface.startsWith('br-') || iface === 'lo';
}

function hexToIp(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.');
}

function maskToPrefix(mask: string): number {
  return mask
    .split('.')
    .map((octet) => Number(octet).toString(2).replaceAll('0', '').length)
    .reduce((a, b) => a + b, 0);
}

/** 192.168.1.7/24 → 192.168.1.0/24 (IPv4); IPv6 CIDRs are returned as given. */
export function networkOf(cidr: string): string {
  const [address, prefixText] = cidr.split('/') as [string, string];
  if (!address.includes('.')) return cidr;
  const prefix = Number(prefixText);
  const n = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${[net >>> 24, (net >>> 16) & 0xff, (net >>> 8) & 0xff, net & 0xff].join('.')}/${prefix}`;
}
