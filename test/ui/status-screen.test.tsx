import test from 'ava';
import { render } from 'ink-testing-library';
import type { StatusInputs } from '../../src/status/model.js';
import { StatusScreen } from '../../src/ui/ink/status/StatusScreen.js';
import { renderStatusText } from '../../src/ui/status-text.js';
import { waitForFrame } from '../_helpers/frames.js';
import { lease, model } from './_status-model.js';

test('the screen shows the verdict, every host with its role and reachability, and this host', async (t) => {
  const screen = render(<StatusScreen model={model([lease(11), lease(12, { reserved: true, ttlSeconds: undefined })])} color={false} />);
  const frame = await waitForFrame(screen.lastFrame, (f) => f.includes('CNI plugins'));
  t.regex(frame, /^✔ ignite-net status: healthy/m);
  t.regex(frame, /SUBNET +PUBLIC IP +BACKEND +LEASE +ROLE +BACKEND PORT +OVERLAY/);
  t.regex(frame, /10\.50\.11\.0\/24 +10\.0\.0\.11 +udp +23h 53m +etcd +not rejected +answered \(1ms\)/);
  t.regex(frame, /10\.50\.12\.0\/24 +10\.0\.0\.12 +udp +reserved +this host +this host +this host/);
  t.regex(frame, /✔ flannel +ignite-flannel {2}running, up 2m {2}restarts 0 {2}flannel:1/);
  t.regex(frame, /✔ CNI config +\/etc\/cni\/net\.d\/10-flannel\.conflist: present, valid JSON, written by ignite-net;\s+picked first/);
  t.notRegex(frame, /problems/);
  screen.unmount();
});

test('watch: a lease appearing and going away adds and removes its line, the others keep their place', async (t) => {
  const watch = { intervalMs: 2000, refreshing: false };
  const screen = render(<StatusScreen model={model([lease(11), lease(12), lease(14)])} color={false} watch={watch} />);
  const before = (await waitForFrame(screen.lastFrame, (f) => f.includes('every 2s'))).split('\n');
  screen.rerender(<StatusScreen model={model([lease(11), lease(12), lease(13), lease(14)])} color={false} watch={{ ...watch, refreshing: true }} />);
  const during = (await waitForFrame(screen.lastFrame, (f) => f.includes(' 10.0.0.13 '))).split('\n');
  const rowOf = (lines: string[], ip: string): number => lines.findIndex((l) => l.includes(` ${ip} `));
  t.is(rowOf(during, '10.0.0.13'), rowOf(before, '10.0.0.14'), 'the new lease takes its place in subnet order');
  t.is(during[rowOf(during, '10.0.0.11')], before[rowOf(before, '10.0.0.11')], 'an unchanged row is the same line');
  t.regex(during.join('\n'), /⟳ every 2s · updated 12:00:00 UTC · Ctrl-C to quit/);
  t.is(during.length, before.length + 1, 'one line more, nothing else moved');

  screen.rerender(<StatusScreen model={model([lease(11), lease(12), lease(14)])} color={false} watch={watch} />);
  const after = (await waitForFrame(screen.lastFrame, (f) => !f.includes(' 10.0.0.13 '))).split('\n');
  t.is(rowOf(after, '10.0.0.13'), -1);
  t.deepEqual(after, before, 'back to the same frame');
  t.is(screen.frames.filter((f) => f.includes('\u001B[2J')).length, 0, 'never clears the screen');
  screen.unmount();
});

test('column widths never shrink while the screen lives (no jumping when a long value goes away)', async (t) => {
  const long = lease(13, { backendType: 'wireguard-long' });
  const screen = render(<StatusScreen model={model([lease(11), lease(12), long])} color={false} />);
  const header = (frame: string): string => frame.split('\n').find((l) => l.includes('SUBNET')) ?? '';
  const wide = header(await waitForFrame(screen.lastFrame, (f) => f.includes('wireguard-long')));
  screen.rerender(<StatusScreen model={model([lease(11), lease(12)])} color={false} />);
  t.is(header(await waitForFrame(screen.lastFrame, (f) => f.includes('hosts (2)'))), wide);
  screen.unmount();
});

test('a stopped flannel and a rejected peer: unhealthy, the problems are listed with hints', async (t) => {
  const leases = [lease(11), lease(12)];
  const m = model(leases, {
    docker: { ok: true, where: 'x', containers: [{ name: 'ignite-flannel', role: 'flannel', image: 'flannel:1', state: 'exited', running: false, exitCode: 0, restartCount: 0 }] },
    probes: { [leases[0]!.key]: { backend: { kind: 'udp', port: 8285, result: 'rejected', rttMs: 0.2 } } },
  });
  const screen = render(<StatusScreen model={m} color={false} />);
  const frame = await waitForFrame(screen.lastFrame, (f) => f.includes('problems'));
  t.regex(frame, /^✖ ignite-net status: unhealthy \(2 errors\)/m);
  t.regex(frame, /10\.0\.0\.11 +udp +23h 53m +etcd +rejected \(<1ms\)/);
  t.regex(frame, /✖ flannel +ignite-flannel {2}exited \(0\)/);
  t.regex(frame, /✖ flannel is not running: ignite-flannel is exited with code 0\n\s+hint: See `ignite-net logs flannel`/);
  screen.unmount();
});

test('a long host list is cut to the terminal, problem rows kept, and the rest counted', async (t) => {
  const leases = Array.from({ length: 200 }, (_, i) => lease(i + 10));
  const rejectedKey = leases[150]!.key;
  const m = model(leases, { probes: { [rejectedKey]: { backend: { kind: 'udp', port: 8285, result: 'rejected' } } } });
  const screen = render(<StatusScreen model={m} color={false} rows={40} />);
  const frame = await waitForFrame(screen.lastFrame, (f) => f.includes('more hosts'));
  t.true(frame.split('\n').length < 40, `frame has ${frame.split('\n').length} lines`);
  t.regex(frame, /10\.0\.0\.160 .* rejected/);
  t.regex(frame, /… and \d+ more hosts \(all in `ignite-net status --json`\)/);
  screen.unmount();
});

test('the plain table has the same cells', async (t) => {
  const m = model([lease(11), lease(12)]);
  const lines = renderStatusText(m);
  t.is(lines[0], '✔ ignite-net status: healthy');
  // Same cells as the screen: the verdict and each table line, whatever the column padding.
  const screen = render(<StatusScreen model={m} color={false} />);
  const shown = (await waitForFrame(screen.lastFrame, (f) => f.includes('CNI plugins'))).split('\n');
  screen.unmount();
  const cells = (line: string | undefined): string[] => (line ?? '').trim().split(/ {2,}/);
  t.is(shown[0], lines[0]);
  for (const key of ['SUBNET', ' 10.0.0.11 ', ' 10.0.0.12 ']) {
    t.deepEqual(cells(lines.find((l) => l.includes(key))), cells(shown.find((l) => l.includes(key))), key);
  }
  t.true(lines.some((l) => /^ {2}10\.50\.11\.0\/24 +10\.0\.0\.11 +udp +23h 53m +etcd +not rejected +answered \(1ms\)$/.test(l)), lines.join('\n'));
  const three = renderStatusText(model([lease(11), lease(12), lease(13)]));
  t.true(three.some((l) => l.includes("overlay not checked: nothing known listens on its flannel address (only the init host's etcd does)")), three.join('\n'));
});

test('the screen gives the insecure warning under the overview, and marks a revoked host', async (t) => {
  const revoked = { user: 'ignite-host-abc123', address: '10.0.0.14', hostname: 'node4', subnet: '10.50.14.0/24', at: '2025-01-01T11:00:00.000Z', leaseExpiresAt: '2025-01-02T12:00:00.000Z' };
  const screen = render(<StatusScreen model={model([lease(11), lease(12), lease(14)], { revoked: [revoked] })} color={false} />);
  const frame = await waitForFrame(screen.lastFrame, (f) => f.includes('CNI plugins'));
  t.regex(frame, /^ {2}! etcd serves plain HTTP without authentication \(init --insecure\)/m);
  t.regex(frame, /hint: Run `sudo ignite-net init` on the init host without --insecure\./);
  t.regex(frame, /10\.50\.14\.0\/24 +10\.0\.0\.14 +udp +23h 53m +revoked /);
  t.regex(frame, /! 10\.0\.0\.14 \(ignite-host-abc123\) is revoked: its lease 10\.50\.14\.0\/24 runs out at 2025-01-02 11:53\s+UTC, no renewal possible/);
  screen.unmount();
});

test('the screen shows the control plane: the quorum line, each member, the warning', async (t) => {
  const clientUrl = 'https://10.0.0.11:2379';
  const controlPlane: StatusInputs['controlPlane'] = {
    ok: true,
    members: [
      {
        member: { id: 'b1', name: 's1', peerUrls: ['https://10.0.0.11:2380'], clientUrls: [clientUrl], isLearner: false },
        status: { endpoint: clientUrl, reachable: true, healthy: true, memberId: 'b1', leaderId: 'b1', isLeader: true, isLearner: false, raftIndex: 42, raftTerm: 2, dbSizeBytes: 2_500_000, version: '3.4.23', alarms: [] },
      },
    ],
  };
  const screen = render(<StatusScreen model={model([lease(11), lease(12)], { controlPlane })} color={false} />);
  const frame = await waitForFrame(screen.lastFrame, (f) => f.includes('CNI plugins'));
  t.regex(frame, /^control plane: 1 member, 1 needed, 1 healthy$/m);
  t.regex(frame, /^ {2}NAME +PEER URL +ROLE +HEALTH +RAFT INDEX +DB SIZE$/m);
  t.regex(frame, /^ {2}s1 +https:\/\/10\.0\.0\.11:2380 +leader +healthy +42 +2\.5 MB$/m);
  t.regex(frame, /! etcd runs on one host only and 2 hosts depend on it/);
  t.regex(frame, /^✔ ignite-net status: healthy/m);
  screen.unmount();
});
