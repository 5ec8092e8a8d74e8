/**
 * The one place that decides how a command talks to the operator. Everything else asks this.
 */
export type UiMode = 'interactive' | 'plain' | 'json';

interface MaybeTty {
  isTTY?: boolean;
}

export interface ModeInputs {
  json: boolean;
  stdin: MaybeTty;
  stderr: MaybeTty;
  env: NodeJS.ProcessEnv;
}

/** ink's own rule (the is-in-ci package): CI or CONTINUOUS_INTEGRATION or any CI_* set, unless CI is 0/false. */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env['CI'];
  if (ci === '0' || ci === 'false') return false;
  return 'CI' in env || 'CONTINUOUS_INTEGRATION' in env || Object.keys(env).some((key) => key.startsWith('CI_'));
}

/**
 * `json` when asked for; `interactive` only when the live UI (stderr) and the keyboard (stdin) are
 * terminals, not in CI and the terminal can move its cursor; otherwise plain append-only lines.
 */
export function decideMode({ json, stdin, stderr, env }: ModeInputs): UiMode {
  if (json) return 'json';
  if (stderr.isTTY === true && stdin.isTTY === true && !isCi(env) && env['TERM'] !== 'dumb') return 'interactive';
  return 'plain';
}

/**
 * Colour for one output stream: never with NO_COLOR (no-color.org: set and not empty), forced by
 * FORCE_COLOR (other than 0), otherwise only on a terminal that is not dumb.
 */
export function colorEnabled(stream: MaybeTty, env: NodeJS.ProcessEnv): boolean {
  const noColor = env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}
