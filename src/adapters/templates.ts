/**
 * The files ignite-net ships under templates/ (package.json "files"), read from wherever this module
 * runs: the pure renderers in cni/ get their text from here.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONFLIST_TEMPLATE = '10-flannel.conflist.json';

/**
 * Candidates relative to this module: the bundled dist/*.js (scripts/build.mjs) sits one level below
 * the package root; src/adapters/ (tsx) and dist/adapters/ (tsc's per-file output) two;
 * dist/src/adapters/ (a build with rootDir ".") three.
 */
const CANDIDATE_DIRS = ['../templates/', '../../templates/', '../../../templates/'];

/** The package's templates/ directory, wherever this module runs from. */
export function templatesDir(): string {
  for (const relative of CANDIDATE_DIRS) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(join(dir, CONFLIST_TEMPLATE))) return dir;
  }
  // The package ships templates/ (package.json "files"), so a miss means a broken install.
  throw new Error(`templates/${CONFLIST_TEMPLATE} not found near ${fileURLToPath(import.meta.url)}; reinstall ignite-net`);
}

/** The conflist template's text (cni/conflist.ts renders it). */
export async function loadTemplate(dir: string = templatesDir()): Promise<string> {
  return readFile(join(dir, CONFLIST_TEMPLATE), 'utf8');
}
