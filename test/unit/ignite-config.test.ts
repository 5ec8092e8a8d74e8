import test from 'ava';
import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStartedAt } from '../../src/adapters/host-kernel.js';
import { evaluateIgnite, igniteFindings, igniteNetworkPlugin } from '../../src/cni/ignite-config.js';

const fixture = (name: string): Promise<string> => readFile(new URL(`fixtures/ignite/${name}`, import.meta.url), 'utf8');
const CONFLIST = '/etc/cni/net.d/10-flannel.conflist';
const T = Date.UTC(2026, 11, 2, 15, 0);

test("igniteNetworkPlugin reads spec.networkPlugin only: not a comment, not a nested key; quotes dropped; JSON too", async (t) => {
  t.is(igniteNetworkPlugin(await fixture('cni.yaml')), 'cni');
  t.is(igniteNetworkPlugin(await fixture('flannel.yaml')), 'flannel');
  t.is(igniteNetworkPlugin(await fixture('default.yaml')), undefined);
  t.is(igniteNetworkPlugin('{"apiVersion":"ignite.weave.works/v1alpha4","kind":"Configuration","spec":{"networkPlugin":"docker-bridge"}}'), 'docker-bridge');
  t.is(igniteNetworkPlugin('spec:\n  networkPlugin: \'cni\'\n'), 'cni');
  t.is(igniteNetworkPlugin('metadata:\n  networkPlugin: flannel\n'), undefined);
});

test('igniteFindings: a network plugin other than cni is an error with the fix; an ignited older than the conflist a warning; no Ignite, nothing', async (t) => {
  t.deepEqual(igniteFindings({ conflistPath: CONFLIST }), []);
  t.deepEqual(igniteFindings({ conflistPath: CONFLIST, configText: await fixture('cni.yaml'), ignitedStartedAt: T, conflistWrittenAt: T - 1000 }), []);
  const flannel = igniteFindings({ conflistPath: CONFLIST, configText: await fixture('flannel.yaml') });
  t.deepEqual(flannel, [
    {
      severity: 'error',
      code: 'ignite-network-plugin',
      message: '/etc/ignite/config.yaml sets networkPlugin: flannel: Ignite fails every VM start with "Unknown Network Plugin"',
      hint: 'Set `networkPlugin: cni` under spec: in /etc/ignite/config.yaml.',
    },
  ]);
  const stale = igniteFindings({ conflistPath: CONFLIST, configText: await fixture('default.yaml'), ignitedStartedAt: T - 60_000, conflistWrittenAt: T });
  t.deepEqual(stale.map((f) => `${f.severity} ${f.code}`), ['warning ignited-stale-cni-config']);
  t.is(stale[0]?.message, `ignited started 2026-12-02 14:59:00 UTC, before ${CONFLIST} was last written (2026-12-02 15:00:00 UTC): it still uses the CNI config it read at start`);
  t.is(stale[0]?.hint, 'Run `systemctl restart ignited`.');

  const both = evaluateIgnite({ conflistPath: CONFLIST, configText: '{"spec":{"networkPlugin":"docker-bridge"}}', ignitedStartedAt: T - 60_000, conflistWrittenAt: T });
  t.is(both.status, 'fail');
  t.regex(both.message, /networkPlugin: docker-bridge: VMs get Docker's bridge, not the overlay; ignited started/);
  t.is(both.hint, 'Set `networkPlugin: cni` under spec: in /etc/ignite/config.yaml, then `systemctl restart ignited`. Run `systemctl restart ignited`.');
  t.like(evaluateIgnite({ conflistPath: CONFLIST }), { status: 'pass', message: "no /etc/ignite/config.yaml and no ignited running: nothing of Ignite's to check" });
  t.like(evaluateIgnite({ conflistPath: CONFLIST, configText: await fixture('default.yaml') }), { status: 'pass', message: '/etc/ignite/config.yaml: networkPlugin not set (cni by default)' });
});

test('processStartedAt finds a running process by its name and when it started', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ignite-net-proc-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const name = `ignt${process.pid % 100000}slp`;
  await copyFile('/bin/sleep', join(dir, name));
  await chmod(join(dir, name), 0o755);
  t.is(await processStartedAt(name), undefined);
  const before = Date.now();
  const child = spawn(join(dir, name), ['30'], { stdio: 'ignore' });
  t.teardown(() => void child.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 300));
  const started = await processStartedAt(name);
  t.truthy(started);
  t.true(Math.abs((started ?? 0) - before) < 3_000, `started ${started} vs ${before}`);
});
