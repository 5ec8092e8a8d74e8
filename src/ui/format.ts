/** Pure text helpers shared by the plain reporter and the ink UI. */
import type { PullProgress, SummaryLine } from '../core/events.js';

/** Decimal megabytes with one digit, as `docker pull` shows them. */
export const megabytes = (bytes: number): string => (bytes / 1e6).toFixed(1);

export interface LayerView {
  id: string;
  status: string;
  current?: number;
  total?: number;
}

export interface PullSummary {
  image: string;
  layers: number;
  done: number;
  waiting: number;
  /** Layers moving now (downloading, verifying, extracting), in the order the Engine reported them. */
  active: LayerView[];
  currentBytes: number;
  totalBytes: number;
}

const DONE = new Set(['pull complete', 'already exists']);
const WAITING = new Set(['waiting', 'pulling fs layer']);
const DOWNLOADED = new Set(['download complete', 'verifying checksum', 'extracting']);

export function summarizePull(pull: PullProgress): PullSummary {
  const summary: PullSummary = {
    image: pull.image,
    layers: 0,
    done: 0,
    waiting: 0,
    active: [],
    currentBytes: 0,
    totalBytes: 0,
  };
  for (const [id, layer] of Object.entries(pull.layers)) {
    const status = layer.status.toLowerCase();
    summary.layers += 1;
    if (DONE.has(status)) summary.done += 1;
    else if (WAITING.has(status)) summary.waiting += 1;
    else summary.active.push({ id, ...layer });
    if (layer.total !== undefined && layer.total > 0) {
      summary.totalBytes += layer.total;
      const downloaded = DONE.has(status) || DOWNLOADED.has(status) ? layer.total : Math.min(layer.current ?? 0, layer.total);
      summary.currentBytes += downloaded;
    }
  }
  return summary;
}

/** Every layer of the image pulled (or already present). */
export function pullComplete(pull: PullProgress): boolean {
  const s = summarizePull(pull);
  return s.layers > 0 && s.done === s.layers;
}

/** "pulling <image>: 3/5 layers, 12.3/40.1 MB" */
export function pullLine(pull: PullProgress): string {
  const s = summarizePull(pull);
  const bytes = s.totalBytes > 0 ? `, ${megabytes(s.currentBytes)}/${megabytes(s.totalBytes)} MB` : '';
  return `pulling ${s.image}: ${s.done}/${s.layers} layers${bytes}`;
}

/** Label/value lines with the values in one column. */
export function alignSummary(lines: SummaryLine[]): { label: string; value: string }[] {
  const width = Math.max(0, ...lines.map((line) => line.label.length));
  return lines.map((line) => ({ label: line.label.padEnd(width), value: line.value }));
}

/**
 * `text` broken at blanks into lines of at most `width` characters; a word longer than that is cut.
 * The break's blank is dropped, so a continuation line starts at its column — ink's own wrap keeps
 * that blank when a line fills the width exactly, and the next line starts one column too far.
 */
export function wrapWords(text: string, width: number): string[] {
  const max = Math.max(1, width);
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    // Words and the blanks between them; blanks inside a line are kept as they are (aligned columns).
    const tokens = paragraph.split(/( +)/);
    let line = cutLong(tokens[0] ?? '', max, out);
    for (let i = 1; i < tokens.length; i += 2) {
      const gap = tokens[i] ?? '';
      const word = tokens[i + 1] ?? '';
      if (line.length + gap.length + word.length <= max) line += gap + word;
      else {
        out.push(line);
        line = word;
      }
      line = cutLong(line, max, out);
    }
    out.push(cutLong(line, max, out));
  }
  return out;
}

/** Pushes full `max`-wide pieces of a too-long line to `out`; returns what is left of it. */
function cutLong(line: string, max: number, out: string[]): string {
  let rest = line;
  while (rest.length > max) {
    out.push(rest.slice(0, max));
    rest = rest.slice(max);
  }
  return rest;
}
