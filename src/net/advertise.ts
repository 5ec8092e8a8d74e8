import { defaultRouteInterface, isVirtualDevice, type HostAddress, type Route } from './interfaces.js';

export type AdvertiseChoice =
  | { kind: 'given'; address: string; iface: string }
  | { kind: 'not-local'; address: string; candidates: HostAddress[] }
  | { kind: 'single'; address: string; iface: string }
  /** Several could serve: the default-route one is preferred (first in candidates). */
  | { kind: 'several'; preferred: HostAddress; candidates: HostAddress[] }
  | { kind: 'none' };

/**
 * Decides which address this host advertises: the one asked for (must be on this host), else the
 * default-route interface's, flagging when several could serve so the operator can choose.
 */
export function chooseAdvertiseAddress(addresses: HostAddress[], routes: Route[], requested?: string): AdvertiseChoice {
  const candidates = addresses.filter((a) => !isVirtualDevice(a.iface) && !isLinkLocal(a.address));
  if (requested !== undefined) {
    const match = addresses.find((a) => sameAddress(a.address, requested));
    return match ? { kind: 'given', address: match.address, iface: match.iface } : { kind: 'not-local', address: requested, candidates };
  }
  const ipv4 = candidates.filter((a) => a.family === 'IPv4');
  const pool = ipv4.length > 0 ? ipv4 : candidates;
  if (pool.length === 0) return { kind: 'none' };
  const defaultIface = defaultRouteInterface(routes);
  const preferred = pool.find((a) => a.iface === defaultIface) ?? pool[0]!;
  if (pool.length === 1) return { kind: 'single', address: preferred.address, iface: preferred.iface };
  return { kind: 'several', preferred, candidates: [preferred, ...pool.filter((a) => a !== preferred)] };
}

function isLinkLocal(address: string): boolean {
  return address.startsWith('169.254.') || address.toLowerCase().startsWith('fe80:');
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.replace(/^\[|\]$/g, '').toLowerCase();
}
