import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);
const SCRIPT = 'scripts/check-imports.mjs';

async function check(dir?: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [SCRIPT, ...(dir ? [dir] : [])]);
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}

async function tree(t: { teardown(fn: () => Promise<void>): void }, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ignite-imports-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

test('src/ has no import that goes up a layer and no import cycle', async (t) => {
  const { code, out } = await check();
  t.is(code, 0, out);
  t.regex(out, /no import up a layer, no import cycles/);
});

test('the check names an import up a layer and a cycle', async (t) => {
  const dir = await tree(t, {
    'net/a.ts': "import { b } from '../adapters/b.js';\nexport const a = b;\n",
    'adapters/b.ts': 'export const b = 1;\n',
    'steps/c.ts': "import type { D } from './d.js';\nexport type C = D;\n",
    'steps/d.ts': "import type { C } from './c.js';\nexport type D = C | 1;\n",
  });
  const { code, out } = await check(dir);
  t.is(code, 1);
  t.regex(out, /up a layer: net\/a\.ts → adapters\/b\.ts/);
  t.regex(out, /cycle: steps\/c\.ts → steps\/d\.ts → steps\/c\.ts/);
});

test('a module in no layer is an error, not silently allowed', async (t) => {
  const dir = await tree(t, { 'stray/x.ts': 'export const x = 1;\n' });
  const { code } = await check(dir);
  t.is(code, 1);
});
