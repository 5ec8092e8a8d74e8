import type { CheckResult, PullProgress } from './events.js';
import type { Prompter } from './prompt.js';

/** What a step gets besides the command's own context: ways to report and to ask. */
export interface StepIO {
  progress(message: string, pull?: PullProgress): void;
  warn(message: string, hint?: string): void;
  check(result: CheckResult): void;
  /**
   * Declares a change this step just made and how to take it back, as soon as it is made: if the
   * step (or a later one) fails or is interrupted, the runner undoes it, also mid-step. Await it: it
   * rejects (kind 'interrupted') once the run is interrupted, so Ctrl-C stops a step at its next change
   * rather than letting it run on (a call not awaited is harmless: the step then stops at its end).
   */
  changed(undo: Undo): Promise<void>;
  prompter: Prompter;
  signal: AbortSignal;
}

export interface StepResult {
  /** Shown beside the ✔, e.g. "10.50.31.0/24". */
  detail?: string;
  /** How to take back what this step changed (or use io.changed); the runner calls it at most once. */
  undo?: Undo;
  /**
   * A point of no return: every change declared so far (this step's included) stays when a later step
   * fails; the run is then finished by running the command again (join --control-plane once promoted).
   */
  keep?: true;
}

export interface Undo {
  title: string;
  run(): Promise<void>;
}

export interface Step<C> {
  id: string;
  title: string;
  /**
   * Containers (by name) whose effect this step checks (flannel's devices, the overlay's path): a dry
   * run that would start one of them skips the step, since what it checks cannot be seen (runner.ts).
   */
  observes?: readonly string[];
  /** Only asks the operator to go ahead with the changes that follow (cleanup's confirmation): a dry run, which makes none, skips it. */
  confirmsChanges?: true;
  /** A reason to skip this step, or undefined to run it. */
  skip?(ctx: C): string | undefined | Promise<string | undefined>;
  run(ctx: C, io: StepIO): Promise<StepResult | void>;
}

