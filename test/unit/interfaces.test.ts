import test from 'ava';
import { defaultRouteInterface, isOverlayDevice, parseProcNetRoute } from '../../src/net/interfaces.js';

const sample = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
flannel0\t0000320A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
`;

test('parses /proc/net/route into CIDR destinations and gateways', (t) => {
  t.deepEqual(parseProcNetRoute(sample), [
    { iface: 'eth0', destination: '0.0.0.0/0', gateway: '192.168.1.1' },
    { iface: 'eth0', destination: '192.168.1.0/24' },
    { iface: 'flannel0', destination: '10.50.0.0/16' },
  ]);
});

test('finds the default-route interface, or none', (t) => {
  t.is(defaultRouteInterface(parseProcNetRoute(sample)), 'eth0');
  t.is(defaultRouteInterface(parseProcNetRoute(sample.split('\n').filter((l) => !l.includes('0101A8C0')).join('\n'))), undefined);
});

test('ignores garbage lines', (t) => {
  t.deepEqual(parseProcNetRoute('header\nnot a route\n\n'), []);
});

test('recognises flannel and CNI devices', (t) => {
  t.true(isOverlayDevice('flannel0'));
  t.true(isOverlayDevice('flannel.1'));
  t.true(isOverlayDevice('cni0'));
  t.false(isOverlayDevice('eth0'));
});
