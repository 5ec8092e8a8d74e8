/**
 * The one decoder of container logs. A container without a TTY logs in frames (8-byte header: stream
 * type, 3 zero bytes, big-endian length); a TTY container's log is plain text. The first 8 bytes
 * decide which. Used whole (containerLogs) and in chunks (`ignite-net logs -f`).
 */
import { StringDecoder } from 'node:string_decoder';
import { redactSecrets } from '../../core/redact.js';

export interface LogLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

/**
 * Frames and UTF-8 characters may be cut anywhere between chunks, so bytes wait until their frame is
 * whole and text waits until its newline; each stream's lines stay whole (an unfinished stdout line
 * is not split by a stderr frame). Lines lose their newline and a trailing \r.
 *
 * Every line leaves redacted (core/redact.ts): flanneld's etcdPassword field always, and `secrets`
 * wherever they appear. This is the one place every log ignite-net shows passes through.
 */
export class LogDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private framed: boolean | undefined;
  private readonly text = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private readonly partial = { stdout: '', stderr: '' };

  constructor(private readonly secrets: readonly string[] = []) {}

  push(chunk: Buffer): LogLine[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.framed === undefined) {
      if (this.pending.length < 8) return [];
      const type = this.pending[0];
      this.framed = (type === 0 || type === 1 || type === 2) && this.pending.readUIntBE(1, 3) === 0;
    }
    const lines: LogLine[] = [];
    if (!this.framed) {
      lines.push(...this.add('stdout', this.pending));
      this.pending = Buffer.alloc(0);
      return lines;
    }
    let offset = 0;
    while (offset + 8 <= this.pending.length) {
      const length = this.pending.readUInt32BE(offset + 4);
      if (offset + 8 + length > this.pending.length) break;
      const stream = this.pending[offset] === 2 ? 'stderr' : 'stdout';
      lines.push(...this.add(stream, this.pending.subarray(offset + 8, offset + 8 + length)));
      offset += 8 + length;
    }
    this.pending = this.pending.subarray(offset);
    return lines;
  }

  /** The last lines without a newline (a container that stopped mid-line). */
  end(): LogLine[] {
    const lines: LogLine[] = [];
    if (this.framed === false || (this.framed === undefined && this.pending.length > 0)) lines.push(...this.add('stdout', this.pending));
    this.pending = Buffer.alloc(0);
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.partial[stream] + this.text[stream].end();
      this.partial[stream] = '';
      if (rest !== '') lines.push({ stream, text: redactSecrets(rest.replace(/\r$/, ''), this.secrets) });
    }
    return lines;
  }

  private add(stream: LogLine['stream'], bytes: Buffer): LogLine[] {
    const parts = (this.partial[stream] + this.text[stream].write(bytes)).split('\n');
    this.partial[stream] = parts.pop() ?? '';
    return parts.map((text) => ({ stream, text: redactSecrets(text.replace(/\r$/, ''), this.secrets) }));
  }
}

/** A whole log at once: LogDecoder over one chunk. */
export function decodeLog(bytes: Buffer, secrets: readonly string[] = []): LogLine[] {
  const decoder = new LogDecoder(secrets);
  return [...decoder.push(bytes), ...decoder.end()];
}

/** A non-following logs answer as bytes: docker-modem parses bodies that happen to be JSON (a TTY container logging one JSON line). */
export function logBytes(raw: unknown): Buffer {
  return Buffer.isBuffer(raw) ? raw : Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw));
}
