import { readFileSync } from 'node:fs';

/** Read from package.json at run time (one level above src/ and dist/ alike), so there is one source of truth. */
export const version: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
