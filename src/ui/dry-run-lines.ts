/**
 * How a dry run reads, the same in the plain and the ink reporter: a header, each recorded change
 * under its step ("would …", details below it), and a footer. Pre-wrapped, so no line passes the width.
 */
import type { DryRunChange } from '../core/events.js';
import { wrapWords } from './format.js';

export const DRY_RUN_HEADER = 'dry run: nothing will be changed; each step lists what it would change';

export function dryRunFooter(changes: number): string {
  return `dry run: nothing was changed (${changes === 0 ? 'nothing to change' : `${changes} change${changes === 1 ? '' : 's'} listed above`})`;
}

/** `indent` blanks, then the text wrapped to `width`, continuation lines two further in. */
function block(text: string, indent: number, width: number): string[] {
  const [first = '', ...rest] = wrapWords(text, width - indent);
  const more = rest.join(' ');
  return [' '.repeat(indent) + first, ...(more === '' ? [] : wrapWords(more, width - indent - 2).map((line) => ' '.repeat(indent + 2) + line))];
}

/** One change: `  would <what>`, then each detail four columns further in. */
export function changeLines(change: DryRunChange, width = 80): { what: string[]; details: string[] } {
  return {
    what: block(`would ${change.what}`, 2, width),
    details: (change.details ?? []).flatMap((detail) => block(detail, 6, width)),
  };
}
