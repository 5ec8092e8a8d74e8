import test from 'ava';
import type { HostState } from '../../src/adapters/state.js';
import { INSECURE_OVERLAY } from '../../src/pki/facts.js';
import { buildNetworkConfig } from '../../src/net/network-config.js';
import { loadStateStep, warnInsecure } from '../../src/steps/state.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

const state = (secure: boolean): HostState => ({
  version: 1,
  role: 'joined',
  etcdEndpoint: `${secure ? 'https' : 'http'}://10.0.0.1:2379`,
  advertiseAddress: '192.0.2.10',
  peer: '10.0.0.1',
  images: { flannel: 'flannel:test' },
  network: buildNetworkConfig({}),
  paths: { cniConfDir: '/etc/cni/net.d', cniBinDir: '/opt/cni/bin', runDir: '/run/flannel' },
  ...(secure ? { security: { caPin: `sha256:${'a'.repeat(64)}`, etcdUser: 'ignite-host-abc123' } } : {}),
  movedAside: {},
  toolVersion: 'test',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

async function warningsOf(argv: string[], recorded: HostState | undefined): Promise<{ message: string; hint?: string }[]> {
  const host = fakeServices();
  host.state.state = recorded;
  const { ctx, io, warnings } = stepHarness(argv, { services: host.services });
  await loadStateStep(argv[0] === 'cleanup' ? 'lenient' : 'strict').run(ctx, io);
  warnInsecure(ctx, io); // a later step (join's peer step) does not say it again
  return warnings;
}

test('every command reading an insecure host warns once, with the one text; a secure host gets none', async (t) => {
  for (const argv of [['cleanup'], ['join', '10.0.0.1'], ['token', 'list'], ['hosts', 'list']]) {
    t.deepEqual(await warningsOf(argv, state(false)), [{ ...INSECURE_OVERLAY }], argv.join(' '));
  }
  const host = fakeServices();
  host.state.state = state(true);
  const secure = stepHarness(['cleanup'], { services: host.services });
  await loadStateStep('lenient').run(secure.ctx, secure.io);
  t.deepEqual(secure.warnings, []);
});

test('init and join warn when they keep an overlay insecure, not when they are asked to secure one', async (t) => {
  t.deepEqual(await warningsOf(['init', '--insecure'], undefined), [{ ...INSECURE_OVERLAY }]);
  const host = fakeServices();
  host.state.state = { ...state(false), role: 'init' };
  const securing = stepHarness(['init'], { services: host.services });
  await loadStateStep('strict').run(securing.ctx, securing.io);
  t.deepEqual(securing.warnings, []);
  // join with a token on a 0.1 (insecure) joined host converts it: no warning either.
  const joinedHost = fakeServices();
  joinedHost.state.state = state(false);
  const converting = stepHarness(['join', '10.0.0.1', '--token', 'abcdef.0123456789abcdef', '--ca-cert-hash', `sha256:${'a'.repeat(64)}`], { services: joinedHost.services });
  await loadStateStep('strict').run(converting.ctx, converting.io);
  t.deepEqual(converting.warnings, []);
});
