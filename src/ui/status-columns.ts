/**
 * How the host table fits a terminal: its column widths and whether each host takes one line or two.
 * Pure, so the widths the ink screen draws at 80 or 100 columns are tested without a terminal.
 */

/** Widths that fit typical values, so the first few leases do not make the table jump — when they fit. */
export const MIN_HOST_WIDTHS = [14, 13, 7, 8, 9, 12, 10] as const;

/** Columns that move to a host's second line when the table is wider than the terminal (the reach columns). */
export const CONTINUED_COLUMNS = 2;

export const GAP = 2;
export const INDENT = 2;

export interface HostTableLayout {
  /** Width of each column on the first line (the last one shown is not padded). */
  widths: number[];
  /** true: the last CONTINUED_COLUMNS cells go on a second line, under the second column. */
  twoLines: boolean;
}

const lineWidth = (widths: readonly number[]): number => INDENT + widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);

/**
 * `natural`: per column, the widest of its header and every cell seen so far. Minimum widths are
 * added only when the table still fits; a table that does not fit even at its natural widths puts
 * the reach columns on a second line, so no header is ever cut (a cell may still be, as a last resort).
 */
export function fitHostTable(natural: readonly number[], columns: number): HostTableLayout {
  const padded = natural.map((w, i) => Math.max(w, MIN_HOST_WIDTHS[i] ?? 0));
  if (lineWidth(padded) <= columns) return { widths: padded, twoLines: false };
  if (lineWidth(natural) <= columns) return { widths: [...natural], twoLines: false };
  const first = natural.slice(0, natural.length - CONTINUED_COLUMNS);
  const paddedFirst = padded.slice(0, first.length);
  return { widths: lineWidth(paddedFirst) <= columns ? paddedFirst : first, twoLines: true };
}

/** The cells of one host as drawn: one line, or the first line and its continuation. */
export function hostLines(cells: readonly string[], header: readonly string[], layout: HostTableLayout): string[] {
  const pad = (row: readonly string[]): string => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(layout.widths[i] ?? 0))).join(' '.repeat(GAP));
  if (!layout.twoLines) return [`${' '.repeat(INDENT)}${pad(cells)}`];
  const split = cells.length - CONTINUED_COLUMNS;
  const under = INDENT + (layout.widths[0] ?? 0) + GAP;
  const rest = cells.slice(split).map((c, i) => `${(header[split + i] ?? '').toLowerCase()}: ${c}`).join(', ');
  return [`${' '.repeat(INDENT)}${pad(cells.slice(0, split))}`, `${' '.repeat(under)}${rest}`];
}
