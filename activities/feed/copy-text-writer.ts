/**
 * Encodes rows for PostgreSQL `COPY ... FROM STDIN (FORMAT text)` straight into large Buffers,
 * without building intermediate strings: UTF-8 output, `\\` `\t` `\n` `\r` escapes, `\N` for NULL.
 * Strings from the feed are ISO-8859-1 decoded (one byte per char), so the common path is a
 * tight per-character loop; characters above U+00FF (file names, ids from options) are handled too.
 * A NUL character cannot be stored in PostgreSQL text, so text() throws FieldFormatError for it;
 * callers rewind to the row start with mark()/rewind() and quarantine the record.
 */
import { FieldFormatError } from './field-format-error.ts';
import { decodeUtf8Counting, utf8SequenceLength } from './utf8-bytes.ts';

const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Characters text() cannot copy as they are: control characters (escapes, NUL), backslash, non-ASCII. */
const NEEDS_CARE = /[\x00-\x1f\\\u007f-\uffff]/;

/** How field() reads bytes ≥ 0x80 of the feed: one character each, or UTF-8 sequences. */
export type FeedByteEncoding = 'iso-8859-1' | 'utf-8';

/**
 * The encoding of one delivery, shared by its writers. 'undecided' (auto, and nothing seen yet but
 * ASCII, which reads the same either way) is settled by the first byte ≥ 0x80: UTF-8 when it starts
 * a valid UTF-8 sequence, else ISO-8859-1.
 */
export interface FeedCharset {
  encoding: FeedByteEncoding | 'undecided';
}

/** U+FFFD REPLACEMENT CHARACTER in UTF-8: what an invalid UTF-8 byte becomes. */
const REPLACEMENT = [0xef, 0xbf, 0xbd] as const;

export class CopyTextWriter {
  private buf: Buffer;
  private pos = 0;
  /**
   * How field() decodes bytes ≥ 0x80. In 'utf-8', a byte that is not part of a valid sequence is
   * written as U+FFFD and counted in `replacedBytes` (with the field it was in), never silently
   * reinterpreted as ISO-8859-1.
   */
  charset: FeedCharset = { encoding: 'iso-8859-1' };
  /** Invalid UTF-8 bytes replaced by field() so far (only in 'utf-8'). */
  replacedBytes = 0;
  /** The field of the latest replacement, for the report (a column name, never a value). */
  lastReplacedField = '';

  constructor(private readonly chunkSize = 1 << 20) {
    this.buf = Buffer.allocUnsafe(chunkSize);
  }

  get length(): number {
    return this.pos;
  }

  /** Returns the bytes written so far and starts a new chunk. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(Math.max(this.chunkSize, this.pos));
    this.pos = 0;
    return out;
  }

  mark(): number {
    return this.pos;
  }

  rewind(mark: number): void {
    this.pos = mark;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  tab(): this {
    this.ensure(1);
    this.buf[this.pos++] = 0x09;
    return this;
  }

  endRow(): this {
    this.ensure(1);
    this.buf[this.pos++] = 0x0a;
    return this;
  }

  nul(): this {
    this.ensure(2);
    this.buf[this.pos++] = 0x5c;
    this.buf[this.pos++] = 0x4e;
    return this;
  }

  /** Text value; null and undefined become \N. */
  text(s: string | null | undefined, field = 'a text field'): this {
    if (s == null) return this.nul();
    const n = s.length;
    if (n > 24 && !NEEDS_CARE.test(s)) {
      // Plain ASCII without escapes (most URLs and page names): one native copy.
      this.ensure(n);
      this.pos += this.buf.write(s, this.pos, n, 'latin1');
      return this;
    }
    this.ensure(n * 3);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c < 0x80) {
        if (c === 0x5c) {
          buf[p++] = 0x5c;
          buf[p++] = 0x5c;
        } else buf[p++] = c;
      } else if (c < 0x20) {
        if (c === 0x09) {
          buf[p++] = 0x5c;
          buf[p++] = 0x74;
        } else if (c === 0x0a) {
          buf[p++] = 0x5c;
          buf[p++] = 0x6e;
        } else if (c === 0x0d) {
          buf[p++] = 0x5c;
          buf[p++] = 0x72;
        } else if (c === 0) {
          this.pos = p;
          throw new FieldFormatError(`${field} holds a NUL byte, which PostgreSQL text cannot store`);
        } else buf[p++] = c;
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else {
        // Rare outside ISO-8859-1: let Node encode the rest (surrogate pairs included).
        this.pos = p;
        const rest = s.slice(i).replace(/[\\\t\n\r]/g, (ch) => (ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : '\\r'));
        if (rest.includes('\0')) throw new FieldFormatError(`${field} holds a NUL byte, which PostgreSQL text cannot store`);
        this.ensure(Buffer.byteLength(rest, 'utf8'));
        this.pos += this.buf.write(rest, this.pos, 'utf8');
        return this;
      }
    }
    this.pos = p;
    return this;
  }

  /**
   * Text taken from a feed field already unescaped into a one-byte-per-character string
   * (RawRecord.text, e.g. a product name): in 'utf-8' its bytes are decoded as UTF-8, invalid ones
   * replaced and counted like field() does; in 'iso-8859-1' it is written as it is.
   */
  feedText(s: string | null | undefined, field: string): this {
    if (s == null || this.charset.encoding === 'iso-8859-1') return this.text(s, field);
    if (this.charset.encoding === 'undecided') {
      const first = s.search(/[\x80-\xff]/);
      if (first < 0) return this.text(s, field);
      const bytes = Buffer.from(s.slice(first, first + 4), 'latin1');
      this.charset.encoding = utf8SequenceLength(bytes, 0, bytes.length) > 0 ? 'utf-8' : 'iso-8859-1';
      if (this.charset.encoding === 'iso-8859-1') return this.text(s, field);
    }
    const { text, replaced } = decodeUtf8Counting(s);
    if (replaced) {
      this.replacedBytes += replaced;
      this.lastReplacedField = field;
    }
    return this.text(text, field);
  }

  /**
   * A hit-data field straight from the feed's bytes [s, e): its backslash layer is re-expressed in
   * COPY's (`\` + TAB → `\t`, + LF → `\n`, + CR → `\r`, `\\` stays), a lone backslash becomes a
   * literal one, a raw CR is escaped, ISO-8859-1 bytes ≥ 0x80 become UTF-8. No string is built.
   * An empty field is written as NULL when `emptyAsNull`.
   */
  field(src: Uint8Array, s: number, e: number, field: string, emptyAsNull = true): this {
    if (s === e && emptyAsNull) return this.nul();
    this.ensure((e - s) * 3);
    const out = this.buf;
    let p = this.pos;
    for (let i = s; i < e; i++) {
      const c = src[i]!;
      if (c >= 0x20 && c < 0x80) {
        if (c !== 0x5c) {
          out[p++] = c;
          continue;
        }
        out[p++] = 0x5c;
        const d = i + 1 < e ? src[i + 1]! : -1;
        if (d === 0x09) {
          out[p++] = 0x74;
          i++;
        } else if (d === 0x0a) {
          out[p++] = 0x6e;
          i++;
        } else if (d === 0x0d) {
          out[p++] = 0x72;
          i++;
        } else {
          out[p++] = 0x5c;
          if (d === 0x5c) i++;
        }
      } else if (c >= 0x80) {
        let enc = this.charset.encoding;
        if (enc === 'undecided') enc = this.charset.encoding = utf8SequenceLength(src, i, e) > 0 ? 'utf-8' : 'iso-8859-1';
        if (enc === 'utf-8') {
          const n = utf8SequenceLength(src, i, e);
          if (n === 0) {
            out[p++] = REPLACEMENT[0];
            out[p++] = REPLACEMENT[1];
            out[p++] = REPLACEMENT[2];
            this.replacedBytes++;
            this.lastReplacedField = field;
          } else {
            for (let k = 0; k < n; k++) out[p++] = src[i + k]!;
            i += n - 1;
          }
          continue;
        }
        out[p++] = 0xc0 | (c >> 6);
        out[p++] = 0x80 | (c & 0x3f);
      } else if (c === 0x0d) {
        out[p++] = 0x5c;
        out[p++] = 0x72;
      } else if (c === 0) {
        this.pos = p;
        throw new FieldFormatError(`${field} holds a NUL byte, which PostgreSQL text cannot store`);
      } else out[p++] = c;
    }
    this.pos = p;
    return this;
  }

  /** Raw bytes already in COPY text form (a pre-encoded row prefix). */
  bytes(src: Uint8Array): this {
    const n = src.length;
    this.ensure(n);
    const out = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) out[p++] = src[i]!;
    this.pos = p;
    return this;
  }

  /** A string known to be plain ASCII without escapable characters (ids, digits). */
  ascii(s: string): this {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
    return this;
  }

  int(v: number | null | undefined): this {
    if (v == null) return this.nul();
    if (v >= 0 && v < 1e15 && Number.isInteger(v)) {
      // Digits straight into the buffer, without a temporary string.
      let digits = 1;
      for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
      this.ensure(digits);
      const buf = this.buf;
      let p = this.pos + digits;
      this.pos = p;
      let x = v;
      do {
        const q = Math.floor(x / 10);
        buf[--p] = 48 + (x - q * 10);
        x = q;
      } while (x > 0);
      return this;
    }
    return this.ascii(String(v));
  }

  bool(v: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = v ? 0x74 : 0x66;
    return this;
  }

  /** numeric(…, 2) from an integer number of cents. */
  cents(c: number | null | undefined): this {
    if (c == null) return this.nul();
    if (c < 0) {
      this.ensure(1);
      this.buf[this.pos++] = 0x2d;
      c = -c;
    }
    const whole = Math.floor(c / 100);
    const frac = c - whole * 100;
    this.int(whole);
    this.ensure(3);
    this.buf[this.pos++] = 0x2e;
    this.buf[this.pos++] = 48 + Math.floor(frac / 10);
    this.buf[this.pos++] = 48 + (frac % 10);
    return this;
  }

  /** int[] literal `{1,2,3}`. */
  intArray(values: readonly number[]): this {
    this.ensure(2);
    this.buf[this.pos++] = 0x7b;
    for (let i = 0; i < values.length; i++) {
      if (i > 0) {
        this.ensure(1);
        this.buf[this.pos++] = 0x2c;
      }
      this.int(values[i]!);
    }
    this.ensure(1);
    this.buf[this.pos++] = 0x7d;
    return this;
  }

  /** bytea in hex form (`\\x…` once escaped for COPY text). */
  bytea(bytes: Uint8Array): this {
    this.ensure(3 + bytes.length * 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 0x5c;
    buf[p++] = 0x5c;
    buf[p++] = 0x78;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      buf[p++] = HEX[b >> 4]!;
      buf[p++] = HEX[b & 15]!;
    }
    this.pos = p;
    return this;
  }
}
