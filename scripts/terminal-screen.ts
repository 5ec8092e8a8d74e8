/**
 * What a terminal shows once a program has finished drawing: replays the bytes written to a
 * pseudo-terminal (as `script` records them) on a grid `columns` wide, so the interactive UI's
 * redrawn frames (ink moves the cursor up and erases lines) leave only their last state, as on a
 * screen. scripts/docs-samples-hosts.ts uses it for the samples run in a terminal.
 *
 * Only what ink and the CLI write is understood: printable text, CR, LF, BS, CSI cursor moves
 * (A B C D G H f), erasing (K, J) and anything else in CSI or OSC form, which is dropped (colours,
 * cursor hiding). The grid has no height limit (nothing scrolls off); a character past the last column
 * wraps to the next line, as a terminal's auto-wrap does, and such a wrapped line is given back as the
 * one line it is (as a terminal copies it): the join command init prints unboxed stays one line.
 */
export function screenText(raw: string, columns: number): string {
  const lines: string[][] = [[]];
  /** Rows the auto-wrap began: the rest of the line above. */
  const continued = new Set<number>();
  let row = 0;
  let col = 0;
  const line = (r: number): string[] => {
    while (lines.length <= r) lines.push([]);
    return lines[r] as string[];
  };
  const chars = [...raw];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? '';
    if (c === '\r') col = 0;
    else if (c === '\n') row++;
    else if (c === '\b') col = Math.max(0, col - 1);
    else if (c === '\x1b') {
      const next = chars[i + 1];
      if (next === '[') {
        let j = i + 2;
        let params = '';
        while (j < chars.length && /[0-9;?>=!]/.test(chars[j] ?? '')) params += chars[j++];
        const final = chars[j] ?? '';
        i = j;
        const numbers = params.replace(/^[?>=!]/, '').split(';').map((p) => (p === '' ? undefined : Number(p)));
        const n = numbers[0] ?? 1;
        if (params.startsWith('?')) continue; // modes (cursor shown or hidden, bracketed paste)
        if (final === 'A') row = Math.max(0, row - n);
        else if (final === 'B') row += n;
        else if (final === 'C') col = Math.min(columns - 1, col + n);
        else if (final === 'D') col = Math.max(0, col - n);
        else if (final === 'G') col = Math.min(columns - 1, n - 1);
        else if (final === 'H' || final === 'f') {
          row = (numbers[0] ?? 1) - 1;
          col = (numbers[1] ?? 1) - 1;
        } else if (final === 'K') {
          const mode = numbers[0] ?? 0;
          const cells = line(row);
          if (mode === 0) cells.length = Math.min(cells.length, col);
          else if (mode === 1) for (let k = 0; k <= col && k < cells.length; k++) cells[k] = ' ';
          else {
            cells.length = 0;
            continued.delete(row);
          }
        } else if (final === 'J') {
          const mode = numbers[0] ?? 0;
          if (mode === 0) {
            line(row).length = Math.min(line(row).length, col);
            lines.length = row + 1;
            for (const r of continued) if (r > row) continued.delete(r);
          } else if (mode === 2 || mode === 3) {
            for (const cells of lines) cells.length = 0;
            continued.clear();
          }
        }
        // Anything else (m: colours) changes nothing on the grid.
      } else if (next === ']') {
        // OSC (a window title, a hyperlink): up to BEL or ESC \.
        let j = i + 2;
        while (j < chars.length && chars[j] !== '\x07' && !(chars[j] === '\x1b' && chars[j + 1] === '\\')) j++;
        i = chars[j] === '\x07' ? j : j + 1;
      } else i += 1; // a two-byte escape (ESC 7, ESC 8, ESC =): no text
    } else if (c >= ' ' && c !== '\x7f') {
      if (col >= columns) {
        row++;
        col = 0;
        continued.add(row);
      }
      const cells = line(row);
      while (cells.length < col) cells.push(' ');
      cells[col++] = c;
    }
  }
  const text: string[] = [];
  for (const [r, cells] of lines.entries()) {
    if (continued.has(r) && text.length > 0) text[text.length - 1] += cells.join('');
    else text.push(cells.join(''));
  }
  for (const [i, l] of text.entries()) text[i] = l.replace(/\s+$/, '');
  while (text.length > 0 && text[text.length - 1] === '') text.pop();
  return text.join('\n');
}
