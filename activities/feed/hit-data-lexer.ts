/**
 * The first (backslash) lexical layer of Adobe hit data, on Buffers, streaming.
 *
 * Rules (docs/formats/adobe-data-feed.md): bytes (their encoding is decided per delivery, feed-encoding.ts); a tab ends a field, LF ends a record; a backslash
 * followed by a tab, LF, CR or backslash byte is that literal byte (the escaping of PostgreSQL
 * `COPY ... (FORMAT text)`). A backslash before any other byte is kept as it is.
 *
 * The lexer never decodes a record it does not have to: it finds record and field boundaries in
 * the gunzip output chunk by chunk and hands each record to a callback as offsets into the chunk
 * (a reused RawRecord, valid only during the callback). Only the partial record at the end of a
 * chunk is carried over, so memory stays at one chunk plus one record whatever the file size.
 */

export const TAB = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;
export const BACKSLASH = 0x5c;

/** One record as offsets into `buf`; fields beyond `expectedFields` are counted but not located. */
export class RawRecord {
  buf: Buffer = Buffer.alloc(0);
  /** First byte of the record. */
  start = 0;
  /** Offset of the record's LF (or of the end of data for an unterminated last record). */
  end = 0;
  /** Number of fields found (tabs + 1). */
  fieldCount = 0;
  /** Whether the record holds any backslash, i.e. whether fields may need unescaping. */
  hasEscape = false;
  /** starts[i] = first byte of field i; starts[i + 1] - 1 = its end (valid when fieldCount === expectedFields). */
  readonly starts: Int32Array;

  constructor(readonly expectedFields: number) {
    this.starts = new Int32Array(expectedFields + 1);
  }

  fieldStart(i: number): number {
    return this.starts[i]!;
  }

  fieldEnd(i: number): number {
    return this.starts[i + 1]! - 1;
  }

  /** The raw (still escaped) bytes of the whole record, without its LF. A view, not a copy. */
  rawBytes(): Buffer {
    return this.buf.subarray(this.start, this.end);
  }

  /** Field i as a string, unescaped, one character per byte (ISO-8859-1); FeedRowEncoder re-decodes text it stores as UTF-8 when the delivery is. */
  text(i: number): string {
    const s = this.starts[i]!;
    const e = this.starts[i + 1]! - 1;
    if (s === e) return '';
    if (this.hasEscape) {
      const buf = this.buf;
      for (let p = s; p < e; p++) if (buf[p] === BACKSLASH) return unescapeHitField(buf.subarray(s, e)).toString('latin1');
    }
    return this.buf.toString('latin1', s, e);
  }

  /** Whether field i is empty. */
  isEmpty(i: number): boolean {
    return this.starts[i + 1]! - 1 === this.starts[i]!;
  }

  /**
   * Field i as a non-negative integer below 2^53, or -1 when it is empty, not all digits, or too large.
   * Escapes never occur in numeric fields, so a backslash makes it invalid as well.
   */
  uint(i: number): number {
    const buf = this.buf;
    const s = this.starts[i]!;
    const e = this.starts[i + 1]! - 1;
    if (s === e || e - s > 15) return -1;
    let v = 0;
    for (let p = s; p < e; p++) {
      const d = buf[p]! - 48;
      if (d < 0 || d > 9) return -1;
      v = v * 10 + d;
    }
    return v;
  }

  /** Whether field i consists of one ASCII digit byte equal to `digit` (fast checks of flags). */
  isDigit(i: number, digit: number): boolean {
    const s = this.starts[i]!;
    return this.starts[i + 1]! - 1 - s === 1 && this.buf[s] === 48 + digit;
  }
}

export type RecordCallback = (record: RawRecord) => void;

/**
 * Splits hit data into records. Call push() with each chunk and end() after the last one.
 * The callback runs synchronously for every complete record; `record` is reused between calls.
 */
export class HitDataLexer {
  readonly record: RawRecord;
  private carry: Buffer | null = null;
  /** Whether the carried bytes end in a backslash that escapes the next chunk's first byte. */
  private pendingEscape = false;

  constructor(readonly expectedFields: number) {
    if (expectedFields < 1) throw new Error('a hit_data record has at least one field');
    this.record = new RawRecord(expectedFields);
  }

  push(chunk: Buffer, onRecord: RecordCallback): void {
    let from = 0;
    if (this.carry) {
      // Only the record that straddles the chunk boundary is copied; the rest of the chunk is scanned in place.
      let i = this.pendingEscape ? 1 : 0;
      const n = chunk.length;
      for (; i < n; i++) {
        const c = chunk[i]!;
        if (c === 92) i++;
        else if (c === 10) break;
      }
      if (i >= n) {
        this.carry = Buffer.concat([this.carry, chunk]);
        this.pendingEscape = i > n;
        return;
      }
      const joined = Buffer.concat([this.carry, chunk.subarray(0, i + 1)]);
      this.carry = null;
      this.scan(joined, 0, onRecord);
      from = i + 1;
    }
    const rest = this.scan(chunk, from, onRecord);
    if (rest < chunk.length) this.carry = chunk.subarray(rest);
  }

  /** Flushes the last record when the data does not end with LF. */
  end(onRecord: RecordCallback): void {
    const carry = this.carry;
    this.carry = null;
    if (!carry || carry.length === 0) return;
    // Terminate it with a synthetic LF; a trailing lone backslash stays in the field as a literal.
    const buf = Buffer.allocUnsafe(carry.length + 1);
    carry.copy(buf, 0);
    buf[carry.length] = LF;
    const rest = this.scan(buf, 0, onRecord);
    if (rest < buf.length) {
      // The synthetic LF was escaped by a trailing backslash: emit the record as it is (it keeps the escape).
      this.emitWhole(buf, onRecord);
    }
  }

  /**
   * Scans the complete records of buf from `from` (a record start); returns the offset of the first
   * byte not consumed and sets pendingEscape when buf ends in an escaping backslash.
   */
  private scan(buf: Buffer, from: number, onRecord: RecordCallback): number {
    const rec = this.record;
    const starts = rec.starts;
    const expected = this.expectedFields;
    const n = buf.length;
    rec.buf = buf;
    let recStart = from;
    let tabs = 0;
    let esc = false;
    starts[0] = from;
    let i = from;
    // Bytes above LF are the common case: one comparison, plus one for the rare backslash.
    // Literals on purpose: exported module constants are cells in ESM, loaded again for every byte.
    for (; i < n; i++) {
      const c = buf[i]!;
      if (c > 10) {
        if (c === 92) {
          esc = true;
          i++;
        }
      } else if (c === 9) {
        tabs++;
        if (tabs <= expected) starts[tabs] = i + 1;
      } else if (c === 10) {
        const fields = tabs + 1;
        if (fields <= expected) starts[fields] = i + 1;
        rec.start = recStart;
        rec.end = i;
        rec.fieldCount = fields;
        rec.hasEscape = esc;
        onRecord(rec);
        recStart = i + 1;
        tabs = 0;
        esc = false;
        starts[0] = recStart;
      }
    }
    this.pendingEscape = i > n;
    return recStart;
  }

  private emitWhole(buf: Buffer, onRecord: RecordCallback): void {
    const rec = this.record;
    const end = buf.length - 1;
    rec.buf = buf;
    rec.start = 0;
    rec.end = end;
    rec.hasEscape = true;
    let tabs = 0;
    rec.starts[0] = 0;
    for (let i = 0; i < end; i++) {
      const c = buf[i]!;
      if (c === BACKSLASH) i++;
      else if (c === TAB) {
        tabs++;
        if (tabs <= this.expectedFields) rec.starts[tabs] = i + 1;
      }
    }
    rec.fieldCount = tabs + 1;
    if (rec.fieldCount <= this.expectedFields) rec.starts[rec.fieldCount] = end + 1;
    onRecord(rec);
  }
}

/** Removes the backslash layer of one field: `\` + (TAB | LF | CR | `\`) becomes that byte. */
export function unescapeHitField(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === BACKSLASH && i + 1 < bytes.length) {
      const d = bytes[i + 1]!;
      if (d === TAB || d === LF || d === CR || d === BACKSLASH) {
        out[o++] = d;
        i++;
        continue;
      }
    }
    out[o++] = c;
  }
  return out.subarray(0, o);
}

/** Adds the backslash layer: the inverse of unescapeHitField (what Adobe writes). */
export function escapeHitField(bytes: Uint8Array): Buffer {
  let extra = 0;
  for (const c of bytes) if (c === TAB || c === LF || c === CR || c === BACKSLASH) extra++;
  const out = Buffer.allocUnsafe(bytes.length + extra);
  let o = 0;
  for (const c of bytes) {
    if (c === TAB || c === LF || c === CR || c === BACKSLASH) out[o++] = BACKSLASH;
    out[o++] = c;
  }
  return out;
}
