import test from 'ava';
import { evaluateForwardPolicy, parseIptablesForward, parseIptablesListing, planChainRemoval, ruleTarget, splitRuleWords } from '../../src/net/iptables.js';

// Captured from `iptables -t nat -S` / `iptables -S` in a network namespace holding flannel's rules
// (as flanneld v0.2x writes them) next to decoys that are not ours.
const NAT = String.raw`-P PREROUTING ACCEPT
-P INPUT ACCEPT
-P OUTPUT ACCEPT
-P POSTROUTING ACCEPT
-N DECOY-NAT
-N FLANNEL-POSTRTG
-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG
-A POSTROUTING -m comment --comment "say \"-j FLANNEL-POSTRTG\" here" -j DECOY-NAT
-A POSTROUTING -s 10.88.0.0/16 -j MASQUERADE
-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN
-A FLANNEL-POSTRTG -s 10.50.31.0/24 -d 10.50.0.0/16 -m comment --comment "flanneld masq" -j RETURN
-A FLANNEL-POSTRTG ! -s 10.50.0.0/16 -d 10.50.0.0/16 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully
`;

const FILTER = `-P INPUT ACCEPT
-P FORWARD DROP
-P OUTPUT ACCEPT
-N DECOY-FWD
-N FLANNEL-FWD
-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD
-A FORWARD -j DECOY-FWD
-A DECOY-FWD -j FLANNEL-FWD
-A FLANNEL-FWD -s 10.50.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT
-A FLANNEL-FWD -d 10.50.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT
`;

test('splits iptables-save words, keeping quoted comments (with escaped quotes) as one word', (t) => {
  t.deepEqual(splitRuleWords('-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG'), [
    '-A', 'POSTROUTING', '-m', 'comment', '--comment', 'flanneld masq', '-j', 'FLANNEL-POSTRTG',
  ]);
  t.deepEqual(splitRuleWords(String.raw`-A X --comment "say \"-j Y\" here" -j Z`), ['-A', 'X', '--comment', 'say "-j Y" here', '-j', 'Z']);
  t.deepEqual(splitRuleWords('-A X --comment "" -j Z'), ['-A', 'X', '--comment', '', '-j', 'Z']);
  t.deepEqual(splitRuleWords('  '), []);
});

test('finds a rule\'s jump or goto target, not words inside a comment', (t) => {
  t.is(ruleTarget(['-s', '10.0.0.0/8', '-j', 'ACCEPT']), 'ACCEPT');
  t.is(ruleTarget(['--goto', 'FLANNEL-FWD']), 'FLANNEL-FWD');
  t.is(ruleTarget(['-m', 'comment', '--comment', '-j FLANNEL-FWD']), undefined);
  t.is(ruleTarget(['-j']), undefined);
});

test('nat: deletes the jump from POSTROUTING, then flushes and deletes FLANNEL-POSTRTG; decoys stay', (t) => {
  const plan = planChainRemoval(parseIptablesListing(NAT));
  t.deepEqual(plan.commands, [
    ['-D', 'POSTROUTING', '-m', 'comment', '--comment', 'flanneld masq', '-j', 'FLANNEL-POSTRTG'],
    ['-F', 'FLANNEL-POSTRTG'],
    ['-X', 'FLANNEL-POSTRTG'],
  ]);
  t.deepEqual(plan.chains, ['FLANNEL-POSTRTG']);
  t.is(plan.jumps, 1);
  const touched = plan.commands.map((c) => c[1]);
  t.false(touched.includes('DECOY-NAT'), 'the decoy chain and its jump (whose comment mentions ours) stay');
});

test('filter: every jump to FLANNEL-FWD goes (also from another chain, else -X would fail); DECOY-FWD stays', (t) => {
  const plan = planChainRemoval(parseIptablesListing(FILTER));
  t.deepEqual(plan.commands, [
    ['-D', 'FORWARD', '-m', 'comment', '--comment', 'flanneld forward', '-j', 'FLANNEL-FWD'],
    ['-D', 'DECOY-FWD', '-j', 'FLANNEL-FWD'],
    ['-F', 'FLANNEL-FWD'],
    ['-X', 'FLANNEL-FWD'],
  ]);
  t.false(plan.commands.some((c) => (c[0] === '-X' || c[0] === '-F') && c[1] === 'DECOY-FWD'));
  t.false(plan.commands.some((c) => c.includes('DECOY-FWD') && c[0] === '-D' && c[1] === 'FORWARD'), 'FORWARD -j DECOY-FWD stays');
});

test('nothing of ours: no commands; a policy is never touched', (t) => {
  const plan = planChainRemoval(parseIptablesListing('-P INPUT ACCEPT\n-P FORWARD DROP\n-A FORWARD -j DOCKER-USER\n'));
  t.deepEqual(plan, { commands: [], chains: [], jumps: 0 });
  t.deepEqual(planChainRemoval(parseIptablesListing('')).commands, []);
});

test('a jump to a chain of our name that does not exist in this table is left alone', (t) => {
  // iptables would have refused to add it; if the listing says so anyway, deleting it is not ours to decide.
  const plan = planChainRemoval(parseIptablesListing('-P FORWARD ACCEPT\n-A FORWARD -j FLANNEL-FWD\n'));
  t.deepEqual(plan.commands, []);
});

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
