import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HitDataLexer, escapeHitField, unescapeHitField } from '../../activities/feed/hit-data-lexer.ts';

/** Lexes `data` fed in the given chunk sizes; returns each record's fields (unescaped, latin1) and field count. */
function lex(data: Buffer, expected: number, chunkSizes: number[] = [data.length || 1]): { fields: string[]; count: number; raw: string }[] {
  const lexer = new HitDataLexer(expected);
  const out: { fields: string[]; count: number; raw: string }[] = [];
  const onRecord = (r: Parameters<Parameters<HitDataLexer['push']>[1]>[0]) => {
    out.push({
      count: r.fieldCount,
      fields: r.fieldCount === expected ? Array.from({ length: expected }, (_, i) => r.text(i)) : [],
      raw: r.rawBytes().toString('latin1'),
    });
  };
  let off = 0;
  let k = 0;
  while (off < data.length) {
    const size = Math.max(1, chunkSizes[k++ % chunkSizes.length]!);
    lexer.push(data.subarray(off, off + size), onRecord);
    off += size;
  }
  lexer.end(onRecord);
  return out;
}

const latin1 = (s: string) => Buffer.from(s, 'latin1');

describe('HitDataLexer', () => {
  it('splits fields on tab and records on LF', () => {
    const recs = lex(latin1('a\tb\tc\nd\te\tf\n'), 3);
    expect(recs.map((r) => r.fields)).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e', 'f'],
    ]);
  });

  it('reads backslash + tab, LF, CR and backslash as the literal byte', () => {
    const recs = lex(latin1('x\\\ty\tline1\\\nline2\tcr\\\rhere\tback\\\\slash\n'), 4);
    expect(recs).toHaveLength(1);
    expect(recs[0]!.fields).toEqual(['x\ty', 'line1\nline2', 'cr\rhere', 'back\\slash']);
  });

  it('keeps a backslash before any other byte as it is', () => {
    expect(lex(latin1('a\\nb\tc\n'), 2)[0]!.fields).toEqual(['a\\nb', 'c']);
  });

  it('decodes ISO-8859-1 bytes', () => {
    const recs = lex(Buffer.from([0x5a, 0xfc, 0x72, 0x69, 0x63, 0x68, 0x09, 0xe9, 0x0a]), 2);
    expect(recs[0]!.fields).toEqual(['Zürich', 'é']);
  });

  it('gives the same records whatever the chunk boundaries, including inside an escape', () => {
    const data = latin1('a\\\tb\tc\\\\\td\\\ne\nf\tg\th\n\\\\\t\\\n\t\\\r\n');
    const whole = lex(data, 3);
    expect(whole).toHaveLength(3);
    for (let size = 1; size <= data.length; size++) expect(lex(data, 3, [size])).toEqual(whole);
    expect(lex(data, 3, [2, 1, 3, 1])).toEqual(whole);
  });

  it('counts the fields of records with too few or too many and keeps their raw bytes', () => {
    const recs = lex(latin1('a\tb\nc\td\te\tf\ng\th\ti\n'), 3);
    expect(recs.map((r) => r.count)).toEqual([2, 4, 3]);
    expect(recs[0]!.raw).toBe('a\tb');
    expect(recs[2]!.fields).toEqual(['g', 'h', 'i']);
  });

  it('emits a last record without a final LF', () => {
    expect(lex(latin1('a\tb\nc\td'), 2).map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('keeps a trailing lone backslash of an unterminated last record', () => {
    const recs = lex(latin1('a\tb\\'), 2);
    expect(recs).toHaveLength(1);
    expect(recs[0]!.count).toBe(2);
    expect(recs[0]!.raw).toBe('a\tb\\');
  });

  it('reads unsigned integers and rejects anything else', () => {
    const lexer = new HitDataLexer(5);
    const got: number[] = [];
    lexer.push(latin1('42\t\t-1\t12a\t0\n'), (r) => {
      for (let i = 0; i < 5; i++) got.push(r.uint(i));
    });
    expect(got).toEqual([42, -1, -1, -1, 0]);
  });

  it('round-trips any fields through escapeHitField and the lexer (property)', () => {
    const byte = fc.integer({ min: 0, max: 255 });
    const field = fc.array(byte, { maxLength: 12 }).map((b) => Buffer.from(b));
    const special = fc.constantFrom(...[0x09, 0x0a, 0x0d, 0x5c].map((b) => Buffer.from([b])));
    const anyField = fc.oneof(field, special, fc.array(fc.oneof(field, special), { maxLength: 4 }).map((p) => Buffer.concat(p)));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.array(anyField, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 6 }))),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 5 }),
        ([n, records], chunks) => {
          const data = Buffer.concat(records.map((fields) => Buffer.concat([Buffer.concat(fields.flatMap((f, i) => (i ? [Buffer.from([9]), escapeHitField(f)] : [escapeHitField(f)]))), Buffer.from([10])])));
          const recs = lex(data, n, chunks);
          expect(recs.map((r) => r.fields)).toEqual(records.map((fields) => fields.map((f) => f.toString('latin1'))));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('unescapeHitField inverts escapeHitField (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect([...unescapeHitField(escapeHitField(bytes))]).toEqual([...bytes]);
      }),
    );
  });
});
