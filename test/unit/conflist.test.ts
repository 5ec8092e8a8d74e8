import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { IgniteError } from '../../src/core/errors.js';
import { CONFLIST_TEMPLATE, loadTemplate, templatesDir } from '../../src/adapters/templates.js';
import { isOurConflist, jsonEqual, renderConflist } from '../../src/cni/conflist.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** DESIGN.md's conflist, the contract with CNI. */
const DESIGN = {
  name: 'cbr0',
  cniVersion: '0.4.0',
  plugins: [
    { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
    { type: 'portmap', capabilities: { portMappings: true } },
    { type: 'firewall' },
  ],
};

test('the shipped template renders to DESIGN.md\'s conflist', async (t) => {
  const text = renderConflist(await loadTemplate());
  t.deepEqual(JSON.parse(text), DESIGN);
  t.true(text.endsWith('\n'));
});

test('the template names the network through a placeholder, and only that', async (t) => {
  const template = await loadTemplate();
  t.deepEqual([...template.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]), ['name']);
});

test('templatesDir is the package root\'s templates/ when run from src (tsx)', (t) => {
  t.is(templatesDir(), join(root, 'templates/'));
});

test('loadTemplate reads from a directory given to it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ignite-net-tpl-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, CONFLIST_TEMPLATE), '{"name":"{{name}}","cniVersion":"1.0.0","plugins":[{"type":"bridge"}]}');
  t.deepEqual(JSON.parse(renderConflist(await loadTemplate(dir))), { name: 'cbr0', cniVersion: '1.0.0', plugins: [{ type: 'bridge' }] });
});

test('loadTemplate from a directory without the template fails with ENOENT', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ignite-net-tpl-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await t.throwsAsync(loadTemplate(dir), { code: 'ENOENT' });
});

test('the compiled layout (dist/adapters/templates.js) finds templates/ too', async (t) => {
  // Mirror the package: <pkg>/dist/adapters/templates.js beside <pkg>/templates/, compiled by esbuild.
  const pkg = await mkdtemp(join(tmpdir(), 'ignite-net-pkg-'));
  t.teardown(() => rm(pkg, { recursive: true, force: true }));
  await mkdir(join(pkg, 'templates'));
  await copyFile(join(root, 'templates', CONFLIST_TEMPLATE), join(pkg, 'templates', CONFLIST_TEMPLATE));
  await writeFile(join(pkg, 'package.json'), '{"type":"module"}');
  const esbuild = join(root, 'node_modules', '.bin', 'esbuild');
  for (const layout of ['dist/adapters', 'dist/src/adapters']) {
    const out = join(pkg, layout, 'templates.js');
    await promisify(execFile)(esbuild, [join(root, 'src/adapters/templates.ts'), '--bundle', '--platform=node', '--format=esm', `--outfile=${out}`]);
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(out)}); process.stdout.write(m.templatesDir() + '\\n' + await m.loadTemplate());`,
    ]);
    const [dir, ...template] = stdout.split('\n');
    t.is(dir, join(pkg, 'templates/'), layout);
    t.deepEqual(JSON.parse(renderConflist(template.join('\n'))), DESIGN, layout);
  }
});

test('compact templates with nested objects render (a "}}" is not a placeholder)', (t) => {
  const template = '{"name":"{{name}}","cniVersion":"0.4.0","plugins":[{"type":"flannel","delegate":{"hairpinMode":true}}]}';
  t.deepEqual(JSON.parse(renderConflist(template)).plugins, [{ type: 'flannel', delegate: { hairpinMode: true } }]);
});

test('vars fill placeholders, with or without spaces inside the braces', (t) => {
  const rendered = renderConflist('{"name":"{{name}}","cniVersion":"0.4.0","plugins":[{"type":"flannel"}]}', { name: 'ovl-1.a_b' });
  t.is(JSON.parse(rendered).name, 'ovl-1.a_b');
  t.is(renderConflist('{"name":"{{ name }}","cniVersion":"0.4.0","plugins":[{"type":"x"}]}'), '{"name":"cbr0","cniVersion":"0.4.0","plugins":[{"type":"x"}]}\n');
});

const GOOD_TEMPLATE = '{"name":"{{name}}","cniVersion":"0.4.0","plugins":[{"type":"flannel"}]}';

const badTemplates: [string, string, Record<string, string>, RegExp][] = [
  ['an unknown placeholder', '{"name":"{{name}}","cniVersion":"{{version}}","plugins":[{"type":"flannel"}]}', {}, /unknown placeholder \{\{version\}\}/],
  ['a malformed placeholder', '{"name":"{{name}","cniVersion":"0.4.0","plugins":[{"type":"flannel"}]}', {}, /malformed placeholder/],
  ['an unclosed placeholder', '{"name":"{{ name","cniVersion":"0.4.0","plugins":[{"type":"flannel"}]}', {}, /malformed placeholder/],
  ['an unknown variable', GOOD_TEMPLATE, { mtu: '1400' }, /unknown variable "mtu"/],
  ['a variable the template does not use', '{"name":"cbr0","cniVersion":"0.4.0","plugins":[{"type":"flannel"}]}', { name: 'cbr0' }, /not used by the template: name/],
  ['invalid JSON', '{"name":"{{name}}",}', {}, /not valid JSON/],
  ['a placeholder outside a string', '{"name":{{name}},"cniVersion":"0.4.0","plugins":[{"type":"flannel"}]}', {}, /not valid JSON/],
  ['no plugins', '{"name":"{{name}}","cniVersion":"0.4.0","plugins":[]}', {}, /lacks name, cniVersion or a plugins list/],
  ['a plugin without type', '{"name":"{{name}}","cniVersion":"0.4.0","plugins":[{"delegate":{}}]}', {}, /lacks/],
  ['no cniVersion', '{"name":"{{name}}","plugins":[{"type":"flannel"}]}', {}, /lacks/],
  ['a stray opening pair', '{"name":"{{name}}","cniVersion":"0.4.0","plugins":[{"type":"{{"}]}', {}, /malformed placeholder near "\{\{"/],
  ['a JSON array', '[{"name":"{{name}}"}]', {}, /lacks/],
];
for (const [what, template, vars, message] of badTemplates) {
  test(`renderConflist fails on ${what}`, (t) => {
    const error = t.throws(() => renderConflist(template, vars));
    t.regex(error?.message ?? '', message);
  });
}

for (const name of ['', '-cbr0', 'cbr 0', 'cbr0/x', 'c"br0', 'ü']) {
  test(`renderConflist refuses the network name ${JSON.stringify(name)}`, (t) => {
    const error = t.throws(() => renderConflist(GOOD_TEMPLATE, { name }), { instanceOf: IgniteError });
    t.is(error?.kind, 'usage');
    t.is(error?.message, `invalid CNI network name "${name}"`);
    t.regex(error?.hint ?? '', /e\.g\. cbr0/);
  });
}

test('isOurConflist: our rendering and a re-indented copy are ours', async (t) => {
  const rendered = renderConflist(await loadTemplate());
  t.true(isOurConflist(rendered, rendered));
  t.true(isOurConflist(JSON.stringify(JSON.parse(rendered)), rendered));
  t.true(isOurConflist(JSON.stringify(DESIGN, null, 4), rendered));
  // Key order inside objects does not matter to JSON readers.
  t.true(isOurConflist(JSON.stringify({ plugins: DESIGN.plugins, cniVersion: '0.4.0', name: 'cbr0' }), rendered));
});

test('isOurConflist: anything edited or foreign is not ours', async (t) => {
  const rendered = renderConflist(await loadTemplate());
  const edited = (change: (c: typeof DESIGN) => unknown): string => JSON.stringify(change(structuredClone(DESIGN)));
  const foreign = [
    '',
    'not json',
    '{}',
    'null',
    await readFile(join(root, 'templates', CONFLIST_TEMPLATE), 'utf8'), // unrendered
    edited((c) => ({ ...c, name: 'mynet' })),
    edited((c) => ({ ...c, cniVersion: '1.0.0' })),
    edited((c) => ({ ...c, plugins: c.plugins.slice(0, 2) })),
    edited((c) => ({ ...c, plugins: [...c.plugins].reverse() })),
    edited((c) => ({ ...c, plugins: [{ type: 'flannel', delegate: { hairpinMode: false, isDefaultGateway: true } }, ...c.plugins.slice(1)] })),
    edited((c) => ({ ...c, extra: true })),
    '{"cniVersion":"0.4.0","name":"ignite-cni-bridge","plugins":[{"type":"bridge"}]}',
  ];
  for (const text of foreign) t.false(isOurConflist(text, rendered), text.slice(0, 60));
  t.false(isOurConflist(rendered, edited((c) => ({ ...c, name: 'other' }))));
});

test('jsonEqual', (t) => {
  t.true(jsonEqual({ a: [1, { b: null }] }, { a: [1, { b: null }] }));
  t.true(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 }));
  t.false(jsonEqual({ a: 1 }, { a: 1, b: undefined }));
  t.false(jsonEqual([1, 2], [2, 1]));
  t.false(jsonEqual({ a: 1 }, [1]));
  t.false(jsonEqual(1, '1'));
  t.false(jsonEqual(null, {}));
});
