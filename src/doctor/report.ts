/**
 * What doctor found, and the step that runs a list of checks without ever stopping on a failure:
 * doctor's verdict is the summary's exit code, after every check has run.
 */
import { IgniteError } from '../core/errors.js';
import type { CheckResult } from '../core/events.js';
import type { Step, StepIO } from '../core/step.js';
import type { CommandContext, DoctorReport } from '../steps/context.js';
import { fail, type Outcome } from '../core/check.js';
import { reportedResult, type Check } from '../steps/preflight.js';

export type { DoctorReport };

/** doctor's report on its context, started on first use so the summary can list every check. */
export function doctorReport(ctx: CommandContext): DoctorReport {
  return (ctx.doctor ??= { checkedAs: 'as for init', results: [], notRun: [] });
}

/** Runs one check: a check that throws is a failure of that check, never the end of doctor. */
export async function runOne(check: Check, ctx: CommandContext, io: StepIO): Promise<{ result: CheckResult; ignored: boolean }> {
  let raw: Outcome;
  try {
    raw = await check.run(ctx, io);
  } catch (error) {
    raw =
      error instanceof IgniteError
        ? fail(error.message, error.hint ?? 'See the message above.')
        : fail(`the check could not run: ${error instanceof Error ? error.message : String(error)}`, 'Run it again; if it persists, report it as a bug.');
  }
  const reported = reportedResult(check, raw, ctx.options);
  io.check(reported.result);
  doctorReport(ctx).results.push(reported.result);
  return reported;
}

export function countDetail(results: CheckResult[]): string {
  const n = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  return [n(results.length, 'check'), ...(warned > 0 ? [n(warned, 'warning')] : []), ...(failed > 0 ? [n(failed, 'failure')] : [])].join(', ');
}

/** Like preflightStep, but a failed check is reported and the step goes on and succeeds. */
export function checkStep(id: string, title: string, checks: (ctx: CommandContext) => Check[]): Step<CommandContext> {
  return {
    id,
    title,
    async run(ctx, io) {
      const results: CheckResult[] = [];
      for (const check of checks(ctx)) results.push((await runOne(check, ctx, io)).result);
      return { detail: countDetail(results) };
    },
  };
}

/** A check and the checks it needs: it runs only when they passed (an ignored failure did not pass). */
export interface DependentCheck {
  check: Check;
  needs: string[] | ((ctx: CommandContext) => string[]);
  /** Why it does not run even though its needs passed (e.g. no credential to run it with). */
  notNow?: (ctx: CommandContext) => string | undefined;
}

/** Runs the checks in order, each only when the ones it needs passed; the others are listed as not run. */
export async function runDependent(checks: readonly DependentCheck[], ctx: CommandContext, io: StepIO): Promise<CheckResult[]> {
  const report = doctorReport(ctx);
  const failed = new Set<string>();
  const results: CheckResult[] = [];
  for (const { check, needs, notNow } of checks) {
    const missing = (typeof needs === 'function' ? needs(ctx) : needs).filter((n) => failed.has(n));
    const reason = missing.length > 0 ? `needs ${missing.join(', ')}` : notNow?.(ctx);
    if (reason !== undefined) {
      failed.add(check.name);
      report.notRun.push({ name: check.name, reason });
      continue;
    }
    const { result, ignored } = await runOne(check, ctx, io);
    results.push(result);
    if (result.status === 'fail' || ignored) failed.add(check.name);
  }
  return results;
}
