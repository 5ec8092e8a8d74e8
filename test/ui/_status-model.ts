/** A status model of a small overlay seen from a joined host, for the status screen's tests. */
import type { Lease } from '../../src/net/lease.js';
import { buildStatusModel, type StatusInputs, type StatusModel } from '../../src/status/model.js';

export const NOW = '2025-01-01T12:00:00.000Z';
export const CONFIG = { Network: '10.50.0.0/16', SubnetLen: 24, SubnetMin: '10.50.10.0', SubnetMax: '10.50.99.0', Backend: { Type: 'udp' as const, Port: 8285 } };

export const lease = (n: number, extra: Partial<Lease> = {}): Lease => ({
  key: `/coreos.com/network/subnets/10.50.${n}.0-24`,
  subnet: `10.50.${n}.0/24`,
  publicIP: `10.0.0.${n}`,
  backendType: 'udp',
  reserved: false,
  ttlSeconds: 86_000,
  raw: '{}',
  ...extra,
});

export function model(leases: Lease[], over: Partial<StatusInputs> = {}): StatusModel {
  return buildStatusModel({
    now: NOW,
    endpoint: { url: 'http://10.0.0.11:2379', source: 'state' },
    state: { path: '/var/lib/ignite-net/state.json', role: 'joined', advertiseAddress: '10.0.0.12', peer: '10.0.0.11', createdAt: NOW },
    etcd: { ok: true, version: '3.4.23', readMs: 2, config: JSON.stringify(CONFIG), configKey: '/coreos.com/network/config', leases },
    network: { config: CONFIG },
    docker: { ok: true, where: 'unix:///var/run/docker.sock', containers: [{ name: 'ignite-flannel', role: 'flannel', image: 'flannel:1', state: 'running', running: true, exitCode: 0, startedAt: '2025-01-01T11:58:00.000Z', restartCount: 0 }] },
    subnetEnv: { path: '/run/flannel/subnet.env', kind: 'ok', subnet: '10.50.12.0/24', network: '10.50.0.0/16', mtu: 1472 },
    cni: { confDir: '/etc/cni/net.d', binDir: '/opt/cni/bin', candidates: ['10-flannel.conflist'], ours: { validJson: true, written: true }, invalid: [], missingPlugins: [] },
    localAddresses: [],
    probes: Object.fromEntries(
      leases
        .filter((l) => l.publicIP !== '10.0.0.12')
        .map((l) => [l.key, { backend: { kind: 'udp', port: 8285, result: 'silent' }, ...(l.publicIP === '10.0.0.11' ? { overlay: { kind: 'tcp', target: l.subnet.replace('/24', ''), port: 2379, ok: true, rttMs: 1.2 } } : {}) }]),
    ),
    probeLimit: { limit: 64, candidates: leases.length - 1 },
    ...over,
  });
}

