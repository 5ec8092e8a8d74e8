/**
 * Append-only lines for scripts, CI logs and pipes: no cursor movement, colour only on a terminal
 * without NO_COLOR. Progress goes to stderr; the summary (the command's result) goes to stdout.
 *
 *   › etcd  Start etcd
 *     pulling gcr.io/etcd-development/etcd:v3.6.16: 3/5 layers, 12.3/40.1 MB
 *   ✖ etcd  Start etcd (60.0s)
 *     error: etcd did not answer on 127.0.0.1:2379 within 60s
 *       <detail line>
 *     hint: see `docker logs ignite-etcd`
 */
import { formatDuration } from '../core/duration.js';
import type { ErrorView } from '../core/errors.js';
import type { PullProgress, RunEventBody } from '../core/events.js';
import { paint } from './ansi.js';
import type { Paint } from './ansi.js';
import { changeLines, DRY_RUN_HEADER, dryRunFooter } from './dry-run-lines.js';
import { pullComplete, pullLine } from './format.js';
import { symbols } from './marks.js';
import { colorEnabled } from './mode.js';
import { createNonInteractivePrompter, defaultAnswerWarning, stepTracker } from './noninteractive-prompter.js';
import { summaryLines, type Reporter } from './reporter-contract.js';
import type { TextOutput } from './streams.js';

export interface PlainReporterOptions {
  stdout: TextOutput;
  stderr: TextOutput;
  env: NodeJS.ProcessEnv;
  /** Least time between two progress lines of one step. */
  progressIntervalMs?: number;
  now?: () => number;
}

export const DEFAULT_PROGRESS_INTERVAL_MS = 3000;

/** The lines an error prints: what went wrong, the evidence, what to do. */
export function errorLines(error: ErrorView, p: Paint, indent = '  '): string[] {
  const lines = [`${indent}${error.cancelled ? p.yellow('cancelled:') : p.red('error:')} ${error.message}`];
  for (const detail of error.details) lines.push(`${indent}  ${p.dim(detail)}`);
  if (error.stack !== undefined) {
    for (const frame of error.stack.split('\n').slice(1)) lines.push(`${indent}  ${p.dim(frame.trim())}`);
  }
  if (error.hint !== undefined) lines.push(`${indent}${p.cyan('hint:')} ${error.hint}`);
  return lines;
}

export function createPlainReporter(options: PlainReporterOptions): Reporter {
  const { stdout, stderr, env } = options;
  const err = paint(colorEnabled(stderr, env));
  const out = paint(colorEnabled(stdout, env));
  const interval = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const now = options.now ?? Date.now;
  const lastProgress = new Map<string, { at: number; text: string; image?: string }>();
  let command: string | undefined;
  const steps = stepTracker();
  let lastFailure: string | undefined;

  const write = (stream: TextOutput, lines: string[]): void => {
    if (lines.length > 0) stream.write(`${lines.join('\n')}\n`);
  };

  /**
   * At most one line per step every `interval`, but never dropping the first line of an image's pull
   * nor its last (every layer done), so a log shows each image from its start to its full size.
   */
  function progress(id: string, text: string, pull?: PullProgress): string[] {
    const last = lastProgress.get(id);
    const at = now();
    const image = pull?.image;
    const milestone = pull !== undefined && (image !== last?.image || pullComplete(pull));
    if (last !== undefined && (last.text === text || (at - last.at < interval && !milestone))) return [];
    lastProgress.set(id, { at, text, ...(image === undefined ? {} : { image }) });
    return [`  ${err.dim(text)}`];
  }

  function render(event: RunEventBody): string[] {
    switch (event.type) {
      case 'command-start':
        command = event.command;
        return event.dryRun ? [err.yellow(DRY_RUN_HEADER)] : [];
      case 'would-change': {
        const { what, details } = changeLines(event.change);
        return [...what.map((line) => err.yellow(line)), ...details.map((line) => err.dim(line))];
      }
      case 'step-start':
        return [`${err.dim(symbols.running)} ${event.id}  ${event.title}`];
      case 'step-progress':
        return event.pull ? progress(event.id, pullLine(event.pull), event.pull) : progress(event.id, event.message);
      case 'step-success': {
        lastProgress.delete(event.id);
        const detail = event.detail ? ` — ${event.detail}` : '';
        return [`${err.green(symbols.success)} ${event.id}  ${event.title} ${err.dim(`(${formatDuration(event.durationMs)})`)}${detail}`];
      }
      case 'step-skip':
        return [`${err.dim(symbols.skip)} ${event.id}  ${event.title} ${err.dim(`— skipped: ${event.reason}`)}`];
      case 'step-fail':
        lastProgress.delete(event.id);
        lastFailure = event.error.message;
        return [
          `${event.error.cancelled ? err.yellow(symbols.skip) : err.red(symbols.fail)} ${event.id}  ${event.title} ${err.dim(`(${formatDuration(event.durationMs)})`)}`,
          ...errorLines(event.error, err),
        ];
      case 'check': {
        const { check } = event;
        if (check.status === 'pass') return [];
        const tag = check.status === 'fail' ? err.red(`[ERROR ${check.name}]`) : err.yellow(`[WARN ${check.name}]`);
        return [`  ${tag} ${check.message}${check.hint ? ` — ${check.hint}` : ''}`];
      }
      case 'warning': {
        const tag = err.yellow(event.stepId === undefined ? '[WARN]' : `[WARN ${event.stepId}]`);
        return [`  ${tag} ${event.message}${event.hint ? ` — ${event.hint}` : ''}`];
      }
      case 'undo':
        return event.ok
          ? [`${err.dim(symbols.undo)} undone  ${event.title}`]
          : [`${err.red(symbols.fail)} undo failed  ${event.title}${event.message ? `: ${event.message}` : ''}`];
      case 'summary':
        write(stdout, summaryLines(event, out));
        return [];
      case 'command-end': {
        const name = command === undefined ? '' : `${command} `;
        const took = formatDuration(event.durationMs);
        const footer = event.dryRun ? [err.yellow(dryRunFooter(event.dryRun.changes))] : [];
        if (event.ok) return [...footer, `${err.green(symbols.success)} ${name}${event.dryRun ? '--dry-run ' : ''}done in ${took}`];
        // The operator said no: nothing failed, and the step above said why.
        if (event.error?.cancelled) return [...footer, `${err.yellow(symbols.skip)} ${name}cancelled (exit ${event.exitCode})`];
        // A step's failure was printed in full under the step; an error outside any step (the host
        // lock) was not: it comes first, so the end line is the last thing said, as after a step.
        const lines = event.error !== undefined && event.error.message !== lastFailure ? errorLines(event.error, err, '') : [];
        lines.push(...footer, `${err.red(symbols.fail)} ${name}failed after ${took} (exit ${event.exitCode})`);
        if (event.leftInPlace.length > 0) {
          lines.push('  left in place:');
          for (const item of event.leftInPlace) lines.push(`    - ${item}`);
        }
        return lines;
      }
    }
  }

  const reporter: Reporter = {
    mode: 'plain',
    emit(event) {
      steps.see(event);
      write(stderr, render(event));
    },
    prompter: createNonInteractivePrompter({
      onDefault: (answer) => reporter.emit({ type: 'warning', ...steps.owner(), ...defaultAnswerWarning(answer) }),
    }),
    async close() {},
  };
  return reporter;
}
