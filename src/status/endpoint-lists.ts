/**
 * Which hosts' flannel points at an old etcd member list (docs/ha.md, "Member list refresh"): flanneld
 * uses exactly the endpoints it was started with, so a host joined before a member was added or
 * removed must be refreshed. On a control-plane host (root reads every host's record) each host; on
 * another host, this host only. Pure.
 */
import { flannelEndpoints, staleHosts } from '../ha/members.js';
import type { EndpointListRow, EndpointListsView, Problem, StatusInputs } from './types.js';

const REFRESH = 'Run `sudo ignite-net join <any member>` there again (`ignite-net init` on the init host): flannel gets every member\'s client URL and keeps its lease.';

/** `leaseAddresses`: the hosts holding a lease, so that one without a record shows as unknown. */
export function endpointListsView(inputs: Pick<StatusInputs, 'controlPlane' | 'hostRecords' | 'thisHostEndpoints'>, leaseAddresses: readonly string[], thisAddress?: string): { view?: EndpointListsView; problems: Problem[] } {
  if (inputs.controlPlane?.ok !== true) return { problems: [] };
  const members = inputs.controlPlane.members.map((m) => m.member);
  const current = flannelEndpoints(members);
  if (current.length === 0) return { problems: [] };
  const rowOf = (address: string, endpoints: readonly string[], hostname?: string): EndpointListRow => {
    // One URL on both sides (a single member): the peer as given, not a list that can go stale.
    const [stale] = current.length <= 1 && endpoints.length <= 1 ? [] : staleHosts([{ host: address, endpoints }], members);
    return { address, ...(hostname === undefined ? {} : { hostname }), state: stale ? 'stale' : 'current', missing: stale?.missing ?? [], gone: stale?.gone ?? [] };
  };
  let rows: EndpointListRow[];
  if (inputs.hostRecords !== undefined) {
    // A record of a host that holds no lease is of a host that left (cleanup keeps no lease): not shown.
    const holding = new Set(leaseAddresses);
    rows = inputs.hostRecords.filter(({ record }) => holding.has(record.address)).map(({ record }) => rowOf(record.address, record.endpoints, record.hostname));
    const known = new Set(rows.map((r) => r.address));
    for (const address of new Set(leaseAddresses)) if (address !== '' && !known.has(address)) rows.push({ address, state: 'unknown', missing: [], gone: [] });
  } else if (inputs.thisHostEndpoints !== undefined && thisAddress !== undefined) {
    rows = [rowOf(thisAddress, inputs.thisHostEndpoints)];
  } else {
    return { problems: [] };
  }
  rows.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const problems: Problem[] = rows
    .filter((r) => r.state === 'stale')
    .map((r) => {
      const self = r.address === thisAddress;
      const what = [r.missing.length > 0 ? `missing ${r.missing.join(', ')}` : '', r.gone.length > 0 ? `no longer members: ${r.gone.join(', ')}` : ''].filter(Boolean).join('; ');
      return {
        severity: 'warning' as const,
        code: 'host-endpoints-stale' as const,
        subject: r.address,
        message: `${self ? "this host's" : `${r.address}${r.hostname ? ` (${r.hostname})` : ''}'s`} flannel has an old etcd member list (${what})`,
        hint: self ? REFRESH.replace(' there again', ' here again') : REFRESH,
      };
    });
  return { view: { current, hosts: rows, scope: inputs.hostRecords !== undefined ? 'all hosts' : 'this host' }, problems };
}
