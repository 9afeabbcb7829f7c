/**
 * A buffered UTF-8 text file writer for the CSV files beside a generated delivery (CRM extract, CMP
 * export, ground truth): lines are collected and written in ~1 MB chunks, waiting on `drain`, so
 * memory stays flat however many rows are written.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

const BUFFER_CHARS = 1 << 20;

export class LineFileWriter {
  private readonly stream: WriteStream;
  private readonly closed: Promise<unknown>;
  private pending: string[] = [];
  private pendingChars = 0;
  lines = 0;

  constructor(readonly path: string, header: string) {
    this.stream = createWriteStream(path);
    this.closed = once(this.stream, 'close');
    this.closed.catch(() => undefined);
    this.push(header);
    this.lines = 0;
  }

  push(line: string): void {
    this.pending.push(line, '\n');
    this.pendingChars += line.length + 1;
    this.lines++;
  }

  async flushIfNeeded(): Promise<void> {
    if (this.pendingChars >= BUFFER_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    if (!this.stream.write(chunk, 'utf8')) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await this.closed;
  }
}
