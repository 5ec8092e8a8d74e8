import { readFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { networkOf, parseProcNetRoute, type HostAddress, type Route } from '../net/interfaces.js';

/** What this host has on its interfaces and in its routing table; the readers are thin, the parsing pure (net/interfaces.ts). */

export function readAddresses(): HostAddress[] {
  const result: HostAddress[] = [];
  for (const [iface, infos] of Object.entries(networkInterfaces())) {
    for (const info of infos ?? []) {
      if (info.internal || info.cidr === null) continue;
      result.push({ iface, address: info.address, cidr: networkOf(info.cidr), family: info.family });
    }
  }
  return result;
}

export async function readRoutes(path = '/proc/net/route'): Promise<Route[]> {
  try {
    return parseProcNetRoute(await readFile(path, 'utf8'));
  } catch {
    return [];
  }
}

/** This host's name, for its certificate's subject alternative names. */
export const hostName = (): string => hostname();
