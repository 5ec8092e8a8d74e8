import { readFileSync } from 'node:fs';
import test from 'ava';
import { isFlannelDeviceName, selectOverlayDevices, type IpLinkJson } from '../../src/net/flannel-devices.js';

// `ip -j -d addr show` captured in a network namespace set up like a flannel host (udp flannel0 with
// its /32, vxlan flannel.1, cni0 with the subnet's gateway and one veth port) plus decoys: a tun
// decoy0, a bridge flannelx, and the other ends of the veths.
const captured = JSON.parse(readFileSync(new URL('./fixtures/ip-addr-flannel-host.json', import.meta.url), 'utf8')) as IpLinkJson[];
const OVERLAY = '10.50.0.0/16';

const names = (list: { name: string }[]): string[] => list.map((d) => d.name).sort();
const withCni0 = (change: (cni0: IpLinkJson) => IpLinkJson, extra: IpLinkJson[] = []): IpLinkJson[] => [
  ...captured.map((link) => (link.ifname === 'cni0' ? change(structuredClone(link)) : link)),
  ...extra,
];

test('flannel device names: udp, vxlan (v4 and v6), wireguard; not look-alikes', (t) => {
  for (const name of ['flannel0', 'flannel.1', 'flannel.4096', 'flannel-v6.1', 'flannel-wg', 'flannel-wg-v6']) t.true(isFlannelDeviceName(name), name);
  for (const name of ['flannel1', 'flannelx', 'flannel.', 'flannel.1a', 'xflannel0', 'flannel-wg2', 'cni0', 'decoy0']) t.false(isFlannelDeviceName(name), name);
});

test('captured host: flannel0, flannel.1 and our cni0 go; decoys and other veths stay', (t) => {
  const { remove, keep } = selectOverlayDevices(captured, OVERLAY);
  t.deepEqual(names(remove), ['cni0', 'flannel.1', 'flannel0']);
  t.deepEqual(keep, []);
  t.regex(remove.find((d) => d.name === 'cni0')?.why ?? '', /bridge of 10\.50\.0\.0\/16, 1 veth port detached/);
  t.regex(remove.find((d) => d.name === 'flannel0')?.why ?? '', /tun/);
});

test('cni0 of another network (address outside the overlay) stays, with the reason', (t) => {
  const links = withCni0((cni0) => ({ ...cni0, addr_info: [{ family: 'inet', local: '10.88.0.1', prefixlen: 16 }] }));
  const { remove, keep } = selectOverlayDevices(links, OVERLAY);
  t.deepEqual(names(remove), ['flannel.1', 'flannel0']);
  t.deepEqual(names(keep), ['cni0']);
  t.regex(keep[0]?.why ?? '', /10\.88\.0\.1\/16, outside 10\.50\.0\.0\/16: another network uses it/);
});

test('cni0 with one address inside and one outside stays', (t) => {
  const links = withCni0((cni0) => ({ ...cni0, addr_info: [...(cni0.addr_info ?? []), { family: 'inet', local: '192.168.7.1', prefixlen: 24 }] }));
  t.deepEqual(names(selectOverlayDevices(links, OVERLAY).keep), ['cni0']);
});

test('cni0 without an IPv4 address stays (nothing shows it is ours); IPv6 link-local does not count', (t) => {
  const links = withCni0((cni0) => ({ ...cni0, addr_info: [{ family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' }] }));
  const { keep } = selectOverlayDevices(links, OVERLAY);
  t.regex(keep[0]?.why ?? '', /no IPv4 address/);
});

test('cni0 with a port that is not a veth stays', (t) => {
  const tap: IpLinkJson = { ifname: 'tap0', master: 'cni0', linkinfo: { info_kind: 'tun', info_slave_kind: 'bridge' }, addr_info: [] };
  const { keep, remove } = selectOverlayDevices(withCni0((cni0) => cni0, [tap]), OVERLAY);
  t.false(names(remove).includes('cni0'));
  t.regex(keep[0]?.why ?? '', /ports that are not veths \(tap0\)/);
});

test('a device named cni0 that is not a bridge stays', (t) => {
  const links = withCni0((cni0) => ({ ...cni0, linkinfo: { info_kind: 'tun' } }));
  t.regex(selectOverlayDevices(links, OVERLAY).keep[0]?.why ?? '', /a tun, not a bridge/);
});

test('another overlay network: cni0 inside it goes, the default overlay does not matter', (t) => {
  const links = withCni0((cni0) => ({ ...cni0, addr_info: [{ family: 'inet', local: '10.60.3.1', prefixlen: 24 }] }));
  t.true(names(selectOverlayDevices(links, '10.60.0.0/16').remove).includes('cni0'));
  t.false(names(selectOverlayDevices(links, OVERLAY).remove).includes('cni0'));
});

test('no flannel devices at all: nothing to remove', (t) => {
  const plain = captured.filter((link) => !link.ifname.startsWith('flannel') && link.ifname !== 'cni0');
  t.deepEqual(selectOverlayDevices(plain, OVERLAY), { remove: [], keep: [] });
});
