import test from 'ava';
import {
  BACKEND_OVERHEAD,
  evaluateBridgeNetfilter,
  evaluateForwardPolicy,
  evaluateIpForward,
  evaluateMtu,
  MIN_OVERLAY_MTU,
  parseIptablesForward,
  parseProcModules,
} from '../../src/steps/doctor-checks.js';

// What `iptables -S FORWARD` prints on a Docker host where flannel runs (iptables 1.8, nft).
const DOCKER_AND_FLANNEL = `-P FORWARD DROP
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD
`;

test('parseIptablesForward reads the policy, the chains jumped to and the accept rules', (t) => {
  const chain = parseIptablesForward(DOCKER_AND_FLANNEL);
  t.is(chain.policy, 'DROP');
  t.deepEqual(chain.jumps, ['DOCKER-USER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER', 'FLANNEL-FWD']);
  t.is(chain.accepts.length, 2);
  t.true(chain.accepts.every((a) => a.matchesMore), 'interface and conntrack matches narrow the rule');
  const plain = parseIptablesForward('-P FORWARD DROP\n-A FORWARD -s 10.50.0.0/16 -j ACCEPT\n-A FORWARD ! -d 10.50.0.0/16 -j ACCEPT\n');
  t.deepEqual(plain.accepts[0], { source: '10.50.0.0/16', matchesMore: false });
  t.deepEqual(plain.accepts[1], { matchesMore: true }, 'a negated address is not an accept of it');
  t.deepEqual(parseIptablesForward(''), { jumps: [], accepts: [] });
});

test('ForwardPolicy: ACCEPT passes, DROP passes with FLANNEL-FWD or accepts both ways, fails once flannel runs without them', (t) => {
  const net = '10.50.0.0/16';
  const ok = (stdout: string) => ({ kind: 'ok' as const, stdout });
  t.is(evaluateForwardPolicy(ok('-P FORWARD ACCEPT\n'), net, true).status, 'pass');
  t.like(evaluateForwardPolicy(ok(DOCKER_AND_FLANNEL), net, true), { status: 'pass', message: "FORWARD policy DROP; flannel's FLANNEL-FWD rules accept 10.50.0.0/16" });
  const both = '-P FORWARD DROP\n-A FORWARD -s 10.0.0.0/8 -j ACCEPT\n-A FORWARD -d 10.50.0.0/16 -j ACCEPT\n';
  t.is(evaluateForwardPolicy(ok(both), net, true).status, 'pass', 'a wider accept covers the overlay');
  const oneWay = '-P FORWARD DROP\n-A FORWARD -s 10.50.0.0/16 -j ACCEPT\n';
  const failed = evaluateForwardPolicy(ok(oneWay), net, true);
  t.is(failed.status, 'fail');
  t.regex(failed.message, /no rules accept traffic from and to 10\.50\.0\.0\/16/);
  t.regex(failed.hint ?? '', /iptables -I FORWARD -s 10\.50\.0\.0\/16 -j ACCEPT/);
  t.is(evaluateForwardPolicy(ok(oneWay), net, false).status, 'pass', 'before flannel runs, DROP is what flannel expects to fix');
  t.like(evaluateForwardPolicy({ kind: 'missing' }, net, true), { status: 'warn', message: 'iptables not found: cannot read the FORWARD chain policy' });
  t.is(evaluateForwardPolicy({ kind: 'failed', message: 'Permission denied (you must be root)' }, net, true).status, 'warn');
});

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
