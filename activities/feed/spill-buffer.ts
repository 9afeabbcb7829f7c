/**
 * An append-only byte buffer that keeps its first `memoryLimit` bytes in memory and spills the
 * rest to a temporary file, then reads everything back in order. Ingest uses it for the COPY
 * rows of feed_product and feed_quarantine while the feed_hit COPY holds the connection.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class SpillBuffer {
  private readonly memory: Buffer[] = [];
  private memoryBytes = 0;
  private file: { dir: string; path: string; handle: FileHandle } | null = null;
  private pending: Promise<unknown> = Promise.resolve();
  private spilled = 0;
  private spilling = false;

  constructor(private readonly memoryLimit = 64 << 20) {}

  get size(): number {
    return this.memoryBytes + this.spilled;
  }

  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (!this.spilling && this.memoryBytes + chunk.length <= this.memoryLimit) {
      this.memory.push(chunk);
      this.memoryBytes += chunk.length;
      return;
    }
    this.spilling = true;
    this.spilled += chunk.length;
    this.pending = this.pending.then(async () => {
      if (!this.file) {
        const dir = await mkdtemp(join(tmpdir(), 'scoreflow-spill-'));
        const path = join(dir, 'rows.copy');
        this.file = { dir, path, handle: await open(path, 'w') };
      }
      await this.file.handle.write(chunk);
    });
  }

  /** All appended bytes, in order. Waits for pending spills first. */
  async *chunks(): AsyncGenerator<Buffer> {
    await this.pending;
    for (const c of this.memory) yield c;
    if (this.file) {
      for await (const c of createReadStream(this.file.path, { highWaterMark: 1 << 20 })) yield c as Buffer;
    }
  }

  async dispose(): Promise<void> {
    await this.pending.catch(() => {});
    this.memory.length = 0;
    if (this.file) {
      const { dir, handle } = this.file;
      this.file = null;
      await handle.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    }
  }
}
