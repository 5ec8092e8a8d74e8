import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';

/** Set to true by the bundler (scripts/build.mjs); absent when src/ runs directly (tsx, tests). */
declare const __IGNITE_NET_BUNDLED__: boolean | undefined;

type Commands = typeof import('./run-parsed.js');

/**
 * The text Node's CommonJS loader wraps a module in. scripts/build.mjs makes dist/commands.cjs's code
 * cache for exactly this text (V8 refuses a cache made for another source, and compiles instead).
 */
export const CJS_WRAPPER = ['(function (exports, require, module, __filename, __dirname, __ignite_net_import) { ', '\n});'] as const;

export interface LoadedBundle {
  exports: unknown;
  /** V8's verdict on the cache file: undefined when there was none. */
  cacheRejected: boolean | undefined;
}

/**
 * Runs a CommonJS bundle as require() would, compiled from its V8 code cache (`<file>.cache`) when
 * one is there. Node 20 keeps no code cache for its own loaders; with this one, loading the commands
 * and their dependencies (2.3 MB of JavaScript) takes ~60 ms instead of ~145 as ES module chunks,
 * and no function is compiled as the command runs (docs/performance.md). A cache made by another Node
 * or V8, or for another text, is refused by V8 itself, and the source is compiled as usual.
 */
export function loadBundle(file: string, cacheFile = `${file}.cache`): LoadedBundle {
  const source = readFileSync(file, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // No cache (a build without one): compiled from source.
  }
  const script = new vm.Script(CJS_WRAPPER[0] + source + CJS_WRAPPER[1], { filename: file, ...(cachedData === undefined ? {} : { cachedData }) });
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string, importChunk: (specifier: string) => Promise<unknown>) => void;
  const module = { exports: {} };
  // The bundle's import() of the UI's chunks, made here (scripts/build.mjs, finishBundle).
  const importChunk = (specifier: string): Promise<unknown> => import(new URL(specifier, pathToFileURL(file)).href);
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file), importChunk);
  return { exports: module.exports, cacheRejected: cachedData === undefined ? undefined : script.cachedDataRejected === true };
}

/** runParsed and what it needs: from dist/commands.cjs when bundled, else from source. */
export async function loadCommands(): Promise<Commands> {
  if (typeof __IGNITE_NET_BUNDLED__ === 'undefined') return import('./run-parsed.js');
  return loadBundle(fileURLToPath(new URL('./commands.cjs', import.meta.url))).exports as Commands;
}
