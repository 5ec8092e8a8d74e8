import { igniteSummaryLines } from '../cni/ignite-config.js';
import { ignoresPreflightError, type Options } from '../options.js';
import { IgniteError, isPlainInterrupt, toErrorView } from '../core/errors.js';
import type { Emit, SummaryLine } from '../core/events.js';
import type { Prompter } from '../core/prompt.js';
import { runSteps, type RunOptions } from '../core/runner.js';
import type { Step } from '../core/step.js';
import { hostServices, type Services } from '../adapters/services.js';
import { dryRunServices } from '../adapters/dry-run/services.js';
import type { DryRunLedger } from '../adapters/dry-run/ledger.js';
import type { Lock } from '../adapters/state.js';
import { newContext, type CommandContext } from '../steps/context.js';

export interface CommandSpec {
  name: string;
  /** Takes the host lock: only one such command runs on a host at a time. */
  changesHost: boolean;
  steps(options: Options): Step<CommandContext>[];
  /** exitCode: a command whose steps all ran may still report a non-zero verdict (doctor). */
  summary(ctx: CommandContext): { title: string; lines: SummaryLine[]; next: string[]; exitCode?: number };
  /**
   * The hint of a plain interrupt (Ctrl-C), for a command whose steps are not undone (cleanup: what it
   * removed stays removed), instead of the runner's "run the same command again to start over".
   */
  interruptHint?: string;
}

export const restartIgnitedNote = 'A running ignited reads the CNI config once: restart it (systemctl restart ignited) to use the overlay.';

/**
 * init/join's summary: Ignite's findings as lines (steps/ignite.ts), and the restart note unless nothing
 * changed or a finding already says to restart ignited.
 */
export function igniteSummary(ctx: CommandContext, already: boolean): { lines: SummaryLine[]; next: string[] } {
  const findings = ctx.igniteFindings ?? [];
  const restartSaid = findings.some((f) => f.code === 'ignited-stale-cni-config');
  return { lines: igniteSummaryLines(findings), next: already || restartSaid ? [] : [restartIgnitedNote] };
}

/** init/join's "this host's subnet" line: the lease, and whether it is fixed. */
export const subnetLine = (ctx: CommandContext): string =>
  `${ctx.subnet ?? '?'}${ctx.fixedSubnet !== undefined && ctx.subnet === ctx.fixedSubnet ? ' (fixed: kept for this host; `cleanup --purge` frees it)' : ''}`;

export interface CommandRun {
  emit: Emit;
  prompter: Prompter;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** Defaults to the real host's (hostServices); tests pass fakes. */
  services?: Services;
}

/** The only reader of the test hook's variable; see docs/development.md. */
export const TEST_PAUSE_ENV = 'IGNITE_NET_TEST_PAUSE_AT';

/**
 * Test hook, inert unless IGNITE_NET_TEST_PAUSE_AT names a step id of this command (`<step>`: before
 * it; `<step>:<n>`: inside it, right after the n-th change it declares): the runner waits there
 * (printing a marker warning) until SIGUSR2 continues the run or SIGINT interrupts it, so tests can
 * deliver Ctrl-C (or cut the network) at a chosen point.
 */
function testPause(spec: CommandSpec, options: Options, run: CommandRun): { pauseBefore?: RunOptions['pauseBefore'] } {
  const value = run.env[TEST_PAUSE_ENV];
  if (value === undefined || value === '') return {};
  const [, stepId = '', change] = /^([^:]*)(?::([1-9]\d*))?$/.exec(value) ?? [];
  const known = spec.steps(options).map((step) => step.id);
  if (!known.includes(stepId)) {
    run.emit({ type: 'warning', message: `${TEST_PAUSE_ENV}=${value} names no step of ${spec.name} (${known.join(', ')}); not pausing` });
    return {};
  }
  const resumed = new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));
  const where = change === undefined ? `before step ${stepId}` : `in step ${stepId} after change ${change}`;
  const message = `${TEST_PAUSE_ENV}: paused ${where} (pid ${process.pid}); SIGUSR2 continues, SIGINT interrupts`;
  return { pauseBefore: { stepId, ...(change === undefined ? {} : { afterChange: Number(change) }), resumed, message } };
}

/**
 * The host lock lives in a root-only directory, so without root it cannot be taken. Say what the
 * IsPrivilegedUser preflight check (which runs after the lock) would say, rather than EACCES.
 */
async function lockHost(options: Options, services: Services): Promise<Lock> {
  try {
    return await services.state.acquireLock(options.stateDir);
  } catch (error) {
    const notRoot = typeof process.geteuid === 'function' && process.geteuid() !== 0;
    if (error instanceof IgniteError && error.kind === 'permission' && notRoot && !ignoresPreflightError(options, 'IsPrivilegedUser')) {
      throw new IgniteError('preflight', 'preflight found an error: IsPrivilegedUser: ignite-net is not running as root', {
        hint: `Run it with sudo: it writes CNI config and drives Docker (${error.message}).`,
        cause: error,
      });
    }
    throw error;
  }
}

/** A dry run's summary: the command's facts, said as what would be, and no next step to copy (a join command's token was never made). */
function dryRunSummary(spec: CommandSpec, summary: ReturnType<CommandSpec['summary']>, ledger: DryRunLedger): ReturnType<CommandSpec['summary']> {
  const count = ledger.changeCount();
  return {
    title: `ignite-net ${spec.name} --dry-run: nothing was changed`,
    lines: [
      ...summary.lines.map((line) => (line.label === 'removed' ? { label: 'would remove', value: line.value } : line)),
      { label: 'would change', value: count === 0 ? 'nothing' : `${count} thing${count === 1 ? '' : 's'} (listed under each step)` },
    ],
    next: count === 0 ? [] : [`Run the same command without --dry-run to make ${count === 1 ? 'this change' : 'these changes'}.`],
    ...(summary.exitCode === undefined ? {} : { exitCode: summary.exitCode }),
  };
}

/** Runs one command's steps and reports its end; returns the exit code. */
export async function runCommand(spec: CommandSpec, options: Options, run: CommandRun): Promise<number> {
  const started = Date.now();
  const real = run.services ?? hostServices(options, run.env);
  // --dry-run: the same steps on recording adapters (kubeadm's dry run); see adapters/dry-run.
  const services = options.dryRun ? dryRunServices(real) : real;
  const ledger = services.dryRun;
  let currentStep: string | undefined;
  const emit: CommandRun['emit'] = (event) => {
    if (event.type === 'step-start') currentStep = event.id;
    run.emit(event);
  };
  ledger?.listen((change) => run.emit({ type: 'would-change', ...(currentStep === undefined ? {} : { stepId: currentStep }), change }));
  const ctx = newContext(options, run.env, services);
  emit({ type: 'command-start', command: spec.name, ...(ledger ? { dryRun: true as const } : {}) });
  const end = (error: unknown, leftInPlace: string[]): number => {
    const view = toErrorView(error);
    // A dry run made none of the changes its undos would take back.
    emit({ type: 'command-end', ok: false, exitCode: view.exitCode, durationMs: Date.now() - started, error: view, leftInPlace: ledger ? [] : leftInPlace, ...(ledger ? { dryRun: { changes: ledger.changeCount() } } : {}) });
    return view.exitCode;
  };
  let lock: Lock | undefined;
  try {
    if (spec.changesHost) lock = await lockHost(options, services);
    const outcome = await runSteps(spec.steps(options), ctx, {
      emit,
      prompter: run.prompter,
      signal: run.signal,
      // A dry run's undos would take back nothing: they are not run.
      keepOnFailure: options.keepOnFailure || ledger !== undefined,
      ...(ledger ? { dryRunSkip: (step: Pick<Step<CommandContext>, 'observes' | 'confirmsChanges'>) => dryRunSkip(step, ledger) } : {}),
      ...testPause(spec, options, run),
    });
    if (!outcome.ok) {
      const error = spec.interruptHint !== undefined && isPlainInterrupt(outcome.error) ? new IgniteError('interrupted', 'interrupted', { hint: spec.interruptHint }) : outcome.error;
      return end(error ?? new IgniteError('bug', 'command failed'), outcome.leftInPlace);
    }
    const summary = ledger ? dryRunSummary(spec, spec.summary(ctx), ledger) : spec.summary(ctx);
    emit({ type: 'summary', ...summary });
    const exitCode = summary.exitCode ?? 0;
    emit({ type: 'command-end', ok: exitCode === 0, exitCode, durationMs: Date.now() - started, leftInPlace: [], ...(ledger ? { dryRun: { changes: ledger.changeCount() } } : {}) });
    return exitCode;
  } catch (error) {
    return end(error, []);
  } finally {
    ctx.store?.close();
    services.closeAll();
    await lock?.release();
  }
}

/**
 * Why a dry run skips a step: it checks what a container the dry run would start does (Step.observes),
 * or it only asks to go ahead with changes, and a dry run makes none (Step.confirmsChanges).
 */
function dryRunSkip(step: Pick<Step<CommandContext>, 'observes' | 'confirmsChanges'>, ledger: DryRunLedger): string | undefined {
  if (step.confirmsChanges) return 'dry run: nothing to confirm';
  const name = step.observes?.find((n) => ledger.wouldStart(n));
  return name === undefined ? undefined : `dry run: ${name} is not started`;
}
