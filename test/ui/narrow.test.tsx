/**
 * The status screen and the summary box in a terminal 80 and 100 columns wide: no line is longer,
 * a wrapped line continues under its own column, and no table header is cut.
 */
import test from 'ava';
import { render } from 'ink';
import type { ReactElement } from 'react';
import { createEventStore } from '../../src/ui/event-store.js';
import { App } from '../../src/ui/ink/App.js';
import { StatusScreen } from '../../src/ui/ink/status/StatusScreen.js';
import { waitForFrame } from '../_helpers/frames.js';
import { FakeStdin, NarrowStdout, TS } from './_helpers.js';
import { lease, model } from './_status-model.js';

async function linesAt(columns: number, element: ReactElement, ready: string, feed?: () => void): Promise<string[]> {
  const stdout = new NarrowStdout(columns);
  // ink's streams are Node's; these two have what ink uses of them.
  const instance = render(element, { stdout: stdout as unknown as NodeJS.WriteStream, stdin: new FakeStdin() as unknown as NodeJS.ReadStream, debug: true, exitOnCtrlC: false, patchConsole: false });
  feed?.();
  try {
    return (await waitForFrame(stdout.lastFrame, (f) => f.includes(ready))).split('\n');
  } finally {
    instance.unmount();
  }
}

const TLS = { tls: true, auth: true, caPin: 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', certExpiresAt: '2027-01-01T00:00:00.000Z', identity: 'ignite-host-0123456789abcdef' };
const hosts = [lease(11), lease(12, { reserved: true, ttlSeconds: undefined })];
const screens = {
  'no hosts, insecure': model([]),
  'two hosts, insecure': model(hosts),
  'two hosts, TLS': model(hosts, { security: TLS }),
};
const indexOf = (lines: string[], text: string): number => lines.findIndex((l) => l.includes(text));

for (const columns of [80, 100]) {
  for (const [name, m] of Object.entries(screens)) {
    test(`status at ${columns} columns (${name}): no line is longer, the host header is whole`, async (t) => {
      const lines = await linesAt(columns, <StatusScreen model={m} color={false} />, 'CNI plugins');
      t.deepEqual(lines.filter((l) => l.length > columns), []);
      t.false(lines.some((l) => l.includes('…') && !l.includes('sha256')), 'nothing is cut with an ellipsis');
      const header = lines.find((l) => l.includes('SUBNET')) ?? '';
      t.regex(header, /^ {2}SUBNET +PUBLIC IP +BACKEND +LEASE +ROLE/);
      if (m.hosts.length === 0 || columns === 100) t.regex(header, /BACKEND PORT +OVERLAY$/);
      else t.regex(lines[indexOf(lines, '10.0.0.11 ')+1] ?? '', /^ {18}backend port: not rejected, overlay: answered \(1ms\)$/, 'the reach columns continue under PUBLIC IP');
    });
  }
}

test('status at 80 columns: a wrapped value, warning, hint and note continue under their own column', async (t) => {
  const lines = await linesAt(80, <StatusScreen model={model(hosts)} color={false} />, 'CNI plugins');
  const cni = indexOf(lines, 'CNI config');
  t.regex(lines[cni] ?? '', /^ {2}✔ CNI config {3}\/etc\/cni/);
  t.regex(lines[cni + 1] ?? '', /^ {17}\S/, 'under the value, not at column 0');
  const warning = indexOf(lines, '! etcd serves plain HTTP');
  t.regex(lines[warning + 1] ?? '', /^ {4}\S/, 'under the message, not under the mark');
  const note = indexOf(lines, 'overlay: TCP to');
  t.regex(lines[note + 1] ?? '', /^ {2}\S/);
});

test('status at 80 columns: the security line with TLS wraps under its value', async (t) => {
  const lines = await linesAt(80, <StatusScreen model={model(hosts, { security: TLS })} color={false} />, 'CNI plugins');
  const at = indexOf(lines, 'security');
  t.regex(lines[at] ?? '', /^ {2}security {3}TLS, auth on, CA sha256:/);
  t.regex(lines[at + 1] ?? '', /^ {13}\S/, 'the continuation starts in the value column');
  t.true((lines[at + 1] ?? '').includes('ignite-host-0123456789abcdef'));
});

test('summary box at 80 columns: a wrapped value starts in the value column, not one further', async (t) => {
  const store = createEventStore();
  // Its second line fills the width exactly before a blank: ink's own wrap started the third one column too far.
  const value = 'TLS with client certificates, etcd auth on, CA pinned sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef, token valid 24h, then again';
  const lines = await linesAt(80, <App store={store} color={false} />, 'again', () =>
    store.dispatch({ kind: 'event', event: { type: 'summary', title: 'Overlay network ready', lines: [{ label: 'subnet', value: '10.50.31.0/24' }, { label: 'security', value }], next: [], timestamp: TS } }),
  );
  t.deepEqual(lines.filter((l) => l.length > 80), []);
  const first = indexOf(lines, 'security');
  t.regex(lines[first] ?? '', /^│ security {2}TLS/);
  for (const line of lines.slice(first + 1, indexOf(lines, '╰'))) t.regex(line, /^│ {11}\S/, 'continuation in the value column');
  const text = lines.slice(first, indexOf(lines, '╰')).map((l) => l.slice(12).replace(/ *│$/, '')).join(' ');
  t.is(text.replace(/ /g, ''), value.replace(/ /g, ''), 'nothing lost or doubled in the wrap');
});
