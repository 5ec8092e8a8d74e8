/**
 * Mounts the status screen on a terminal. Loaded by dynamic import from src/commands/status.ts only
 * when stdout is a terminal, so `status --json` and piped output never load ink or react.
 * Each show() re-renders the same tree (ink's rerender): React updates only what changed, and ink
 * rewrites the frame in place without clearing the screen.
 */
import { render } from 'ink';
import type { StatusModel } from '../../../status/model.js';
import { StatusScreen } from './StatusScreen.js';

export interface StatusView {
  show(model: StatusModel, refreshing?: boolean): void;
  /** Leaves the last frame on the terminal. */
  close(): Promise<void>;
}

export interface StatusViewStreams {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

export function createStatusView(streams: StatusViewStreams, options: { color: boolean; watch?: { intervalMs: number } }): StatusView {
  let instance: ReturnType<typeof render> | undefined;
  let last: StatusModel | undefined;
  const element = (model: StatusModel, refreshing: boolean) => (
    <StatusScreen
      model={model}
      color={options.color}
      rows={streams.stdout.rows || 40}
      {...(options.watch ? { watch: { intervalMs: options.watch.intervalMs, refreshing } } : {})}
    />
  );
  return {
    show(model, refreshing = false) {
      last = model;
      if (!instance) {
        instance = render(element(model, refreshing), { stdout: streams.stdout, stdin: streams.stdin, exitOnCtrlC: false, patchConsole: false });
      } else {
        instance.rerender(element(model, refreshing));
      }
    },
    async close() {
      if (!instance) return;
      if (last) instance.rerender(element(last, false));
      await new Promise((resolve) => setImmediate(resolve));
      const exited = instance.waitUntilExit();
      instance.unmount();
      await exited;
      instance = undefined;
    },
  };
}
