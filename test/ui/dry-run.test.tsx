/** The ink UI of a dry run: its header, each step's "would …" lines with their details, its footer, within 80 columns. */
import test from 'ava';
import { render } from 'ink';
import type { RunEventBody } from '../../src/core/events.js';
import { createEventStore } from '../../src/ui/event-store.js';
import { App } from '../../src/ui/ink/App.js';
import { waitForFrame } from '../_helpers/frames.js';
import { FakeStdin, NarrowStdout, TS } from './_helpers.js';

test('a dry run in the terminal UI at 80 columns: header, would-lines under their step, wrapped details, footer', async (t) => {
  const store = createEventStore();
  const stdout = new NarrowStdout(80);
  const instance = render(<App store={store} color={false} />, { stdout: stdout as unknown as NodeJS.WriteStream, stdin: new FakeStdin() as unknown as NodeJS.ReadStream, debug: true, exitOnCtrlC: false, patchConsole: false });
  const events: RunEventBody[] = [
    { type: 'command-start', command: 'init', dryRun: true },
    { type: 'step-start', id: 'etcd', title: 'Start etcd' },
    { type: 'would-change', stepId: 'etcd', change: { kind: 'container', what: 'create and start container ignite-etcd', details: ['image gcr.io/etcd-development/etcd:v3.6.16', `command /usr/local/bin/etcd --name s1 --data-dir /var/lib/etcd --listen-client-urls https://0.0.0.0:2379 --advertise-client-urls https://192.168.1.2:2379`] } },
    { type: 'step-success', id: 'etcd', title: 'Start etcd', durationMs: 14, detail: 'https://192.168.1.2:2379' },
    { type: 'command-end', ok: true, exitCode: 0, durationMs: 800, leftInPlace: [], dryRun: { changes: 1 } },
  ];
  try {
    for (const event of events) store.dispatch({ kind: 'event', event: { ...event, timestamp: TS } });
    const lines = (await waitForFrame(stdout.lastFrame, (f) => f.includes('done'))).split('\n');
    t.deepEqual(lines.filter((l) => l.length > 80), []);
    const at = (text: string): number => lines.findIndex((l) => l.includes(text));
    t.true(at('dry run: nothing will be changed') === 0, lines.join('\n'));
    t.true(at('  would create and start container ignite-etcd') > at('Start etcd'), lines.join('\n'));
    t.true(lines.includes('      image gcr.io/etcd-development/etcd:v3.6.16'), lines.join('\n'));
    const command = at('      command /usr/local/bin/etcd');
    t.regex(lines[command + 1] ?? '', /^ {8}\S/, 'a wrapped detail continues indented');
    t.true(at('dry run: nothing was changed (1 change listed above)') > command, lines.join('\n'));
    t.true(at('init --dry-run done') > 0, lines.join('\n'));
  } finally {
    instance.unmount();
  }
});
