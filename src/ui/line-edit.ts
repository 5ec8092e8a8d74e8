/**
 * Line editing for the text prompt as a pure function over input chunks. A terminal read can hold
 * several keys at once (a paste, or keys that queued up over a slow SSH link), so a chunk is applied
 * key by key: a pasted address followed by Enter submits, three backspaces delete three characters.
 */

/** The line after a chunk; `submitted` when an Enter in it ended the line (what followed it is dropped). */
export interface LineEdit {
  value: string;
  submitted: boolean;
}

const BACKSPACE = new Set(['\u007F', '\b']);
const ENTER = new Set(['\r', '\n']);
const CTRL_U = '\u0015';
const CTRL_W = '\u0017';

/** The line with its last word (and the blanks after it) removed, as readline's Ctrl-W does. */
function deleteWord(value: string): string {
  return value.replace(/\S*\s*$/, '');
}

/** Applies one chunk of raw terminal input to the line. */
export function editLine(value: string, chunk: string): LineEdit {
  let line = value;
  for (let i = 0; i < chunk.length; i++) {
    const ch = chunk[i] as string;
    if (ENTER.has(ch)) return { value: line, submitted: true };
    if (BACKSPACE.has(ch)) line = [...line].slice(0, -1).join('');
    else if (ch === CTRL_U) line = '';
    else if (ch === CTRL_W) line = deleteWord(line);
    else if (ch === '\u001B') i = skipEscape(chunk, i);
    // Other control characters (Tab, Ctrl-A…) are not part of an answer.
    else if (ch >= ' ') line += ch;
  }
  return { value: line, submitted: false };
}

/** Index of the last character of the escape sequence starting at `start` (arrow keys, Alt-x): they edit nothing. */
function skipEscape(chunk: string, start: number): number {
  const next = chunk[start + 1];
  if (next === '[' || next === 'O') {
    // CSI / SS3: parameters, then one final byte in @–~.
    let i = start + 2;
    while (i < chunk.length && !/[@-~]/.test(chunk[i] as string)) i++;
    return Math.min(i, chunk.length - 1);
  }
  return next === undefined ? start : start + 1;
}

/** What ink's useInput hands over, turned back into the raw chunk it was parsed from. */
export interface InkKey {
  return: boolean;
  backspace: boolean;
  delete: boolean;
  ctrl: boolean;
  meta: boolean;
  upArrow: boolean;
  downArrow: boolean;
  leftArrow: boolean;
  rightArrow: boolean;
  tab: boolean;
  escape: boolean;
}

/**
 * ink parses a one-key chunk into a name (Enter → key.return, input '') and passes a longer chunk
 * through unparsed as `input`; this gives editLine the chunk either way.
 */
export function chunkFromInk(input: string, key: InkKey): string {
  if (key.return) return '\r';
  // ink 5 reports DEL (what the Backspace key sends) as `delete`; there is no forward delete at the line's end.
  if (key.backspace || key.delete) return '\u007F';
  if (key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.tab || key.escape) return '';
  if (key.ctrl && /^[a-z]$/.test(input)) return String.fromCharCode(input.charCodeAt(0) - 96);
  if (key.meta && input.length === 1) return '';
  return input;
}
