import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CopyTextWriter } from '../../activities/feed/copy-text-writer.ts';
import { FieldFormatError } from '../../activities/feed/field-format-error.ts';

/** PostgreSQL COPY text-format decoding of one field (as the server does it), written independently. */
function copyDecode(field: string): string | null {
  if (field === '\\N') return null;
  let out = '';
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const d = field[++i]!;
    out += d === 't' ? '\t' : d === 'n' ? '\n' : d === 'r' ? '\r' : d === 'b' ? '\b' : d === 'f' ? '\f' : d === 'v' ? '\v' : d;
  }
  return out;
}

function row(write: (w: CopyTextWriter) => void): string[] {
  const w = new CopyTextWriter(16);
  write(w);
  const text = w.take().toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\t');
}

describe('CopyTextWriter', () => {
  it('escapes backslash, tab, LF and CR and writes \\N for null', () => {
    expect(row((w) => w.text('a\\b\tc\nd\re').tab().text(null).endRow())).toEqual(['a\\\\b\\tc\\nd\\re', '\\N']);
  });

  it('writes ISO-8859-1 text as UTF-8 and other characters too', () => {
    expect(row((w) => w.text('Zürich é').tab().text('日本 😀').endRow()).map(copyDecode)).toEqual(['Zürich é', '日本 😀']);
  });

  it('refuses NUL, which PostgreSQL text cannot hold, naming the field', () => {
    const w = new CopyTextWriter();
    expect(() => w.text('a\0b', 'post_pagename')).toThrow(FieldFormatError);
    expect(() => w.text(`${'x'.repeat(30)}\0`, 'post_page_url')).toThrow(/post_page_url holds a NUL byte/);
  });

  it('re-expresses a feed field from its bytes: feed escapes to COPY escapes, lone backslashes literal, latin1 to UTF-8', () => {
    const feed = Buffer.concat([Buffer.from('a\\\tb\\\nc\\\rd\\\\e\\nf\rg', 'latin1'), Buffer.from([0xe9, 0x5c])]);
    const w = new CopyTextWriter(4);
    w.field(feed, 0, feed.length, 'x').tab().field(feed, 3, 3, 'empty').tab().field(feed, 3, 3, 'empty', false).endRow();
    const [field, empty, emptyText] = w.take().toString('utf8').slice(0, -1).split('\t');
    expect(copyDecode(field!)).toBe('a\tb\nc\rd\\e\\nf\rgé\\');
    expect(empty).toBe('\\N');
    expect(emptyText).toBe('');
  });

  it('rewinds to a mark', () => {
    const w = new CopyTextWriter(4);
    w.text('keep').endRow();
    const m = w.mark();
    w.text('drop me').tab();
    w.rewind(m);
    w.text('next').endRow();
    expect(w.take().toString()).toBe('keep\nnext\n');
  });

  it('writes integers, cents, booleans, int arrays and bytea', () => {
    expect(row((w) => w.int(0).tab().int(1714521600).tab().int(null).tab().cents(6999).tab().cents(-5).tab().cents(0).tab().bool(true).tab().intArray([1, 200]).tab().intArray([]).tab().bytea(Buffer.from([0, 0xff, 9])).endRow())).toEqual([
      '0', '1714521600', '\\N', '69.99', '-0.05', '0.00', 't', '{1,200}', '{}', '\\\\x00ff09',
    ]);
  });

  it('round-trips any string through COPY text decoding (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.oneof(fc.constantFrom('\\', '\t', '\n', '\r', 'é', 'x', '/'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((s) => s !== '\0')), maxLength: 40 }), { minLength: 1, maxLength: 4 }), (values) => {
        const w = new CopyTextWriter(8);
        values.forEach((v, i) => (i ? w.tab() : w).text(v));
        w.endRow();
        const fields = w.take().toString('utf8').slice(0, -1).split('\t');
        expect(fields.map(copyDecode)).toEqual(values);
      }),
    );
  });

  it('writes any safe non-negative integer exactly (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 53 - 1 }), (n) => {
        expect(row((w) => w.int(n).endRow())).toEqual([String(n)]);
      }),
    );
  });
});
