import { readFileSync } from 'node:fs';

/** Set by the bundler (scripts/build.mjs) from package.json; absent when src/ runs directly (tsx). */
declare const __IGNITE_NET_VERSION__: string | undefined;

/**
 * One source of truth, package.json: inlined at build time so `--version` reads no file, else read
 * at run time (src/ sits one level below the package root, as every chunk in dist/ does).
 */
export const version: string =
  typeof __IGNITE_NET_VERSION__ === 'string'
    ? __IGNITE_NET_VERSION__
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
