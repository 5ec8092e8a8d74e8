/**
 * The interactive reporter: renders <App> to stderr with ink. Loaded only in interactive mode
 * (src/ui/reporter.ts imports this file dynamically).
 */
import { render } from 'ink';
import { interruptedError } from '../../core/errors.js';
import type { RunEventBody } from '../../core/events.js';
import { paint } from '../ansi.js';
import { createEventStore } from '../event-store.js';
import { colorEnabled } from '../mode.js';
import { nextLines, summaryLines, type Reporter, type ReporterStreams } from '../reporter-contract.js';
import { App } from './App.js';
import { createInkPrompter } from './prompter.js';

export interface InkReporterOptions {
  /** Ctrl-C pressed inside a prompt; by default raises SIGINT so the command's own handler runs. */
  onInterrupt?: () => void;
  clock?: () => Date;
}

export function createInkReporter(streams: ReporterStreams, options: InkReporterOptions = {}): Reporter {
  const clock = options.clock ?? (() => new Date());
  const onInterrupt = options.onInterrupt ?? (() => process.kill(process.pid, 'SIGINT'));
  const store = createEventStore();
  const instance = render(<App store={store} color={colorEnabled(streams.stderr, streams.env)} onInterrupt={onInterrupt} />, {
    stdout: streams.stderr,
    stdin: streams.stdin,
    exitOnCtrlC: false,
    // ink would route console.log through its "stdout", which is our stderr; results must stay on stdout.
    patchConsole: false,
  });
  // Created before unmount: ink resolves only a promise that exists when it unmounts.
  const exited = instance.waitUntilExit();
  let summary: Extract<RunEventBody, { type: 'summary' }> | undefined;
  let closed = false;

  return {
    mode: 'interactive',
    emit(event) {
      if (closed) return;
      if (event.type === 'summary') summary = event;
      store.dispatch({ kind: 'event', event: { ...event, timestamp: clock().toISOString() } });
    },
    prompter: createInkPrompter(store),
    async close() {
      if (closed) return;
      closed = true;
      const open = store.getState().prompts;
      store.dispatch({ kind: 'drop-prompts' });
      for (const prompt of open) prompt.reject(interruptedError());
      // Let React commit the last state, then unmount: ink writes the final frame and restores the terminal.
      await new Promise((resolve) => setImmediate(resolve));
      instance.unmount();
      await exited;
      // The box went to the terminal (stderr); a piped stdout still gets the result as plain lines.
      // On a terminal the next commands follow the box unbordered, each on one line, to copy whole.
      if (summary !== undefined) {
        const lines = streams.stdout.isTTY === true ? nextLines(summary, paint(colorEnabled(streams.stdout, streams.env))) : summaryLines(summary, paint(false));
        if (lines.length > 0) streams.stdout.write(`${lines.join('\n')}\n`);
      }
    },
  };
}
