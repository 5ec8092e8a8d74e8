/** net/backend-checks.ts: the device, MTU, path and layer-2 decisions per backend, over real `ip -j` output. */
import test from 'ava';
import { buildBackend, type BackendConfig } from '../../src/net/backend.js';
import { deviceOutcome, expectedDevice, flannelConfigLag, hostsToRejoin, layer2Outcome, mtuOutcome, parseRouteGet, pathOutcome } from '../../src/net/backend-checks.js';
import type { IpLinkJson } from '../../src/net/flannel-devices.js';

const udp = buildBackend({}, true);
const vxlan = buildBackend({ backendType: 'vxlan', vni: 7, backendPort: 4789 }, true);
const vxlanDirect = buildBackend({ backendType: 'vxlan', directRouting: true }, true);
const hostGw = buildBackend({ backendType: 'host-gw' }, true);
const wireguard = buildBackend({ backendType: 'wireguard' }, true);

// `ip -j route get` as iproute2 6.1 prints it (recorded in a test namespace).
const DIRECT = '[{"dst":"172.31.251.7","dev":"d0","prefsrc":"172.31.251.1","flags":[],"uid":0,"cache":[]}]';
const ROUTED = '[{"dst":"172.31.252.7","gateway":"172.31.251.254","dev":"d0","prefsrc":"172.31.251.1","flags":[],"uid":0,"cache":[]}]';
const VXLAN_HOP = '[{"dst":"10.50.31.0","gateway":"10.50.31.0","dev":"flannel.7","prefsrc":"10.50.12.0","flags":["onlink"],"uid":0,"cache":[]}]';

test('parseRouteGet reads the hop and refuses anything else', (t) => {
  t.deepEqual(parseRouteGet(DIRECT), { dst: '172.31.251.7', dev: 'd0', flags: [] });
  t.deepEqual(parseRouteGet(ROUTED), { dst: '172.31.252.7', dev: 'd0', flags: [], gateway: '172.31.251.254' });
  t.like(parseRouteGet(VXLAN_HOP), { dev: 'flannel.7', flags: ['onlink'] });
  for (const bad of ['', 'not json', '[]', '{}', '[{"dst":1}]']) t.is(parseRouteGet(bad), undefined, bad);
});

test('each backend expects its device: flannel0, flannel.<VNI>, flannel-wg, none for host-gw', (t) => {
  t.is(expectedDevice(udp), 'flannel0');
  t.is(expectedDevice(vxlan), 'flannel.7');
  t.is(expectedDevice(wireguard), 'flannel-wg');
  t.is(expectedDevice(hostGw), undefined);
});

const vxlanLink = (id: number, port: number): IpLinkJson => ({ ifname: 'flannel.7', linkinfo: { info_kind: 'vxlan', info_data: { id, port } } });

test('deviceOutcome: present, missing, wrong kind or VNI/port, left from another backend', (t) => {
  t.like(deviceOutcome(vxlan, [vxlanLink(7, 4789)]), { status: 'pass', message: 'flannel.7: vxlan, VNI 7, port 4789/udp' });
  t.like(deviceOutcome(vxlan, [vxlanLink(7, 8472)]), { status: 'fail', message: 'flannel.7 has VNI 7 and port 8472, the network config says VNI 7 and port 4789' });
  t.like(deviceOutcome(vxlan, [{ ifname: 'flannel.7', linkinfo: { info_kind: 'dummy' } }]), { status: 'fail', message: 'flannel.7 is a dummy, not a vxlan device' });
  const missing = deviceOutcome(vxlan, []);
  t.like(missing, { status: 'fail', message: "flannel's vxlan device flannel.7 is missing" });
  t.regex(missing.hint ?? '', /docker logs ignite-flannel/);
  t.like(deviceOutcome(udp, [{ ifname: 'flannel0' }, { ifname: 'eth0' }]), { status: 'pass', message: 'flannel0 present' });
  t.like(deviceOutcome(hostGw, [{ ifname: 'eth0' }]), { status: 'pass', message: 'host-gw uses no device' });
  t.like(deviceOutcome(hostGw, [{ ifname: 'flannel0' }]), { status: 'warn', message: 'host-gw uses no device; flannel0 left from another backend (cleanup removes it)' });
  t.like(deviceOutcome(vxlan, [vxlanLink(7, 4789), { ifname: 'flannel0' }]), { status: 'warn' });
});

test('mtuOutcome: FLANNEL_MTU is the interface MTU less 28 (udp), 50 (vxlan), 80 (wireguard), 0 (host-gw)', (t) => {
  t.like(mtuOutcome(udp, 'eth0', 1500, 1472), { status: 'pass', message: 'FLANNEL_MTU 1472 = eth0 MTU 1500 − 28 (udp)' });
  t.like(mtuOutcome(vxlan, 'eth0', 1500, 1450), { status: 'pass' });
  t.like(mtuOutcome(wireguard, 'eth0', 1500, 1420), { status: 'pass' });
  t.like(mtuOutcome(hostGw, 'eth0', 1500, 1500), { status: 'pass', message: 'FLANNEL_MTU 1500 = eth0 MTU 1500 − 0 (host-gw)' });
  t.like(mtuOutcome(vxlan, 'eth0', 1500, 1472), { status: 'warn', message: 'FLANNEL_MTU is 1472, not eth0 MTU 1500 − 50 (vxlan) = 1450: flannel measured another interface, or the MTU changed since' });
  t.like(mtuOutcome(vxlan, 'eth0', undefined, 1450), { status: 'warn' });
});

test('pathOutcome: vxlan through flannel.<VNI> (or direct routing), host-gw via the PublicIP, udp/wireguard nothing per peer', (t) => {
  t.like(pathOutcome(vxlan, '10.50.31.0', '172.31.251.7', parseRouteGet(VXLAN_HOP)), { status: 'pass', message: '10.50.31.0 via 10.50.31.0 dev flannel.7: through the vxlan tunnel' });
  const hostGwHop = parseRouteGet('[{"dst":"10.50.31.0","gateway":"172.31.251.7","dev":"d0","flags":[]}]');
  t.like(pathOutcome(vxlan, '10.50.31.0', '172.31.251.7', hostGwHop), { status: 'fail', message: '10.50.31.0 via 172.31.251.7 dev d0, not through flannel.7' });
  t.like(pathOutcome(vxlanDirect, '10.50.31.0', '172.31.251.7', hostGwHop), { status: 'pass', message: '10.50.31.0 via 172.31.251.7 dev d0: direct routing (same subnet), no tunnel' });
  // host-gw says what it checked: the route to the peer's subnet, its next hop and device.
  t.like(pathOutcome(hostGw, '10.50.31.0', '172.31.251.7', hostGwHop, '10.50.31.0/24'), { status: 'pass', message: "route to 10.50.31.0/24 via 172.31.251.7 on d0: host-gw, the peer's PublicIP is the next hop" });
  t.like(pathOutcome(hostGw, '10.50.31.0', '172.31.251.7', parseRouteGet(ROUTED), '10.50.31.0/24'), { status: 'fail', message: 'route to 10.50.31.0/24 via 172.31.251.254 on d0, not via the peer\'s PublicIP 172.31.251.7' });
  t.like(pathOutcome(hostGw, '10.50.31.0', '172.31.251.7', undefined), { status: 'fail', message: 'no route to 10.50.31.0' });
  t.like(pathOutcome(udp, '10.50.31.0', '172.31.251.7', undefined), { status: 'pass' });
});

test('layer2Outcome: host-gw refuses a peer reached through a router, or with no route, naming it and the router', (t) => {
  t.like(layer2Outcome([]), { status: 'pass' });
  t.like(layer2Outcome([{ label: 'node1 (172.31.251.7)', hop: parseRouteGet(DIRECT) }]), { status: 'pass', message: 'host-gw: node1 (172.31.251.7) on d0 directly connected' });
  const refused = layer2Outcome([
    { label: 'node1 (172.31.251.7)', hop: parseRouteGet(DIRECT) },
    { label: 'node3 (172.31.252.7)', hop: parseRouteGet(ROUTED) },
    { label: '198.51.100.9 (10.50.40.0/24)', hop: undefined },
  ]);
  t.is(refused.status, 'fail');
  t.is(refused.message, "host-gw needs every host on this host's layer-2 segment, but node3 (172.31.252.7) is reached through the router 172.31.251.254 (dev d0), 198.51.100.9 (10.50.40.0/24) has no route");
  t.regex(refused.hint ?? '', /--backend vxlan --force/);
});

const UDP: BackendConfig = { Type: 'udp', Port: 8285 };
const VXLAN: BackendConfig = { Type: 'vxlan', VNI: 1, Port: 8472, DirectRouting: false };
const leaseOf = (publicIP: string, backendType: string, backendData: unknown = null, modRevision?: number) => ({
  publicIP,
  subnet: `10.50.${publicIP.split('.')[3] ?? '0'}.0/24`,
  backendType,
  raw: JSON.stringify({ PublicIP: publicIP, BackendType: backendType, BackendData: backendData }),
  ...(modRevision === undefined ? {} : { modRevision }),
});

test('hostsToRejoin: other hosts whose lease is still of the old backend type', (t) => {
  const leases = [leaseOf('10.0.0.1', 'udp'), leaseOf('10.0.0.2', 'udp'), leaseOf('10.0.0.3', 'vxlan'), { ...leaseOf('10.0.0.4', ''), raw: 'not json' }];
  t.deepEqual(hostsToRejoin(leases, VXLAN, undefined, '10.0.0.1').map(({ lease, why }) => [lease.publicIP, why]), [['10.0.0.2', 'udp']]);
  t.deepEqual(hostsToRejoin(leases, UDP, undefined, '10.0.0.1').map(({ lease, why }) => [lease.publicIP, why]), [['10.0.0.3', 'vxlan']]);
});

test('hostsToRejoin: same type, another VNI in the lease, or a lease written before the config (port, DirectRouting, anything)', (t) => {
  const mac = '0a:58:0a:32:0b:01';
  const configRevision = 50;
  const leases = [
    leaseOf('10.0.0.1', 'vxlan', { VNI: 1, VtepMAC: mac }, 40), // this host: never listed
    leaseOf('10.0.0.2', 'vxlan', { VNI: 1, VtepMAC: mac }, 60), // started after the config: current
    leaseOf('10.0.0.3', 'vxlan', { VNI: 1, VtepMAC: mac }, 45), // before it: the old port/DirectRouting
    leaseOf('10.0.0.4', 'vxlan', { VtepMAC: mac }, 70), // no VNI in the lease, written after: current
  ];
  t.deepEqual(hostsToRejoin(leases, VXLAN, configRevision, '10.0.0.1').map(({ lease, why }) => [lease.publicIP, why]), [['10.0.0.3', 'flannel started before the network config was last written']]);
  // The VNI changed to 42: the lease says VNI 1 even when written after (a renewal), which the revision alone would miss.
  const vni42: BackendConfig = { ...VXLAN, VNI: 42 };
  t.deepEqual(hostsToRejoin(leases, vni42, configRevision, '10.0.0.1').map(({ lease, why }) => [lease.publicIP, why]), [
    ['10.0.0.2', 'vxlan VNI 1'],
    ['10.0.0.3', 'vxlan VNI 1'],
  ]);
  // Unknown revisions (an older reader, a fake): only what the lease itself says.
  t.deepEqual(hostsToRejoin(leases, VXLAN, undefined, '10.0.0.1'), []);
  t.is(flannelConfigLag(leaseOf('10.0.0.5', 'udp', null, 10), UDP, 10), undefined, 'written at the same revision: not older');
  t.is(flannelConfigLag(leaseOf('10.0.0.5', 'udp', null, 9), UDP, 10), 'flannel started before the network config was last written');
  t.is(flannelConfigLag({ ...leaseOf('10.0.0.5', 'vxlan'), raw: '{"BackendType":"vxlan","BackendData":"garbage"}' }, VXLAN, undefined), undefined);
});
