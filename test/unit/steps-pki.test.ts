/** init's pki step against fake files: a CA kept across runs, the member certificate for this host's names, modes. */
import { X509Certificate } from 'node:crypto';
import test from 'ava';
import { caPin } from '../../src/pki/inspect.js';
import { pkiLayout } from '../../src/pki/layout.js';
import { pkiStep } from '../../src/steps/pki.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

function harness(host = fakeServices(), argv: string[] = []) {
  const run = stepHarness(['init', ...argv], { services: host.services });
  run.ctx.advertise = { address: '192.0.2.10', iface: 'eth0' };
  return { host, layout: pkiLayout(run.ctx.options.stateDir), ...run };
}

test('first run: a CA, etcd\'s member certificate for this host\'s names with the CA after it, flannel\'s client pair; keys 0600 in 0700 dirs', async (t) => {
  const { host, ctx, io, layout, undos } = harness();
  await pkiStep.run(ctx, io);
  const ca = host.files.read(layout.caCert) ?? '';
  t.is(ctx.security?.pin, caPin(ca));
  const chain = host.files.read(layout.etcdTls.cert) ?? '';
  const member = new X509Certificate(chain);
  t.true(member.checkIssued(new X509Certificate(ca)));
  t.true(chain.endsWith(ca), 'the CA follows the member certificate');
  t.regex(member.subjectAltName ?? '', /IP Address:192\.0\.2\.10.*IP Address:127\.0\.0\.1.*DNS:node1/);
  for (const key of [layout.caKey, layout.etcdTls.key, layout.flannelTls.key]) {
    t.regex(host.files.read(key) ?? '', /^-----BEGIN PRIVATE KEY-----/);
    t.is(host.files.modes.get(key), 0o600, key);
  }
  for (const dir of [layout.dir, layout.etcdTls.dir, layout.flannelTls.dir]) t.is(host.files.modes.get(dir), 0o700, dir);
  t.is(host.files.read(layout.etcdTls.ca), ca);
  t.is(host.files.read(layout.flannelTls.ca), ca);
  // Undo takes every file back.
  for (const undo of [...undos].reverse()) await undo.run();
  for (const path of [layout.caCert, layout.caKey, layout.etcdTls.cert, layout.etcdTls.key, layout.flannelTls.key]) t.is(host.files.read(path), undefined, path);
});

test('a second run keeps the CA and the pin; a new advertise address renews only the member certificate', async (t) => {
  const first = harness();
  await pkiStep.run(first.ctx, first.io);
  const pin = first.ctx.security?.pin;
  const member = first.host.files.read(first.layout.etcdTls.cert);

  const again = harness(first.host);
  await pkiStep.run(again.ctx, again.io);
  t.is(again.ctx.security?.pin, pin);
  t.true(again.ctx.unchanged.has('pki'));
  t.deepEqual(again.undos, []);
  t.is(again.host.files.read(again.layout.etcdTls.cert), member);

  const moved = harness(first.host);
  moved.ctx.advertise = { address: '192.0.2.99', iface: 'eth1' };
  const result = await pkiStep.run(moved.ctx, moved.io);
  t.is(moved.ctx.security?.pin, pin);
  t.regex(result?.detail ?? '', /etcd certificate renewed \(does not cover 192\.0\.2\.99\)/);
  t.regex(new X509Certificate(moved.host.files.read(moved.layout.etcdTls.cert) ?? '').subjectAltName ?? '', /192\.0\.2\.99/);
  // Its undo puts the previous certificate back.
  for (const undo of [...moved.undos].reverse()) await undo.run();
  t.is(moved.host.files.read(moved.layout.etcdTls.cert), member);
});

test('--insecure skips it', async (t) => {
  const { ctx } = harness(undefined, ['--insecure']);
  t.is(await pkiStep.skip?.(ctx), '--insecure: etcd serves plain HTTP');
});
