/**
 * Fixed subnets (docs/commands.md, "Fixed subnets"): which subnet a host may keep for good, and which
 * flannel subnet keys must be re-created so that no other host's flannel takes a fixed subnet.
 * Pure: the etcd adapter reads the records and leases, the steps write.
 *
 * Why a record of our own beside flannel's key: flannel ≥ v0.18 (etcd v3) attaches a 24 h etcd lease
 * to a reserved key when it takes it (flannel issue #1329), so the key alone does not survive a host
 * that is down for longer than that. The record has no lease; every init, join and status re-creates
 * a missing key from it, lease-less, before any flannel asks for a subnet.
 */
import { IgniteError, usageError } from '../core/errors.js';
import { contains, ipToNumber, isAligned, isIPv4, overlaps, parseCidr } from './cidr.js';
import type { Lease } from './lease.js';
import type { NetworkConfig } from './network-config.js';

/** One record under /ignite-net/fixed/ (pki/etcd-roles.ts FIXED_PREFIX). */
export interface FixedRecord {
  key: string;
  /** e.g. "10.50.40.0/24". */
  subnet: string;
  publicIP: string;
  hostname?: string;
  /** What wrote it: "init --subnet", "join --subnet", "subnets reserve". */
  by?: string;
  at?: string;
}

export function renderFixedRecord(record: Omit<FixedRecord, 'key'>): string {
  return JSON.stringify({ Subnet: record.subnet, PublicIP: record.publicIP, ...(record.hostname ? { Hostname: record.hostname } : {}), ...(record.by ? { By: record.by } : {}), ...(record.at ? { At: record.at } : {}) });
}

/** The records etcd holds; a value that is not one of ours is skipped (reported by `problems`). */
export function parseFixedRecords(entries: ReadonlyMap<string, string>): { records: FixedRecord[]; problems: string[] } {
  const records: FixedRecord[] = [];
  const problems: string[] = [];
  for (const [key, text] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    try {
      const value = JSON.parse(text) as Record<string, unknown>;
      const subnet = value['Subnet'];
      const publicIP = value['PublicIP'];
      if (typeof subnet !== 'string' || typeof publicIP !== 'string' || !isIPv4(publicIP)) throw new Error('no Subnet or PublicIP');
      const cidr = parseCidr(subnet, { label: 'fixed subnet' }).cidr;
      const str = (name: string): string | undefined => (typeof value[name] === 'string' ? (value[name] as string) : undefined);
      const hostname = str('Hostname');
      const by = str('By');
      const at = str('At');
      records.push({ key, subnet: cidr, publicIP, ...(hostname ? { hostname } : {}), ...(by ? { by } : {}), ...(at ? { at } : {}) });
    } catch (error) {
      problems.push(`${key}: not a fixed-subnet record (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  return { records, problems };
}

/** A flannel lease value for a reservation, as flannel writes its LeaseAttrs (flannel replaces BackendData when it takes it). */
export function reservationValue(publicIP: string, backendType: string): string {
  return JSON.stringify({ PublicIP: publicIP, PublicIPv6: null, BackendType: backendType, BackendData: null });
}

const who = (publicIP: string, hostname: string | undefined): string => (hostname ? `${publicIP} (${hostname})` : publicIP);

export interface FixedSubnetRequest {
  /** As the operator wrote it, e.g. "10.50.40.0/24". */
  subnet: string;
  /** Names the value in messages: "--subnet" or "subnets reserve". */
  label: string;
  network: NetworkConfig;
  /** The host that is to keep it (its flannel PublicIP). */
  publicIP: string;
  leases: readonly Lease[];
  records: readonly FixedRecord[];
  /** Host names by PublicIP, as far as known (join records), to name a holder. */
  hostnames?: ReadonlyMap<string, string>;
}

/**
 * Whether this host may keep `subnet` for good; the canonical CIDR, or the one-line refusal. The
 * rules are flannel's own for a lease it will take (isSubnetConfigCompat: SubnetLen, inside
 * SubnetMin..SubnetMax, else flannel deletes it), plus: aligned, and no other host holds or keeps it.
 */
export function checkFixedSubnet(request: FixedSubnetRequest): string {
  const { label, network, publicIP } = request;
  const cidr = parseCidr(request.subnet.trim(), { label, allowHostBits: true });
  const len = network.SubnetLen;
  const example = `e.g. ${label} ${network.SubnetMin}/${len}`;
  const range = `SubnetMin..SubnetMax (${network.SubnetMin}..${network.SubnetMax})`;
  if (cidr.prefix !== len) {
    throw usageError(`${label} ${request.subnet} is a /${cidr.prefix}: this overlay's subnets are /${len} (SubnetLen)`, `Pass a /${len} inside ${range}, ${example}.`);
  }
  if (!isAligned(cidr.address, len)) {
    throw usageError(`${label} ${request.subnet} is not aligned to /${len}; did you mean ${cidr.cidr}?`, `A subnet starts at its first address: ${label} ${cidr.cidr}.`);
  }
  if (!contains(network.Network, cidr.networkAddress)) {
    throw usageError(`${label} ${cidr.cidr} is outside the overlay's network ${network.Network}`, `Pass a /${len} inside ${range}, ${example}.`);
  }
  const at = cidr.networkAddress;
  if (at < ipToNumber(network.SubnetMin) || at > ipToNumber(network.SubnetMax)) {
    throw usageError(`${label} ${cidr.cidr} is outside ${range}: flannel would delete it`, `Pass a /${len} inside ${range}, ${example}.`);
  }
  const names = request.hostnames ?? new Map<string, string>();
  const release = (ip: string): string => `Choose another subnet (\`ignite-net status\` lists the taken ones), or free it on a control-plane host: \`ignite-net subnets release ${ip}\`.`;
  for (const record of request.records) {
    if (record.publicIP === publicIP) {
      if (record.subnet !== cidr.cidr) {
        throw new IgniteError('conflict', `this host (${publicIP}) already keeps the fixed subnet ${record.subnet}, not ${cidr.cidr}`, {
          hint: `Pass ${label} ${record.subnet}, or free it first: \`ignite-net subnets release ${publicIP}\` on a control-plane host (or \`ignite-net cleanup --purge\` here).`,
        });
      }
      continue;
    }
    if (overlaps(record.subnet, cidr.cidr)) {
      throw new IgniteError('conflict', `${label} ${cidr.cidr} is the fixed subnet of ${who(record.publicIP, record.hostname ?? names.get(record.publicIP))}`, { hint: release(record.publicIP) });
    }
  }
  for (const lease of request.leases) {
    if (lease.subnet === '' || lease.publicIP === publicIP || !overlaps(lease.subnet, cidr.cidr)) continue;
    const holder = lease.publicIP === '' ? 'a key flannel would not write' : who(lease.publicIP, names.get(lease.publicIP));
    throw new IgniteError('conflict', `${label} ${cidr.cidr} is held by ${holder}${lease.subnet === cidr.cidr ? '' : ` (its lease ${lease.subnet} overlaps it)`}`, { hint: release(lease.publicIP || '<its PublicIP>') });
  }
  return cidr.cidr;
}

/** Where a fixed subnet stands against flannel's keys: the keys to re-create, and records that cannot be. */
export interface ReassertPlan {
  /** Records whose flannel key is missing: re-create it lease-less (create if absent). */
  create: FixedRecord[];
  /** Records flannel's keys or config contradict: left alone, said why. */
  skipped: { record: FixedRecord; why: string }[];
}

export function planReassert(records: readonly FixedRecord[], leases: readonly Lease[], network: NetworkConfig): ReassertPlan {
  const create: FixedRecord[] = [];
  const skipped: ReassertPlan['skipped'] = [];
  for (const record of records) {
    const same = leases.find((l) => l.subnet === record.subnet);
    if (same) {
      if (same.publicIP !== record.publicIP) skipped.push({ record, why: `its key names ${same.publicIP || 'no PublicIP'}, not ${record.publicIP}` });
      continue;
    }
    const cidr = parseCidr(record.subnet, { label: 'fixed subnet' });
    const fits = cidr.prefix === network.SubnetLen && cidr.networkAddress >= ipToNumber(network.SubnetMin) && cidr.networkAddress <= ipToNumber(network.SubnetMax);
    if (!fits) {
      skipped.push({ record, why: `it no longer fits the network config (/${network.SubnetLen} in ${network.SubnetMin}..${network.SubnetMax})` });
      continue;
    }
    const overlapping = leases.find((l) => l.subnet !== '' && overlaps(l.subnet, record.subnet));
    if (overlapping) {
      skipped.push({ record, why: `the lease ${overlapping.subnet} of ${overlapping.publicIP || '?'} overlaps it` });
      continue;
    }
    create.push(record);
  }
  return { create, skipped };
}

/** This host's fixed subnet: its own record, else one `subnets reserve` made for its PublicIP. */
export function fixedSubnetOf(records: readonly FixedRecord[], publicIP: string, ownKey?: string): FixedRecord | undefined {
  return records.find((r) => r.key === ownKey && r.publicIP === publicIP) ?? records.find((r) => r.publicIP === publicIP);
}
