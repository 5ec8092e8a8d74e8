/** An image pull as the Engine streams it, folded into per-layer progress for the UI. */
import type Docker from 'dockerode';
import type { PullProgress } from '../../core/events.js';
import { oneLine } from './errors.js';

const PULL_PROGRESS_INTERVAL_MS = 150;

/** Folds one line of the Engine's pull stream into per-layer progress; returns an error line's text. */
export function applyPullEvent(progress: PullProgress, event: unknown): { error?: string; changed: boolean } {
  if (typeof event !== 'object' || event === null) return { changed: false };
  const e = event as {
    id?: unknown;
    status?: unknown;
    error?: unknown;
    errorDetail?: { message?: unknown };
    progressDetail?: { current?: unknown; total?: unknown };
  };
  if (e.errorDetail !== undefined || e.error !== undefined) {
    const message = typeof e.errorDetail?.message === 'string' ? e.errorDetail.message : String(e.error);
    return { error: oneLine(message), changed: false };
  }
  // Lines without an id ("Digest: …", "Status: …") and the "Pulling from <repo>" line (id = tag) are not layers.
  if (typeof e.id !== 'string' || typeof e.status !== 'string' || e.status.startsWith('Pulling from')) {
    return { changed: false };
  }
  const layer: { status: string; current?: number; total?: number } = { status: e.status };
  const { current, total } = e.progressDetail ?? {};
  if (typeof current === 'number') layer.current = current;
  if (typeof total === 'number' && total > 0) layer.total = total;
  progress.layers[e.id] = layer;
  return { changed: true };
}

/**
 * Pulls `name` to the end of the Engine's stream, reporting progress at most once per interval and
 * always the final state. The signal ends the pull. A failure (an error line of the stream comes as
 * an Error with its text) goes through `failed`, which also tells an abort from a failure.
 */
export async function pullWithProgress(
  docker: Docker,
  name: string,
  onProgress: (progress: PullProgress) => void,
  signal: AbortSignal | undefined,
  failed: (error: unknown) => Error,
): Promise<void> {
  const progress: PullProgress = { image: name, layers: {} };
  let lastSent = 0;
  let pending: NodeJS.Timeout | undefined;
  const send = (): void => {
    pending = undefined;
    lastSent = Date.now();
    onProgress({ image: name, layers: { ...progress.layers } });
  };
  // At most one update per interval, and the latest state always goes out (trailing send).
  const schedule = (): void => {
    if (pending !== undefined) return;
    const wait = PULL_PROGRESS_INTERVAL_MS - (Date.now() - lastSent);
    if (wait <= 0) send();
    else pending = setTimeout(send, wait);
  };

  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.pull(name, signal ? { abortSignal: signal } : {})) as NodeJS.ReadableStream;
  } catch (error) {
    throw failed(error);
  }
  const onAbort = (): void => {
    // Destroying the response ends the request; dockerd then cancels the pull.
    (stream as NodeJS.ReadableStream & { destroy?: (e?: Error) => void }).destroy?.(new Error('pull interrupted'));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await new Promise<void>((resolve, reject) => {
      let streamError: string | undefined;
      docker.modem.followProgress(
        stream,
        (error: Error | null) => {
          if (error) reject(error);
          else if (streamError !== undefined) reject(new Error(streamError));
          else resolve();
        },
        (event: unknown) => {
          const result = applyPullEvent(progress, event);
          if (result.error !== undefined) streamError ??= result.error;
          else if (result.changed) schedule();
        },
      );
    });
  } catch (error) {
    throw failed(error);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (pending !== undefined) clearTimeout(pending);
  }
  send();
}
