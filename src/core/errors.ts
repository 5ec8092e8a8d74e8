/**
 * Typed errors that an operator can cause or fix. Each carries a one-line message, a hint (what to
 * do next) and a distinct exit code; the reporters render them, the CLI exits with the code.
 * Anything thrown that is not an IgniteError is a bug and is shown with its stack.
 */
export const ExitCode = {
  ok: 0,
  bug: 1,
  usage: 2,
  preflight: 3,
  docker: 4,
  etcd: 5,
  peer: 6,
  timeout: 7,
  conflict: 8,
  permission: 9,
  /** status: the overlay or this host has a problem (listed in the output). */
  unhealthy: 10,
  /** status: nothing to look at — no state file, no --etcd-endpoint, no local ignite-etcd. */
  notSetUp: 11,
  interrupted: 130,
} as const;

export type ExitCodeName = keyof typeof ExitCode;

export interface IgniteErrorOptions {
  hint?: string;
  /** Extra lines shown under the message, e.g. a container's last log lines or a config diff. */
  details?: string[];
  cause?: unknown;
  /** The operator said no (cleanup's confirmation): reported as cancelled, not as a failure. */
  cancelled?: boolean;
}

/**
 * Marks an IgniteError made by any copy of this module. dist/ holds two: the commands' CommonJS
 * bundle and the terminal UI's ES module chunks (scripts/build.mjs), and an error the UI's prompter
 * rejects with must still be an IgniteError to the runner.
 */
const BRAND = Symbol.for('ignite-net.IgniteError');

export class IgniteError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    // A subclass (EtcdUnreachableError) keeps the prototype test.
    if (this !== IgniteError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  override readonly name = 'IgniteError';
  readonly hint: string | undefined;
  readonly details: string[];
  readonly cancelled: boolean;

  constructor(
    readonly kind: ExitCodeName,
    message: string,
    options: IgniteErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
    this.details = options.details ?? [];
    this.cancelled = options.cancelled === true;
  }

  get exitCode(): number {
    return ExitCode[this.kind];
  }
}
Object.defineProperty(IgniteError.prototype, BRAND, { value: true });

export const usageError = (message: string, hint?: string): IgniteError =>
  new IgniteError('usage', message, { hint: hint ?? 'Run `ignite-net --help` for usage.' });

/**
 * What a step, a wait or a prompt throws once the command is interrupted (Ctrl-C). Its hint names no
 * cleanup: the runner undoes every change, and only when something stays does it say so
 * (interruptedLeavingError), so a host with nothing set up is never sent to `ignite-net cleanup`.
 */
export const interruptedError = (): IgniteError =>
  new IgniteError('interrupted', 'interrupted', { hint: 'Run the same command again to start over.' });

/** The interrupt once some changes could not be undone (they are listed as left in place). */
export const interruptedLeavingError = (): IgniteError =>
  new IgniteError('interrupted', 'interrupted; what is listed below was left in place', {
    hint: 'Run the same command again to finish, or `ignite-net cleanup` to remove what was left.',
  });

/** The interrupt as interruptedError makes it (not a cancelled confirmation, which is also `interrupted`). */
export const isPlainInterrupt = (error: unknown): boolean => error instanceof IgniteError && error.kind === 'interrupted' && error.message === 'interrupted';

export function isIgniteError(error: unknown): error is IgniteError {
  return error instanceof IgniteError;
}

/** The shape the reporters see: plain data, safe to JSON.stringify. */
export interface ErrorView {
  kind: ExitCodeName;
  exitCode: number;
  message: string;
  hint?: string;
  details: string[];
  stack?: string;
  /** The operator declined; nothing failed. */
  cancelled?: true;
}

export function toErrorView(error: unknown): ErrorView {
  if (isIgniteError(error)) {
    return {
      kind: error.kind,
      exitCode: error.exitCode,
      message: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      details: error.details,
      ...(error.cancelled ? { cancelled: true as const } : {}),
    };
  }
  const err = error instanceof Error ? error : new Error(String(error));
  return {
    kind: 'bug',
    exitCode: ExitCode.bug,
    message: `unexpected error: ${err.message}`,
    hint: 'This is a bug in ignite-net; please report it with the output above.',
    details: [],
    ...(err.stack === undefined ? {} : { stack: err.stack }),
  };
}
