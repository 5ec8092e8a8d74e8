import test from 'ava';
import { evaluateBridgeNetfilter, evaluateIpForward, parseProcModules } from '../../src/doctor/host.js';

test('IPForward fails on 0 with the sysctl to run, warns when unreadable', (t) => {
  t.is(evaluateIpForward('1').status, 'pass');
  const off = evaluateIpForward('0');
  t.is(off.status, 'fail');
  t.regex(off.hint ?? '', /sysctl -w net\.ipv4\.ip_forward=1/);
  t.is(evaluateIpForward(undefined).status, 'warn');
});

test('BridgeNetfilter: the sysctl decides; without it /proc/modules says whether the module is loaded', (t) => {
  t.is(evaluateBridgeNetfilter('1', undefined).status, 'pass');
  t.is(evaluateBridgeNetfilter('0', undefined).status, 'warn');
  const missing = evaluateBridgeNetfilter(undefined, parseProcModules('overlay 151552 0 - Live 0x0\nbridge 311296 1 br_netfilter, Live 0x0\n'));
  t.is(missing.status, 'warn');
  t.regex(missing.message, /br_netfilter is not loaded/);
  t.regex(missing.hint ?? '', /modprobe br_netfilter/);
  t.regex(evaluateBridgeNetfilter(undefined, parseProcModules('br_netfilter 32768 0 - Live 0x0\n')).message, /is loaded/);
});

test('parseProcModules takes the first word of each line', (t) => {
  t.deepEqual([...parseProcModules('br_netfilter 32768 0 - Live 0x0\nvxlan 98304 0 - Live 0x0\n\n')], ['br_netfilter', 'vxlan']);
});
