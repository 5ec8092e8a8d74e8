import test from 'ava';
import { BACKEND_OVERHEAD, evaluateMtu, MIN_OVERLAY_MTU } from '../../src/net/mtu.js';

test('OverlayMTU subtracts the backend overhead and fails below 1280', (t) => {
  for (const [backend, overhead] of Object.entries(BACKEND_OVERHEAD)) {
    t.is(evaluateMtu('eth0', MIN_OVERLAY_MTU + overhead, backend).status, 'pass', `${backend}: the minimum plus its overhead is enough`);
    t.is(evaluateMtu('eth0', MIN_OVERLAY_MTU + overhead - 1, backend).status, 'fail', `${backend}: one byte less is not`);
  }
  t.like(evaluateMtu('eth0', 1500, 'udp'), { status: 'pass', message: 'eth0 MTU 1500 leaves 1472 for VMs (udp adds 28 bytes)' });
  t.is(evaluateMtu('eth0', 1450, 'vxlan').status, 'pass');
  t.is(evaluateMtu('eth0', MIN_OVERLAY_MTU + 28, 'udp').status, 'pass', 'exactly the minimum is enough');
  const small = evaluateMtu('wg0', 1300, 'udp');
  t.is(small.status, 'fail');
  t.regex(small.message, /leaves 1272 .* below 1280/);
  t.regex(small.hint ?? '', /ip link set wg0 mtu 1308/);
  t.is(evaluateMtu('eth0', 1300, 'host-gw').status, 'pass');
  t.is(evaluateMtu(undefined, undefined, 'udp').status, 'warn');
  t.is(evaluateMtu('eth0', undefined, 'udp').status, 'warn');
});
