import type { CheckResult } from './events.js';

/**
 * What a check found, before its name and --ignore-preflight-errors are applied. Here, not in the
 * steps, so the pure evaluators in net/ and cni/ can return one.
 */
export type Outcome = Omit<CheckResult, 'name'>;

export const pass = (message: string): Outcome => ({ status: 'pass', message });
export const fail = (message: string, hint: string): Outcome => ({ status: 'fail', message, hint });
export const warn = (message: string, hint: string): Outcome => ({ status: 'warn', message, hint });
