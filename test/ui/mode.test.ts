import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { colorEnabled, decideMode, isCi } from '../../src/ui/mode.js';

const tty = { isTTY: true };
const pipe = { isTTY: false };

test('json wins; interactive needs a TTY on stderr and stdin, no CI, a capable terminal', (t) => {
  const env = { TERM: 'xterm-256color' };
  t.is(decideMode({ json: true, stdin: tty, stderr: tty, env }), 'json');
  t.is(decideMode({ json: false, stdin: tty, stderr: tty, env }), 'interactive');
  t.is(decideMode({ json: false, stdin: pipe, stderr: tty, env }), 'plain');
  t.is(decideMode({ json: false, stdin: tty, stderr: pipe, env }), 'plain');
  t.is(decideMode({ json: false, stdin: {}, stderr: {}, env }), 'plain');
  t.is(decideMode({ json: false, stdin: tty, stderr: tty, env: { ...env, CI: 'true' } }), 'plain');
  t.is(decideMode({ json: false, stdin: tty, stderr: tty, env: { TERM: 'dumb' } }), 'plain');
});

test("CI detection follows ink's is-in-ci", (t) => {
  t.false(isCi({}));
  t.true(isCi({ CI: 'true' }));
  t.true(isCi({ CI: '' }));
  t.true(isCi({ CONTINUOUS_INTEGRATION: '1' }));
  t.true(isCi({ CI_PIPELINE_ID: '7' }));
  t.false(isCi({ CI: 'false', CI_PIPELINE_ID: '7' }));
  t.false(isCi({ CI: '0' }));
});

test('colour: NO_COLOR off, FORCE_COLOR on, else a non-dumb terminal', (t) => {
  t.true(colorEnabled(tty, {}));
  t.false(colorEnabled(pipe, {}));
  t.false(colorEnabled(tty, { NO_COLOR: '1' }));
  t.true(colorEnabled(tty, { NO_COLOR: '' }), 'an empty NO_COLOR does not count (no-color.org)');
  t.true(colorEnabled(pipe, { FORCE_COLOR: '1' }));
  t.false(colorEnabled(tty, { FORCE_COLOR: '0' }));
  t.false(colorEnabled(tty, { NO_COLOR: '1', FORCE_COLOR: '1' }));
  t.false(colorEnabled(tty, { TERM: 'dumb' }));
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : [path];
  });
}

test('only src/ui/ink imports ink or react, and nothing loads it statically', (t) => {
  const outside = sources('src').filter((path) => !path.startsWith(join('src', 'ui', 'ink')));
  t.true(outside.length > 5);
  for (const path of outside) {
    const text = readFileSync(path, 'utf8');
    t.false(/from ['"](ink|react|ink-spinner)(\/[^'"]*)?['"]/.test(text), `${path} imports ink/react`);
    t.false(/^import[^(]*['"][^'"]*\/ink\/[^'"]*['"]/m.test(text), `${path} imports src/ui/ink statically`);
  }
  t.regex(readFileSync('src/ui/reporter.ts', 'utf8'), /await import\('\.\/ink\/reporter\.js'\)/);
});
