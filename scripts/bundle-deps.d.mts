/** Types for scripts/bundle-deps.mjs (imported by test/unit/build-deps.test.ts and test/unit/etcd3-rpc.test.ts). */
import type { Plugin } from 'esbuild';

/** The main module of chain's last package, each package resolved from the one before, from `from`. */
export function installedMain(from: string, chain: readonly string[]): string;
/** Prepended to every chunk that may hold bundled CommonJS (defines `require`). */
export const REQUIRE_BANNER: string;
/** The require() calls in bundled `source` that load something other than a Node built-in (each would resolve from dist/). */
export function strayRequires(source: string): string[];
/** The esbuild plugin that bundles the dependencies soundly; `root` is ignite-net's directory. */
export function bundleDepsPlugin(root: string): Plugin;
