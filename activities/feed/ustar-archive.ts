/**
 * Pure: a deterministic POSIX ustar archive of small in-memory files. Every header field is fixed
 * by the caller (mtime, mode, owner), entries keep the given order, and the archive is padded to
 * 10240-byte records as GNU tar does, so the same entries always give the same bytes.
 */

export interface UstarEntry {
  name: string;
  content: Buffer;
}

export interface UstarOptions {
  /** Modification time of every entry, Unix seconds. */
  mtime: number;
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
}

const BLOCK = 512;
const RECORD = 10240;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(entry: UstarEntry, o: Required<UstarOptions>): Buffer {
  if (Buffer.byteLength(entry.name, 'latin1') > 100) throw new RangeError(`ustar: entry name ${entry.name} is longer than 100 bytes`);
  const h = Buffer.alloc(BLOCK, 0);
  h.write(entry.name, 0, 100, 'latin1');
  h.write(octal(o.mode, 8), 100, 8, 'latin1');
  h.write(octal(o.uid, 8), 108, 8, 'latin1');
  h.write(octal(o.gid, 8), 116, 8, 'latin1');
  h.write(octal(entry.content.length, 12), 124, 12, 'latin1');
  h.write(octal(o.mtime, 12), 136, 12, 'latin1');
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h.write('0', 156, 1, 'latin1'); // regular file
  h.write('ustar\0', 257, 6, 'latin1');
  h.write('00', 263, 2, 'latin1');
  h.write(o.uname.slice(0, 31), 265, 32, 'latin1');
  h.write(o.gname.slice(0, 31), 297, 32, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return h;
}

/** The archive bytes (uncompressed). */
export function buildUstar(entries: readonly UstarEntry[], options: UstarOptions): Buffer {
  const o: Required<UstarOptions> = { mode: 0o644, uid: 0, gid: 0, uname: 'root', gname: 'root', ...options };
  const parts: Buffer[] = [];
  let length = 0;
  for (const e of entries) {
    const h = header(e, o);
    const pad = (BLOCK - (e.content.length % BLOCK)) % BLOCK;
    parts.push(h, e.content, Buffer.alloc(pad, 0));
    length += BLOCK + e.content.length + pad;
  }
  length += 2 * BLOCK; // end-of-archive marker
  const total = Math.ceil(length / RECORD) * RECORD;
  parts.push(Buffer.alloc(total - length + 2 * BLOCK, 0));
  return Buffer.concat(parts, total);
}
