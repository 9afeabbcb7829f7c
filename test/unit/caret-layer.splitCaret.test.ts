import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { escapeCaret, splitCaret, unescapeCaret } from '../../activities/feed/caret-layer.ts';
import { HitDataLexer, escapeHitField } from '../../activities/feed/hit-data-lexer.ts';

describe('splitCaret / unescapeCaret', () => {
  it('splits only on separators not escaped by a caret', () => {
    expect(splitCaret('a,b^,c,d', ',')).toEqual(['a', 'b^,c', 'd']);
    expect(splitCaret('x^^,y', ',')).toEqual(['x^^', 'y']);
    expect(splitCaret('', ',')).toEqual(['']);
    expect(splitCaret('a;b^;c;', ';')).toEqual(['a', 'b^;c', '']);
  });

  it('unescapes ^, ^; ^= ^^ and keeps any other caret', () => {
    expect(unescapeCaret('a^,b^;c^=d^^e')).toBe('a,b;c=d^e');
    expect(unescapeCaret('50^% off^')).toBe('50^% off^');
  });

  it('splits before unescaping: an escaped separator stays inside its part', () => {
    expect(splitCaret('Boots^, Winter,Bags', ',').map(unescapeCaret)).toEqual(['Boots, Winter', 'Bags']);
  });

  it('round-trips any list of values through escapeCaret, join, split, unescape (property)', () => {
    const value = fc.string({ unit: fc.constantFrom('a', 'b', ',', ';', '=', '^', '|', ' ', 'é'), maxLength: 8 });
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 6 }), fc.constantFrom(',', ';'), (values, sep) => {
        const written = values.map(escapeCaret).join(sep);
        expect(splitCaret(written, sep).map(unescapeCaret)).toEqual(values);
      }),
    );
  });

  it('applies the layers in order: backslash first, then split, then caret (property)', () => {
    const value = fc.string({ unit: fc.constantFrom('a', ',', '^', '\\', '\t', '\n', '\r', 'ü'), maxLength: 6 });
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 5 }), (values) => {
        // Writer: caret layer on each value, join, then the backslash layer on the whole field.
        const field = escapeHitField(Buffer.from(values.map(escapeCaret).join(','), 'latin1'));
        const lexer = new HitDataLexer(2);
        let got: string[] = [];
        lexer.push(Buffer.concat([Buffer.from('x\t'), field, Buffer.from('\n')]), (r) => {
          got = splitCaret(r.text(1), ',').map(unescapeCaret);
        });
        expect(got).toEqual(values);
      }),
    );
  });
});
