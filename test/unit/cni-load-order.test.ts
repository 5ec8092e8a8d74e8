import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { cniBlockers, cniConfigProblem, cniLoadOrder, evaluateCniOrder } from '../../src/cni/load-order.js';
import { loadTemplate } from '../../src/adapters/templates.js';
import { renderConflist } from '../../src/cni/conflist.js';
import { readCni } from '../../src/status/collect.js';
import { buildStatusModel, type StatusInputs } from '../../src/status/model.js';
import { cniOrderCheck } from '../../src/doctor/host.js';
import { hostServices } from '../../src/adapters/services.js';
import { stepHarness } from '../_helpers/step-harness.js';

test('cniLoadOrder keeps .conf, .conflist and .json (dot files too) and sorts byte-wise as Go does', (t) => {
  t.deepEqual(
    cniLoadOrder(['10-flannel.conflist', 'README', '99-loopback.conf', '00-other.json', '.10-ignite.conflist.ignite-net-moved', 'Z.conf', 'a.conf', '.hidden.conf', 'x.conflist.bak']),
    ['.hidden.conf', '00-other.json', '10-flannel.conflist', '99-loopback.conf', 'Z.conf', 'a.conf'],
  );
  // Byte order, not the locale's: upper case before lower case, digits before letters.
  t.deepEqual(cniLoadOrder(['b.conf', 'B.conf', '1.conf']), ['1.conf', 'B.conf', 'b.conf']);
});

test('cniConfigProblem: libcni loads a conflist with a name and typed plugins, any other file with a type', (t) => {
  t.is(cniConfigProblem('a.conflist', '{"name":"x","plugins":[{"type":"bridge"}]}'), undefined);
  t.is(cniConfigProblem('a.conf', '{"name":"x","type":"bridge"}'), undefined);
  t.is(cniConfigProblem('a.json', '{"name":"x","Type":"bridge"}'), undefined, "Go's encoding/json matches struct fields case-insensitively");
  t.is(cniConfigProblem('a.json', '{}'), 'no "type"');
  t.is(cniConfigProblem('a.conflist', '{}'), 'no "name"');
  t.is(cniConfigProblem('a.json', '{"name":"x","plugins":[{"type":"bridge"}]}'), 'no "type"', 'a conflist saved as .json does not load');
  t.is(cniConfigProblem('a.conf', '{"name":"x","type":""}'), 'no "type"');
  t.is(cniConfigProblem('a.conflist', '{"name":"x","plugins":[]}'), 'an empty "plugins" list');
  t.is(cniConfigProblem('a.conflist', '{"name":"x"}'), 'no "plugins" list');
  t.is(cniConfigProblem('a.conflist', '{"name":"x","plugins":[{"type":"bridge"},{}]}'), 'plugin 2: no "type"');
  t.is(cniConfigProblem('a.conflist', '{"name":5,"plugins":[{"type":"bridge"}]}'), '"name" is not a string');
  t.is(cniConfigProblem('a.conf', 'not json'), 'not valid JSON');
  t.is(cniConfigProblem('a.conf', '[1,2]'), 'not a JSON object');
});

test('CNIConfigOrder fails on any config sorting before ours, loading or not, and names the fix', (t) => {
  const dir = '/etc/cni/net.d';
  const result = evaluateCniOrder(dir, ['10-flannel.conflist', '00-other.conflist', '10-ignite.conflist'], () => undefined, true);
  t.is(result.status, 'fail');
  t.regex(result.message, /^00-other\.conflist sorts before 10-flannel\.conflist in \/etc\/cni\/net\.d/);
  t.regex(result.hint ?? '', /mv \/etc\/cni\/net\.d\/00-other\.conflist/);
  const broken = evaluateCniOrder(dir, ['00-broken.conf', '10-flannel.conflist'], () => 'not valid JSON', true);
  t.is(broken.status, 'fail', 'ignite (go-cni) stops at a file that does not load, so it fails too');
  t.regex(broken.message, /stop at one that does not load \(00-broken\.conf: not valid JSON\)/);
  t.like(evaluateCniOrder(dir, ['10-flannel.conflist', '10-ignite.conflist'], () => undefined, true), { status: 'pass', message: '10-flannel.conflist is the first of 2 CNI configs in /etc/cni/net.d' });
  t.is(evaluateCniOrder(dir, undefined, () => undefined, false).status, 'pass', 'a missing dir is created by init');
  t.is(evaluateCniOrder(dir, [], () => undefined, false).status, 'pass');
  t.is(evaluateCniOrder(dir, [], () => undefined, true).status, 'fail', 'on a set-up host our conflist must be there');
  t.deepEqual(cniBlockers(['10-flannel.conflist', '05-a.conf', '00-b.json', '20-c.conf'], (n) => (n === '00-b.json' ? 'no "type"' : undefined)), [
    { name: '00-b.json', problem: 'no "type"' },
    { name: '05-a.conf', problem: undefined },
  ]);
});

test('status and doctor reach the same verdict on a 00-empty.json holding {} before our conflist', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ignite-net-cni-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, '00-empty.json'), '{}');
  await writeFile(join(dir, '10-flannel.conflist'), renderConflist(await loadTemplate()));

  // doctor, on a set-up host
  const { ctx, io } = stepHarness(['doctor', '--cni-conf-dir', dir], { forbidChanges: true });
  ctx.state = {
    version: 1,
    role: 'init',
    etcdEndpoint: 'http://10.0.0.1:2379',
    advertiseAddress: '10.0.0.1',
    images: { flannel: 'flannel' },
    network: { Network: '10.50.0.0/16', SubnetLen: 24, SubnetMin: '10.50.1.0', SubnetMax: '10.50.254.0', Backend: { Type: 'udp', Port: 8285 } },
    paths: { cniConfDir: dir, cniBinDir: dir, runDir: dir },
    movedAside: {},
    toolVersion: '0',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  };
  const doctor = await cniOrderCheck.run(ctx, io);

  // status, on a member host
  const cni = await readCni(dir, dir, hostServices(ctx.options, {}));
  const inputs: StatusInputs = {
    now: '2025-01-01T12:00:00.000Z',
    endpoint: { url: 'http://10.0.0.1:2379', source: 'state' },
    state: { path: '/var/lib/ignite-net/state.json', role: 'init', advertiseAddress: '10.0.0.1', createdAt: '2025-01-01T00:00:00.000Z' },
    etcd: { ok: false, message: 'not asked' },
    docker: { ok: false, message: 'not asked' },
    subnetEnv: { path: '/run/flannel/subnet.env', kind: 'missing' },
    cni,
    localAddresses: [],
    probes: {},
    probeLimit: { limit: 64, candidates: 0 },
  };
  const status = buildStatusModel(inputs).problems.find((p) => p.code === 'cni-not-first');

  t.is(doctor.status, 'fail', doctor.message);
  t.is(status?.severity, 'error', 'status: a runtime stops at 00-empty.json, so ours is not used');
  t.is(status?.message, doctor.message, 'one rule, one sentence');
  t.regex(doctor.message, /^00-empty\.json sorts before 10-flannel\.conflist .*\(00-empty\.json: no "type"\)/);
  t.deepEqual(cni.invalid, ['00-empty.json']);
});
