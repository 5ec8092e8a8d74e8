/** join's identity step against a fake etcd and fake files: the token's box taken once, and given back by its undo. */
import test from 'ava';
import { bootstrapKey, joinKey } from '../../src/pki/etcd-roles.js';
import { pkiLayout } from '../../src/pki/layout.js';
import { identityStep } from '../../src/steps/identity.js';
import { fakeServices } from '../_helpers/fakes.js';
import { stepHarness } from '../_helpers/step-harness.js';

const TOKEN = 'abcdef.0123456789abcdef';

function harness() {
  const host = fakeServices();
  const run = stepHarness(['join', '192.0.2.1', '--token', TOKEN, '--ca-cert-hash', `sha256:${'0'.repeat(64)}`], { services: host.services });
  const tokenStore = host.services.etcd('https://192.0.2.1:2379', { timeoutMs: 1_000 });
  run.ctx.advertise = { address: '192.0.2.20' };
  run.ctx.peer = { host: '192.0.2.1', address: '192.0.2.1' };
  run.ctx.security = { caPem: 'CA PEM', pin: `sha256:${'0'.repeat(64)}` };
  run.ctx.joining = { identity: { username: 'ignite-host-abcdef', password: 'host password' }, tokenStore };
  return { host, layout: pkiLayout(run.ctx.options.stateDir), ...run };
}

test('takes the box, records the join and writes the identity; undone, the box is back on its own lease and the record gone', async (t) => {
  const { host, ctx, io, layout, undos } = harness();
  host.etcd.keys.set(bootstrapKey('abcdef'), { value: 'sealed', leaseId: '42' });
  await identityStep.run(ctx, io);
  t.false(host.etcd.keys.has(bootstrapKey('abcdef')), 'taken');
  t.regex(host.etcd.keys.get(joinKey('abcdef'))?.value ?? '', /"address":"192\.0\.2\.20"/);
  t.is(host.files.read(layout.flannelTls.password), 'host password');
  t.is(undos[0]?.title, 'give the token abcdef.… back (unused)');
  for (const undo of [...undos].reverse()) await undo.run();
  t.deepEqual(host.etcd.keys.get(bootstrapKey('abcdef')), { value: 'sealed', leaseId: '42' });
  t.false(host.etcd.keys.has(joinKey('abcdef')));
  t.is(host.files.read(layout.flannelTls.password), undefined);
});

test('a box another host took meanwhile: refused, nothing declared or written', async (t) => {
  const { ctx, io, layout, undos, host } = harness();
  const error = await t.throwsAsync(identityStep.run(ctx, io));
  t.regex(error?.message ?? '', /the token abcdef\.… was used by another host while this one joined/);
  t.deepEqual(undos, []);
  t.is(host.files.read(layout.flannelTls.password), undefined);
});

test('a give-back that fails says the token may stay used up and how to get another', async (t) => {
  const { host, ctx, io, undos } = harness();
  host.etcd.keys.set(bootstrapKey('abcdef'), { value: 'sealed', leaseId: '42' });
  await identityStep.run(ctx, io);
  host.etcd.answering = false;
  const error = await t.throwsAsync(undos[0]?.run() ?? Promise.resolve());
  t.regex(error?.message ?? '', /; the token may stay used up: if the same join command is refused as used, run `sudo ignite-net token create` on 192\.0\.2\.1 for another$/);
});
