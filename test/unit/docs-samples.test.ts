/**
 * The sample output in README.md and docs/*.md (the `<!-- sample: NAME -->` blocks) is what the CLI
 * prints now: each block equals a fresh run from src/ (scripts/docs-samples.ts rebuilds them with
 * `npx tsx scripts/docs-samples.ts`). Every sample is used somewhere, every block names a sample. The
 * terminal samples' screen replay (scripts/terminal-screen.ts) is checked on hand-made bytes.
 */
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { HOST_SAMPLES, SAMPLES, cliRunner, docFiles, findBlocks, renderAll, renderSample, replaceBlocks } from '../../scripts/docs-samples.js';
import { screenText } from '../../scripts/terminal-screen.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bodies = renderAll(cliRunner([process.execPath, '--import', 'tsx', join(root, 'src', 'cli.ts')]));

test('every sample block in the docs equals what the CLI prints now (else: npx tsx scripts/docs-samples.ts)', async (t) => {
  const rendered = await bodies;
  const used = new Set<string>();
  for (const file of await docFiles(root)) {
    for (const block of findBlocks(await readFile(file, 'utf8'))) {
      used.add(block.name);
      // Made on simulated hosts (scripts/docs-samples-hosts.ts): addresses and times differ per run.
      if (HOST_SAMPLES.some((s) => s.name === block.name)) continue;
      t.true(rendered.has(block.name), `${relative(root, file)}: unknown sample ${block.name}`);
      t.is(block.body, rendered.get(block.name) ?? '(no such sample)', `${relative(root, file)}: sample ${block.name} is stale: run npx tsx scripts/docs-samples.ts`);
    }
  }
  t.deepEqual([...used].sort(), [...SAMPLES, ...HOST_SAMPLES].map((s) => s.name).sort(), 'every sample appears in the docs');
});

test('a refused input\'s sample shows its one-line error, its hint and the exit code', async (t) => {
  const rendered = await bodies;
  t.is(rendered.get('bad-network'), [
    '```console',
    '$ ignite-net init --network 10.50.0.0; echo "exit $?"',
    'error: --network "10.50.0.0" is not an IPv4 CIDR',
    'hint: Write it as address/prefix, e.g. 10.50.0.0/16.',
    'exit 2',
    '```',
  ].join('\n'));
  t.regex(rendered.get('help') ?? '', /^```console\n\$ ignite-net --help\nignite-net — turn Linux hosts/);
});

test('replaceBlocks rewrites only the marked bodies; an unknown name is an error', (t) => {
  const text = 'before\n<!-- sample: a -->\nold\n<!-- /sample -->\nafter\n';
  const help = text.replaceAll('sample: a', 'sample: help');
  t.is(replaceBlocks(help, new Map([['help', 'new\nlines']])), 'before\n<!-- sample: help -->\nnew\nlines\n<!-- /sample -->\nafter\n');
  t.throws(() => replaceBlocks(text, new Map()), { message: /unknown sample "a"/ });
  // A host sample is kept as it is when the run has no body for it (the cheap run).
  const host = '<!-- sample: status-joined-host -->\nas copied\n<!-- /sample -->\n';
  t.is(replaceBlocks(host, new Map([['help', 'x']])), host);
  t.is(renderSample({ name: 'y', args: ['status'], on: 'node2' }, { code: 0, output: 'ok\n' }), '```console\n[node2]$ sudo ignite-net status\nok\n```');
  t.is(renderSample({ name: 'x', args: ['--help'], lines: 2 }, { code: 0, output: '1\n2\n3\n' }), '```console\n$ ignite-net --help\n1\n2\n…\n```');
});

test('screenText keeps the screen as it ends: redrawn frames, colours and cursor moves gone, a wrapped line one line', (t) => {
  // ink's way: a frame, then erase its lines (2K, cursor up) and draw the next; colours and a hidden cursor around.
  const frames = '\x1b[?25l\x1b[36m⠋ Start etcd\x1b[39m\r\n\x1b[2K\x1b[1A\x1b[2K\x1b[G✔ Start etcd (5ms)\r\n\x1b[?25h';
  t.is(screenText(frames, 80), '✔ Start etcd (5ms)');
  // Auto-wrap: 12 characters on a 10-column screen are one line; CR overwrites; K erases to the end.
  t.is(screenText('abcdefghijkl\r\nxyz\rX\r\nlong tail\x1b[5G\x1b[K', 10), 'abcdefghijkl\nXyz\nlong');
  // An OSC (a window title) and CSI H are no text; H moves the cursor.
  t.is(screenText('\x1b]0;title\x07one\r\ntwo\x1b[1;1HO', 80), 'One\ntwo');
});
