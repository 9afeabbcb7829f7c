/**
 * Streams one delivery's hit data into gzip data files (`01-<rsid>_<date>.tsv.gz`, `02-…` once a
 * file passes `maxFileBytes` of uncompressed text), ISO-8859-1, honouring backpressure, while
 * computing each file's MD5 and size for the manifest. Records are buffered and written whole, so
 * a record never straddles two files. The gzip level is fixed, so the same records give the same bytes.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';

export const GZIP_LEVEL = 4;
const BUFFER_CHARS = 1 << 20;
/** Uncompressed bytes queued in front of gzip before the writer waits for it to drain. */
const MAX_BACKLOG = 16 << 20;

export interface WrittenDataFile {
  name: string;
  md5: string;
  size: number;
  records: number;
}

class DigestingPassThrough extends Transform {
  readonly hash: Hash = createHash('md5');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }
}

interface OpenPart {
  name: string;
  gzip: Gzip;
  digest: DigestingPassThrough;
  done: Promise<void>;
  records: number;
  textBytes: number;
}

export class DataFileWriter {
  private readonly parts: WrittenDataFile[] = [];
  private current: OpenPart | null = null;
  private pending: string[] = [];
  private pendingChars = 0;
  private pendingRecords = 0;

  /** `fileName(n)` names part n (1-based), e.g. n → `01-<rsid>_<date>.tsv.gz`. */
  constructor(
    private readonly dir: string,
    private readonly fileName: (part: number) => string,
    private readonly maxFileBytes = 2 * 1024 ** 3,
  ) {}

  /** Adds one record (already escaped, LF-terminated, ISO-8859-1 characters only). */
  push(line: string): void {
    this.pending.push(line);
    this.pendingChars += line.length;
    this.pendingRecords++;
  }

  get needsFlush(): boolean {
    return this.pendingChars >= BUFFER_CHARS;
  }

  private open(): OpenPart {
    const name = this.fileName(this.parts.length + 1);
    const gzip = createGzip({ level: GZIP_LEVEL });
    const digest = new DigestingPassThrough();
    const file: WriteStream = createWriteStream(join(this.dir, name));
    const done = pipeline(gzip, digest, file);
    done.catch(() => undefined); // surfaced by close()
    return { name, gzip, digest, done, records: 0, textBytes: 0 };
  }

  private async finishPart(part: OpenPart): Promise<void> {
    part.gzip.end();
    await part.done;
    this.parts.push({ name: part.name, md5: part.digest.hash.digest('hex'), size: part.digest.size, records: part.records });
  }

  /** Writes the buffered records, waiting for the gzip stream to drain when it asks to. */
  async flush(): Promise<void> {
    if (this.pendingRecords === 0) return;
    if (this.current && this.current.textBytes > 0 && this.current.textBytes + this.pendingChars > this.maxFileBytes) {
      await this.finishPart(this.current);
      this.current = null;
    }
    this.current ??= this.open();
    const chunk = Buffer.from(this.pending.join(''), 'latin1');
    this.current.records += this.pendingRecords;
    this.current.textBytes += chunk.length;
    this.pending = [];
    this.pendingChars = 0;
    this.pendingRecords = 0;
    // Generation continues while zlib compresses on the thread pool; wait only once a backlog builds.
    this.current.gzip.write(chunk);
    if (this.current.gzip.writableLength > MAX_BACKLOG) await Promise.race([once(this.current.gzip, 'drain'), this.current.done]);
  }

  /** Flushes and closes; a delivery with no records still gets one (empty) data file. */
  async close(): Promise<WrittenDataFile[]> {
    await this.flush();
    this.current ??= this.open();
    await this.finishPart(this.current);
    this.current = null;
    return this.parts;
  }
}
