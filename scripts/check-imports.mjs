#!/usr/bin/env node
/**
 * Checks the imports between src/ modules: `node scripts/check-imports.mjs [dir]`, exit 1 on an import that
 * goes up a layer (LAYERS below: cli → commands → steps, status, doctor, ui → adapters → net, cni,
 * pki, ha → core) or closes a cycle. Type-only and dynamic imports count too: a cycle of types still ties
 * the modules together. It reads import/export statements with a regular expression, which is
 * enough for our own code. test/unit/imports.test.ts runs it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The tree to check: src/ beside this script, or the directory given (the test checks made-up trees).
const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '../src'));
const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))
  .map((f) => join(root, f));
const known = new Set(files);

/** Our relative specifiers (`./x.js` names x.ts or x.tsx) resolved to files. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]);
  return specifiers.flatMap((spec) => {
    const base = resolve(dirname(file), spec).replace(/\.js$/, '');
    return ['.ts', '.tsx'].map((ext) => base + ext).filter((f) => known.has(f));
  });
}

// Layers, lowest first: a module may import its own layer or a lower one, never a higher one.
const LAYERS = [
  ['core/', 'defaults.ts', 'version.ts'],
  ['net/', 'cni/', 'pki/', 'ha/', 'options.ts'],
  ['adapters/'],
  ['steps/', 'status/', 'doctor/', 'ui/'],
  ['commands/'],
  ['cli.ts', 'args.ts', 'arg-values.ts', 'help.ts', 'completion.ts', 'run-parsed.ts', 'load-commands.ts'],
];
function layerOf(file) {
  const rel = relative(root, file);
  const index = LAYERS.findIndex((prefixes) => prefixes.some((p) => (p.endsWith('/') ? rel.startsWith(p) : rel === p)));
  if (index === -1) throw new Error(`${rel} is in no layer: add it to LAYERS in scripts/check-imports.mjs`);
  return index;
}

const graph = new Map(files.map((f) => [f, importsOf(f)]));

const upward = [];
for (const file of files) layerOf(file);
for (const [file, targets] of graph) {
  for (const target of targets) if (layerOf(target) > layerOf(file)) upward.push(`${relative(root, file)} → ${relative(root, target)}`);
}

// Depth-first search; a back edge to a module on the current path closes a cycle.
const cycles = [];
const state = new Map(); // file → 'open' | 'done'
const path = [];
function visit(file) {
  state.set(file, 'open');
  path.push(file);
  for (const next of graph.get(file) ?? []) {
    if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next]);
    else if (!state.has(next)) visit(next);
  }
  path.pop();
  state.set(file, 'done');
}
for (const file of files) if (!state.has(file)) visit(file);

for (const edge of upward) console.log(`up a layer: ${edge}`);
for (const cycle of cycles) console.log(`cycle: ${cycle.map((f) => relative(root, f)).join(' → ')}`);
console.log(`${files.length} modules, ${upward.length === 0 ? 'no import up a layer' : `${upward.length} imports up a layer`}, ${cycles.length === 0 ? 'no import cycles' : `${cycles.length} import cycles`}`);
process.exitCode = cycles.length === 0 && upward.length === 0 ? 0 : 1;
