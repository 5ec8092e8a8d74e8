/**
 * What every reporter (ink, plain lines, JSON lines) is and shares, in a module of its own: the
 * factory (reporter.ts) imports the reporters, and they import only this, so no import closes a circle.
 */
import type { RunEventBody } from '../core/events.js';
import type { Paint } from './ansi.js';
import { alignSummary } from './format.js';
import type { UiMode } from './mode.js';
import type { Prompter } from './prompt.js';

export interface Reporter {
  readonly mode: UiMode;
  /** Renders one event; the reporter stamps its timestamp. */
  emit(event: RunEventBody): void;
  readonly prompter: Prompter;
  /** Flushes the last output (the final ink frame) and releases the terminal. */
  close(): Promise<void>;
}

export interface ReporterStreams {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
}

/** The summary block, as the plain and the ink reporter write it to stdout. */
export function summaryLines(event: Extract<RunEventBody, { type: 'summary' }>, p: Paint): string[] {
  const lines = [p.bold(event.title)];
  for (const { label, value } of alignSummary(event.lines)) lines.push(`  ${p.dim(label)}  ${value}`);
  return [...lines, ...nextLines(event, p)];
}

/** The summary's commands to run next, one per line, never wrapped by us (the join command is copied whole). */
export function nextLines(event: Extract<RunEventBody, { type: 'summary' }>, p: Paint): string[] {
  return event.next.length > 0 ? [p.bold('next:'), ...event.next.map((command) => `  ${command}`)] : [];
}
