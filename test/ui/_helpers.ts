import { EventEmitter } from 'node:events';
import type { RunEvent, RunEventBody } from '../../src/core/events.js';

/** A writable that keeps what was written; isTTY/columns as a test needs them. */
export class Capture extends EventEmitter {
  chunks: string[] = [];
  constructor(
    readonly isTTY = false,
    readonly columns = 100,
    readonly rows = 40,
  ) {
    super();
  }
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
  /** Lines written, without the final empty one. */
  get lines(): string[] {
    const text = this.text;
    return text === '' ? [] : text.replace(/\n$/, '').split('\n');
  }
}

/** A readable stdin as ink reads it ('readable' + read()), with raw mode. */
export class FakeStdin extends EventEmitter {
  isTTY = true;
  private queue: string[] = [];
  write(data: string): void {
    this.queue.push(data);
    this.emit('readable');
    this.emit('data', data);
  }
  read(): string | null {
    return this.queue.shift() ?? null;
  }
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export const delay = (ms = 50): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const TS = '2025-01-02T03:04:05.000Z';

export const at = (event: RunEventBody, timestamp = TS): RunEvent => ({ ...event, timestamp });

// eslint-disable-next-line no-control-regex
export const stripAnsi = (text: string): string => text.replace(/\u001B\[[0-9;]*m/g, '');

/**
 * ink's render into a terminal of `columns` (ink-testing-library's is always 100 wide): the frames
 * are drawn as a terminal that wide would show them.
 */
export class NarrowStdout extends EventEmitter {
  frames: string[] = [];
  constructor(readonly columns: number, readonly rows = 60) {
    super();
  }
  write(frame: string): boolean {
    this.frames.push(frame);
    return true;
  }
  lastFrame = (): string | undefined => this.frames.at(-1);
}
