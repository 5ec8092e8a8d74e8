/**
 * join's UDP probe of the peer follows the overlay's backend: its port, and none for host-gw; its wait
 * is bounded by a round trip measured with nothing else in flight.
 */
import test from 'ava';
import { IgniteError } from '../../src/core/errors.js';
import { buildNetworkConfig } from '../../src/net/network-config.js';
import { probePeerBackendPort, reachPeerEtcd } from '../../src/steps/peer.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

function joining(backendType: string) {
  const host = fakeServices();
  const probed: number[] = [];
  host.services.probes.udpProbe = async (_address: string, port: number) => {
    probed.push(port);
    return 'rejected' as const;
  };
  const { ctx } = stepHarness(['join', '192.0.2.20'], { services: host.services });
  ctx.peer = { host: '192.0.2.20', address: '192.0.2.20' };
  ctx.network = buildNetworkConfig({ backendType });
  return { ctx, probed };
}

for (const [backend, port] of [['udp', 8285], ['vxlan', 8472], ['wireguard', 51820]] as const) {
  test(`a ${backend} overlay: the probe goes to ${port}/udp, and a rejection there stops join`, async (t) => {
    const { ctx, probed } = joining(backend);
    const error = await t.throwsAsync(probePeerBackendPort(ctx), { instanceOf: IgniteError });
    t.is(error?.message, `nothing is listening on 192.0.2.20:${port}/udp — is flannel running there, is a firewall rejecting?`);
    t.deepEqual(probed, [port]);
  });
}

test('a host-gw overlay: no UDP port, so nothing is probed', async (t) => {
  const { ctx, probed } = joining('host-gw');
  t.is(await probePeerBackendPort(ctx), 'host-gw uses no UDP port: nothing to probe');
  t.deepEqual(probed, []);
});

test('the TCP round trip that bounds the UDP wait is measured alone: the TLS probe starts only once it is in', async (t) => {
  const { ctx } = joining('udp');
  const order: string[] = [];
  const probes = ctx.services.probes;
  probes.tcpProbe = async () => {
    order.push('tcp sent');
    await new Promise((resolve) => setTimeout(resolve, 10));
    order.push('tcp answered');
    return { ok: true, rttMs: 0.3 };
  };
  probes.fetchPresentedCa = async () => {
    order.push('tls sent');
    throw new IgniteError('peer', 'plain HTTP (fake)');
  };
  await reachPeerEtcd(ctx, stepHarness(['join', '192.0.2.20']).io).catch(() => undefined);
  t.deepEqual(order.slice(0, 3), ['tcp sent', 'tcp answered', 'tls sent']);
});
