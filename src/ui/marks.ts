/**
 * The marks every view puts before a line — steps, checks, status verdicts, problems, this host's
 * items — and their colours, defined once for the plain reporter, the text status and ink.
 */
import type { Severity, Verdict } from '../status/model.js';

export const symbols = {
  success: '✔',
  fail: '✖',
  skip: '↷',
  running: '›',
  undo: '↶',
  warning: '⚠',
  /** A status warning: shorter than ⚠, which many terminals draw two cells wide. */
  degraded: '!',
  unknown: '-',
} as const;

/** A colour both Paint (ansi.ts) and ink's Tone know; 'dim' dims instead of colouring. */
export type MarkColor = 'green' | 'red' | 'yellow' | 'dim';

export interface Mark {
  text: string;
  color: MarkColor;
}

export const VERDICT_MARKS: Record<Verdict, Mark> = {
  healthy: { text: symbols.success, color: 'green' },
  degraded: { text: symbols.degraded, color: 'yellow' },
  unhealthy: { text: symbols.fail, color: 'red' },
};

export const SEVERITY_MARKS: Record<Severity, Mark> = {
  error: { text: symbols.fail, color: 'red' },
  warning: { text: symbols.degraded, color: 'yellow' },
};

/** An item that is fine, wrong, or of no concern here (undefined). */
export function okMark(ok: boolean | undefined): Mark {
  return ok === true ? { text: symbols.success, color: 'green' } : ok === false ? { text: symbols.fail, color: 'red' } : { text: symbols.unknown, color: 'dim' };
}
