/**
 * `ignite-net status`: reads etcd and this host, prints the model once (plain table, ink screen on a
 * terminal, or one JSON document), or keeps it live with --watch. The exit code is the verdict's
 * (0 healthy, 4 Docker unreadable, 5 etcd unreadable, 10 unhealthy, 11 not set up here), so scripts
 * and monitoring can use it. With --watch, Ctrl-C ends it with the last verdict's code.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Options } from '../options.js';
import { isIgniteError, toErrorView } from '../core/errors.js';
import type { Services } from '../adapters/services.js';
import { openStatusSession, statusServices, type StatusSession } from '../status/collect.js';
import type { StatusModel } from '../status/model.js';
import { paint } from '../ui/ansi.js';
import { colorEnabled, isCi } from '../ui/mode.js';
import { errorLines } from '../ui/plain-reporter.js';
import type { ReporterStreams } from '../ui/reporter.js';
import { statusDocument, statusErrorDocument } from '../ui/status-json.js';
import { renderStatusText } from '../ui/status-text.js';

export async function runStatus(options: Options, streams: ReporterStreams, signal: AbortSignal, services: Services = statusServices(options, streams.env)): Promise<number> {
  try {
    return await showStatus(options, streams, signal, services);
  } finally {
    services.closeAll();
  }
}

async function showStatus(options: Options, streams: ReporterStreams, signal: AbortSignal, services: Services): Promise<number> {
  let session: StatusSession;
  try {
    session = await openStatusSession(options, services);
  } catch (error) {
    if (!isIgniteError(error)) throw error;
    const view = toErrorView(error);
    if (options.json) await writeAll(streams.stdout, `${JSON.stringify(statusErrorDocument(view), null, options.watch ? undefined : 2)}\n`);
    else streams.stderr.write(`${errorLines(view, paint(colorEnabled(streams.stderr, streams.env)), '').join('\n')}\n`);
    return view.exitCode;
  }
  const terminal = !options.json && streams.stdout.isTTY === true && !isCi(streams.env) && streams.env['TERM'] !== 'dumb';
  if (!options.watch) {
    const model = await session.collect(signal);
    if (options.json) await writeAll(streams.stdout, `${JSON.stringify(statusDocument(model), null, 2)}\n`);
    else if (terminal) {
      const { createStatusView } = await import('../ui/ink/status/view.js');
      const view = createStatusView(streams, { color: colorEnabled(streams.stdout, streams.env) });
      view.show(model);
      await view.close();
    } else await writeAll(streams.stdout, `${renderStatusText(model, { color: colorEnabled(streams.stdout, streams.env) }).join('\n')}\n`);
    return model.exitCode;
  }
  return await watch(session, options, streams, signal, terminal);
}

/** Refreshes every --interval until Ctrl-C; a refresh never overlaps the one before. */
async function watch(session: StatusSession, options: Options, streams: ReporterStreams, signal: AbortSignal, terminal: boolean): Promise<number> {
  let show: (model: StatusModel, refreshing: boolean) => void;
  let close = async (): Promise<void> => {};
  if (options.json) {
    show = (model, refreshing) => {
      if (!refreshing) streams.stdout.write(`${JSON.stringify(statusDocument(model))}\n`);
    };
  } else if (terminal) {
    const { createStatusView } = await import('../ui/ink/status/view.js');
    const view = createStatusView(streams, { color: colorEnabled(streams.stdout, streams.env), watch: { intervalMs: options.intervalMs } });
    show = (model, refreshing) => view.show(model, refreshing);
    close = () => view.close();
  } else {
    // Not a terminal: append one table per refresh, separated by a blank line.
    let first = true;
    show = (model, refreshing) => {
      if (refreshing) return;
      streams.stdout.write(`${first ? '' : '\n'}${renderStatusText(model, { color: colorEnabled(streams.stdout, streams.env) }).join('\n')}\n`);
      first = false;
    };
  }
  let last: StatusModel | undefined;
  try {
    while (!signal.aborted) {
      if (last) show(last, true);
      last = await session.collect(signal);
      show(last, false);
      try {
        await sleep(options.intervalMs, undefined, { signal });
      } catch {
        break; // Ctrl-C: the normal way to leave --watch
      }
    }
  } finally {
    await close();
  }
  return last?.exitCode ?? 130;
}

/**
 * Writes and waits until the stream took it: on a pipe, stdout writes are asynchronous and the CLI
 * exits with process.exit(), which would cut a large document (1,000 leases) short.
 */
function writeAll(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    // An error (EPIPE: the reader went away) is handled in cli.ts; there is nothing left to wait for.
    stream.write(text, () => resolve());
  });
}
