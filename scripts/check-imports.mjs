#!/usr/bin/env node
/**
 * Lists import cycles between src/ modules: `node scripts/check-imports.mjs`, exit 1 when there is
 * one. Type-only and dynamic imports count too: a cycle of types still ties the modules together.
 * It reads import/export statements with a regular expression, which is enough for our own code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
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

const graph = new Map(files.map((f) => [f, importsOf(f)]));

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

for (const cycle of cycles) console.log(`cycle: ${cycle.map((f) => relative(root, f)).join(' → ')}`);
console.log(`${files.length} modules, ${cycles.length === 0 ? 'no import cycles' : `${cycles.length} import cycles`}`);
process.exitCode = cycles.length === 0 ? 0 : 1;
