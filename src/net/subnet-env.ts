/**
 * /run/flannel/subnet.env, the file flanneld writes once it holds a lease and the CNI flannel
 * plugin reads on every VM start. Parsing is strict because a wrong value here means VMs get
 * addresses outside the overlay.
 */
import { join } from 'node:path';
import { IgniteError } from '../core/errors.js';
import { CONTAINER_NAMES } from '../defaults.js';
import { containsCidr, parseCidr } from './cidr.js';

export interface SubnetEnv {
  /** FLANNEL_NETWORK, the whole overlay: "10.50.0.0/16". */
  network: string;
  /** FLANNEL_SUBNET, this host's gateway address with the lease prefix: "10.50.31.1/24". */
  subnet: string;
  /** FLANNEL_MTU, the backend interface MTU minus its encapsulation overhead. */
  mtu: number;
  /** FLANNEL_IPMASQ. */
  ipMasq: boolean;
}

const REQUIRED = ['FLANNEL_NETWORK', 'FLANNEL_SUBNET', 'FLANNEL_MTU', 'FLANNEL_IPMASQ'] as const;

/** Smallest IPv4 MTU (RFC 791) and the largest an interface can have. */
const MIN_MTU = 68;
const MAX_MTU = 65535;

const invalid = (source: string, message: string): IgniteError =>
  new IgniteError('conflict', `${source}: ${message}`, {
    hint: `flanneld writes this file; see \`docker logs ${CONTAINER_NAMES.flannel}\`, or remove the file and restart flannel.`,
  });

/**
 * `source` names the file in errors. Blank lines, `#` comments and keys flannel adds in other
 * modes (FLANNEL_IPV6_*) are tolerated; the four IPv4 keys are required.
 */
/** Where flanneld writes subnet.env in its run dir (`-subnet-file`). */
export const subnetEnvPath = (runDir: string): string => join(runDir, 'subnet.env');

export function parseSubnetEnv(text: string, source = 'subnet.env'): SubnetEnv {
  const values = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw invalid(source, `line ${index + 1} is not KEY=value: "${truncate(line)}"`);
    const [, key = '', value = ''] = match;
    if (values.has(key)) throw invalid(source, `${key} is set twice (line ${index + 1})`);
    values.set(key, value);
  });

  const missing = REQUIRED.filter((key) => !values.has(key));
  if (values.size === 0) throw invalid(source, 'file is empty');
  if (missing.length > 0) throw invalid(source, `missing ${missing.join(', ')}`);
  const get = (key: (typeof REQUIRED)[number]): string => values.get(key) ?? '';

  const network = wrap(source, () => parseCidr(get('FLANNEL_NETWORK'), { label: 'FLANNEL_NETWORK' }));
  const subnet = wrap(source, () => parseCidr(get('FLANNEL_SUBNET'), { label: 'FLANNEL_SUBNET', allowHostBits: true }));
  if (!containsCidr(network, subnet)) {
    throw invalid(source, `FLANNEL_SUBNET ${subnet.address}/${subnet.prefix} is outside FLANNEL_NETWORK ${network.cidr}`);
  }

  const mtuText = get('FLANNEL_MTU');
  const mtu = Number(mtuText);
  if (!/^\d+$/.test(mtuText) || mtu < MIN_MTU || mtu > MAX_MTU) {
    throw invalid(source, `FLANNEL_MTU "${truncate(mtuText)}" is not an MTU (${MIN_MTU}–${MAX_MTU})`);
  }

  const masq = get('FLANNEL_IPMASQ');
  if (masq !== 'true' && masq !== 'false') {
    throw invalid(source, `FLANNEL_IPMASQ "${truncate(masq)}" is not true or false`);
  }

  return { network: network.cidr, subnet: `${subnet.address}/${subnet.prefix}`, mtu, ipMasq: masq === 'true' };
}

/** The same four lines flanneld writes, in its order, with a trailing newline. */
export function formatSubnetEnv(env: SubnetEnv): string {
  return [
    `FLANNEL_NETWORK=${env.network}`,
    `FLANNEL_SUBNET=${env.subnet}`,
    `FLANNEL_MTU=${env.mtu}`,
    `FLANNEL_IPMASQ=${env.ipMasq ? 'true' : 'false'}`,
    '',
  ].join('\n');
}

/** The lease the file describes: FLANNEL_SUBNET 10.50.31.1/24 → "10.50.31.0/24". */
export function leaseSubnet(env: Pick<SubnetEnv, 'subnet'>): string {
  return parseCidr(env.subnet, { allowHostBits: true }).cidr;
}

function wrap<T>(source: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof IgniteError) throw invalid(source, error.message);
    throw error;
  }
}

const truncate = (text: string): string => (text.length > 60 ? `${text.slice(0, 57)}...` : text);
