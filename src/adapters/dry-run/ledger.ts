import { AsyncLocalStorage } from 'node:async_hooks';
import type { DryRunChange } from '../../core/events.js';
import { REDACTED } from '../../core/redact.js';

/** A flag whose value is a secret, wherever one would reach a recorded line: `--etcd-password=…`. */
const SECRET_FLAG = /((?:^|\s)--[\w-]*(?<!cluster-)(?:password|secret|token|psk)[\w-]*[= ])\S+/gi;

/** One adapter call's place in the list: its changes, and whether the call is over. */
interface Slot {
  changes: DryRunChange[];
  done: boolean;
}

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
  private readonly slots: Slot[] = [];
  private readonly call = new AsyncLocalStorage<Slot>();

  /** Records one change; details are kept off secrets by the recorder, and flags named like one are redacted here too. */
  record(kind: DryRunChange['kind'], what: string, details: readonly string[] = []): void {
    const change: DryRunChange = { kind, what: redactFlags(what), ...(details.length > 0 ? { details: details.map(redactFlags) } : {}) };
    const slot = this.call.getStore();
    if (slot !== undefined && !slot.done) {
      slot.changes.push(change);
      return;
    }
    this.slots.push({ changes: [change], done: true });
    this.flush();
  }

  /**
   * Runs one adapter call, its changes listed where the call was made, not when they were recorded:
   * a recorder that reads the host first records after an await, and of calls made side by side the
   * one whose read came back first would be listed first. So the same dry run lists the same changes
   * in the same order, run after run. A call inside another belongs to the outer one's place.
   */
  inOrder<R>(run: () => R): R {
    if (this.call.getStore()?.done === false) return run();
    const slot: Slot = { changes: [], done: false };
    this.slots.push(slot);
    const settle = (): void => {
      slot.done = true;
      this.flush();
    };
    let result: R;
    try {
      result = this.call.run(slot, run);
    } catch (error) {
      settle();
      throw error;
    }
    if (!(result instanceof Promise)) {
      settle();
      return result;
    }
    // The same promise type as run's: R is a Promise here, and .finally keeps its value and rejection.
    return result.finally(settle) as R;
  }

  /** Every adapter call of `adapter` through inOrder (a wrapped copy: `adapter` is a recorder's plain object). */
  ordered<T extends object>(adapter: T): T {
    const wrapped: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(adapter)) {
      wrapped[name] = typeof value === 'function' ? (...args: unknown[]) => this.inOrder(() => (value as (...a: unknown[]) => unknown).apply(adapter, args)) : value;
    }
    // The same keys, each function wrapped with its own signature kept.
    return wrapped as T;
  }

  /** Hands on the changes of every finished call that no unfinished earlier call holds back. */
  private flush(): void {
    while (this.slots[0]?.done === true) {
      const slot = this.slots.shift();
      for (const change of slot?.changes ?? []) {
        this.changes.push(change);
        for (const listener of this.listeners) listener(change);
      }
    }
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
