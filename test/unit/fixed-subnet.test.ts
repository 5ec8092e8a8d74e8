import test from 'ava';
import { testLease } from '../_helpers/fakes.js';
import { IgniteError } from '../../src/core/errors.js';
import { checkFixedSubnet, fixedSubnetOf, parseFixedRecords, planReassert, renderFixedRecord, reservationValue, type FixedRecord } from '../../src/net/fixed-subnet.js';
import type { Lease } from '../../src/net/lease.js';
import { buildNetworkConfig } from '../../src/net/network-config.js';

const network = buildNetworkConfig({});
const ME = '10.0.0.1';
const lease = testLease;
const record = (subnet: string, publicIP: string, extra: Partial<FixedRecord> = {}): FixedRecord => ({ key: `/ignite-net/fixed/ip-${publicIP}`, subnet, publicIP, ...extra });
const check = (subnet: string, more: { leases?: Lease[]; records?: FixedRecord[]; hostnames?: Map<string, string> } = {}): string =>
  checkFixedSubnet({ subnet, label: '--subnet', network, publicIP: ME, leases: more.leases ?? [], records: more.records ?? [], ...(more.hostnames ? { hostnames: more.hostnames } : {}) });

function refused(t: import('ava').ExecutionContext, fn: () => unknown, kind: IgniteError['kind'], message: RegExp, hint: RegExp): void {
  const error = t.throws(fn);
  t.true(error instanceof IgniteError);
  if (!(error instanceof IgniteError)) return;
  t.is(error.kind, kind);
  t.regex(error.message, message);
  t.false(error.message.includes('\n'), 'one line');
  t.regex(error.hint ?? '', hint);
}

test('a free subnet of the right length inside SubnetMin..SubnetMax is accepted, in canonical form', (t) => {
  t.is(check('10.50.40.0/24'), '10.50.40.0/24');
  t.is(check(' 10.50.10.0/24 '), '10.50.10.0/24', 'SubnetMin itself');
  t.is(check('10.50.99.0/24'), '10.50.99.0/24', 'SubnetMax itself');
  t.is(check('10.50.40.0/24', { leases: [lease('10.50.40.0/24', ME)], records: [record('10.50.40.0/24', ME)] }), '10.50.40.0/24', "already this host's");
});

test('refused: wrong length, misaligned, outside the network, outside SubnetMin..SubnetMax, not a CIDR', (t) => {
  refused(t, () => check('10.50.40.0/25'), 'usage', /is a \/25: this overlay's subnets are \/24/, /Pass a \/24 inside SubnetMin\.\.SubnetMax \(10\.50\.10\.0\.\.10\.50\.99\.0\)/);
  refused(t, () => check('10.50.40.7/24'), 'usage', /not aligned to \/24; did you mean 10\.50\.40\.0\/24\?/, /--subnet 10\.50\.40\.0\/24/);
  refused(t, () => check('10.60.40.0/24'), 'usage', /outside the overlay's network 10\.50\.0\.0\/16/, /e\.g\. --subnet 10\.50\.10\.0\/24/);
  refused(t, () => check('10.50.5.0/24'), 'usage', /outside SubnetMin\.\.SubnetMax .*flannel would delete it/, /Pass a \/24/);
  refused(t, () => check('10.50.100.0/24'), 'usage', /outside SubnetMin\.\.SubnetMax/, /Pass a \/24/);
  refused(t, () => check('10.50.40.0'), 'usage', /is not an IPv4 CIDR/, /address\/prefix/);
});

test('refused: held by another host (named), fixed for another host, overlapping, or this host already keeps another', (t) => {
  const names = new Map([['10.0.0.3', 'node3']]);
  refused(t, () => check('10.50.40.0/24', { leases: [lease('10.50.40.0/24', '10.0.0.3')], hostnames: names }), 'conflict', /is held by 10\.0\.0\.3 \(node3\)$/, /subnets release 10\.0\.0\.3/);
  refused(t, () => check('10.50.40.0/24', { records: [record('10.50.40.0/24', '10.0.0.4', { hostname: 'node4' })] }), 'conflict', /is the fixed subnet of 10\.0\.0\.4 \(node4\)/, /subnets release 10\.0\.0\.4/);
  refused(t, () => check('10.50.40.0/24', { leases: [lease('10.50.40.0/23', '10.0.0.5')] }), 'conflict', /held by 10\.0\.0\.5 \(its lease 10\.50\.40\.0\/23 overlaps it\)/, /Choose another subnet/);
  refused(t, () => check('10.50.40.0/24', { records: [record('10.50.41.0/24', ME)] }), 'conflict', /already keeps the fixed subnet 10\.50\.41\.0\/24, not 10\.50\.40\.0\/24/, /--subnet 10\.50\.41\.0\/24.*cleanup --purge/);
  // A lease of this host elsewhere (taken before it asked for a fixed one) is no obstacle: init/join moves it.
  t.is(check('10.50.40.0/24', { leases: [lease('10.50.31.0/24', ME)] }), '10.50.40.0/24');
});

test('records: rendered and parsed back; garbage reported, not used', (t) => {
  const text = renderFixedRecord({ subnet: '10.50.40.0/24', publicIP: ME, hostname: 'node1', by: 'init --subnet', at: '2026-12-03T07:00:00.000Z' });
  const { records, problems } = parseFixedRecords(new Map([['/ignite-net/fixed/ignite-host-a', text], ['/ignite-net/fixed/x', '{"Subnet":"10.50.1.7/24"}'], ['/ignite-net/fixed/y', 'nope']]));
  t.deepEqual(records, [{ key: '/ignite-net/fixed/ignite-host-a', subnet: '10.50.40.0/24', publicIP: ME, hostname: 'node1', by: 'init --subnet', at: '2026-12-03T07:00:00.000Z' }]);
  t.is(problems.length, 2);
  t.is(reservationValue(ME, 'vxlan'), `{"PublicIP":"${ME}","PublicIPv6":null,"BackendType":"vxlan","BackendData":null}`);
  t.is(fixedSubnetOf([record('10.50.40.0/24', '10.0.0.9'), record('10.50.41.0/24', ME)], ME)?.subnet, '10.50.41.0/24');
  t.is(fixedSubnetOf([record('10.50.40.0/24', '10.0.0.9')], ME), undefined);
});

test('reassert: a missing key is re-created; a present one, one held by another or one that no longer fits is left', (t) => {
  const records = [record('10.50.40.0/24', ME), record('10.50.41.0/24', '10.0.0.2'), record('10.50.42.0/24', '10.0.0.3'), record('10.50.5.0/24', '10.0.0.4'), record('10.50.43.0/24', '10.0.0.6')];
  const leases = [lease('10.50.41.0/24', '10.0.0.2'), lease('10.50.42.0/24', '10.0.0.7'), lease('10.50.42.0/23', '10.0.0.8', { subnet: '10.50.42.0/23' })];
  const plan = planReassert(records, leases, network);
  t.deepEqual(plan.create.map((r) => r.subnet), ['10.50.40.0/24'], 'only the missing one that nothing overlaps');
  t.deepEqual(plan.skipped.map((s) => s.record.subnet), ['10.50.42.0/24', '10.50.5.0/24', '10.50.43.0/24']);
  t.regex(plan.skipped[0]?.why ?? '', /names 10\.0\.0\.7, not 10\.0\.0\.3/);
  t.regex(plan.skipped[1]?.why ?? '', /no longer fits/);
  t.regex(plan.skipped[2]?.why ?? '', /10\.50\.42\.0\/23 of 10\.0\.0\.8 overlaps it/);
});
