/** The state step: init run again without network flags keeps the network the overlay was made with (an upgrade from 0.1 too). */
import test from 'ava';
import type { HostState } from '../../src/adapters/state.js';
import { loadStateStep } from '../../src/steps/state.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

function recorded(role: HostState['role']): HostState {
  return {
    version: 1,
    role,
    etcdEndpoint: 'http://192.0.2.10:2379',
    advertiseAddress: '192.0.2.10',
    images: { flannel: 'flannel:x' },
    network: { Network: '10.60.0.0/16', SubnetLen: 24, SubnetMin: '10.60.1.0', SubnetMax: '10.60.255.0', Backend: { Type: 'udp', Port: 8285 } },
    paths: { cniConfDir: '/etc/cni/net.d', cniBinDir: '/opt/cni/bin', runDir: '/run/flannel' },
    movedAside: {},
    toolVersion: '0.1.0',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

async function networkAfterLoad(argv: string[], role: HostState['role']): Promise<string> {
  const host = fakeServices();
  host.state.state = recorded(role);
  const { ctx, io } = stepHarness(argv, { services: host.services });
  await loadStateStep('strict').run(ctx, io);
  return ctx.network.Network;
}

test('init again without network flags takes the recorded network; a network flag wins', async (t) => {
  t.is(await networkAfterLoad(['init'], 'init'), '10.60.0.0/16');
  t.is(await networkAfterLoad(['init', '--network', '10.70.0.0/16'], 'init'), '10.70.0.0/16');
  t.is(await networkAfterLoad(['init', '--backend-port', '8300'], 'init'), '10.50.0.0/16', 'any network flag: the options as given');
});

test('a joined host keeps the options: join takes the peer\'s network anyway', async (t) => {
  t.is(await networkAfterLoad(['join', '192.0.2.10'], 'joined'), '10.50.0.0/16');
});
