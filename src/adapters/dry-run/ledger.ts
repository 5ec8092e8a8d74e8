import type { DryRunChange } from '../../core/events.js';
import { REDACTED } from '../../core/redact.js';

/** A flag whose value is a secret, wherever one would reach a recorded line: `--etcd-password=…`. */
const SECRET_FLAG = /((?:^|\s)--[\w-]*(?<!cluster-)(?:password|secret|token|psk)[\w-]*[= ])\S+/gi;

/**
 * What a dry run's recording adapters stood in for, in order, and the facts one adapter learns that
 * another needs: which containers it would start and which etcd (by client URL) would be a new one.
 * Nothing in it is ever written to the host.
 */
export class DryRunLedger {
  readonly changes: DryRunChange[] = [];
  /** Client URLs of an etcd this run would start where none runs now: reads of it answer as a new etcd. */
  readonly newEtcdUrls = new Set<string>();
  /** Container names this run would start (create or replace). */
  readonly started = new Set<string>();
  private listeners: ((change: DryRunChange) => void)[] = [];

  /** Records one change; details are kept off secrets by the recorder, and flags named like one are redacted here too. */
  record(kind: DryRunChange['kind'], what: string, details: readonly string[] = []): void {
    const change: DryRunChange = { kind, what: redactFlags(what), ...(details.length > 0 ? { details: details.map(redactFlags) } : {}) };
    this.changes.push(change);
    for (const listener of this.listeners) listener(change);
  }

  /** Calls `listener` with every change recorded from now on (runCommand turns them into events). */
  listen(listener: (change: DryRunChange) => void): void {
    this.listeners.push(listener);
  }

  /** How many changes it recorded: the waits it skipped are not changes. */
  changeCount(): number {
    return this.changes.filter((c) => c.kind !== 'wait').length;
  }

  /** Whether a container of this name would be started by this run: what it does cannot be observed. */
  wouldStart(name: string): boolean {
    return this.started.has(name);
  }
}

export const redactFlags = (text: string): string => text.replace(SECRET_FLAG, `$1${REDACTED}`);
