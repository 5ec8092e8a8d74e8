/** init --wireguard-psk-file: the key is read from a 0600 file before any change and shown nowhere. */
import test from 'ava';
import { IgniteError } from '../../src/core/errors.js';
import { renderNetworkConfig } from '../../src/net/network-config.js';
import { describeBackend, withoutSecrets } from '../../src/net/backend.js';
import { wireguardPskStep } from '../../src/steps/wireguard-psk.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

const KEY = Buffer.alloc(32, 5).toString('base64');
const FILE = '/root/flannel.psk';

function harness(argv: string[]) {
  const host = fakeServices();
  return { host, ...stepHarness(['init', '--backend', 'wireguard', ...argv], { services: host.services }) };
}

test('a 0600 file with a key: the key goes into the network config as PSK, and into no output', async (t) => {
  const { host, ctx, io } = harness(['--wireguard-psk-file', FILE, '--wireguard-mode', 'ipv4']);
  host.files.put(FILE, `${KEY}\n`);
  host.files.modes.set(FILE, 0o600);
  t.is(await wireguardPskStep.skip?.(ctx), undefined);
  const result = await wireguardPskStep.run(ctx, io);
  t.like(ctx.network.Backend, { Type: 'wireguard', ListenPort: 51820, Mode: 'ipv4', PSK: KEY });
  t.true(renderNetworkConfig(ctx.network).includes(`"PSK":"${KEY}"`), 'flannel reads it from the network config');
  t.is(result?.detail, `${FILE} (0600): the key goes into the network config as PSK`);
  t.is(describeBackend(ctx.network.Backend), 'wireguard on 51820/udp, mode ipv4, pre-shared key set');
  t.false(JSON.stringify(withoutSecrets(ctx.network)).includes(KEY), 'status shows "(set)"');
  t.false(JSON.stringify(ctx.options).includes(KEY), 'options hold the path only');
});

test('refused before any change: missing file, readable by others, not a key — the messages never show the content', async (t) => {
  const cases: [string, number | undefined, RegExp][] = [
    ['', undefined, /^--wireguard-psk-file \/root\/flannel\.psk is not a file$/],
    [KEY, 0o644, /^--wireguard-psk-file \/root\/flannel\.psk can be read by others \(mode 0644\)$/],
    ['not-a-key-SENTINEL', 0o600, /^--wireguard-psk-file \/root\/flannel\.psk does not hold a WireGuard key/],
  ];
  for (const [content, mode, message] of cases) {
    const { host, ctx, io } = harness(['--wireguard-psk-file', FILE]);
    if (mode !== undefined) {
      host.files.put(FILE, content);
      host.files.modes.set(FILE, mode);
    }
    const error = await t.throwsAsync(wireguardPskStep.run(ctx, io), { instanceOf: IgniteError });
    t.regex(error?.message ?? '', message);
    t.is(error?.exitCode, 2);
    t.regex(error?.hint ?? '', /chmod 600/);
    t.false(`${error?.message} ${error?.hint}`.includes('SENTINEL') || `${error?.message}`.includes(KEY));
    t.is(ctx.network.Backend.Type === 'wireguard' ? ctx.network.Backend.PSK : 'x', undefined);
  }
});

test('no --wireguard-psk-file: skipped; --wireguard-psk-file on another backend is a usage error', async (t) => {
  const { ctx } = harness([]);
  t.is(await wireguardPskStep.skip?.(ctx), 'no --wireguard-psk-file');
  t.throws(() => stepHarness(['init', '--backend', 'vxlan', '--wireguard-psk-file', FILE]), { message: '--wireguard-psk-file applies to --backend wireguard only, not vxlan' });
});
