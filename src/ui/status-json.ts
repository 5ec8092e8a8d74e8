/**
 * `status --json`: one JSON document on stdout (with --watch, one document per line per refresh).
 * The model is already plain data; `schema` lets scripts check what they read.
 */
import type { ErrorView } from '../core/errors.js';
import type { StatusModel } from '../status/model.js';

export const STATUS_SCHEMA = 'ignite-net/status/v1';

export function statusDocument(model: StatusModel): Record<string, unknown> {
  return { schema: STATUS_SCHEMA, ok: model.exitCode === 0, ...model };
}

/** When status could not run at all (not set up here, unreadable state file). */
export function statusErrorDocument(error: ErrorView, now: Date = new Date()): Record<string, unknown> {
  const { stack: _stack, ...rest } = error;
  return { schema: STATUS_SCHEMA, ok: false, generatedAt: now.toISOString(), verdict: 'unknown', exitCode: error.exitCode, error: rest };
}
