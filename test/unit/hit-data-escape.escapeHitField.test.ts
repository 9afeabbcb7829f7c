import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHitField } from '../../tools/feed-generator/hit-data-escape.ts';
import { readHitRecords } from '../helpers/generated-feed-reader.ts';

const latin1 = fc.string({ unit: fc.constantFrom('a', 'é', '\t', '\n', '\r', '\\', ' ', 'ÿ', ',', '^', ';') });

describe('escapeHitField', () => {
  it('puts a backslash before tab, LF, CR and backslash, and nothing else', () => {
    expect(escapeHitField('plain text')).toBe('plain text');
    expect(escapeHitField('a\tb')).toBe('a\\\tb');
    expect(escapeHitField('a\nb')).toBe('a\\\nb');
    expect(escapeHitField('a\rb')).toBe('a\\\rb');
    expect(escapeHitField('C:\\x')).toBe('C:\\\\x');
    expect(escapeHitField('^,;=')).toBe('^,;=');
  });

  it('round-trips any latin1 fields through a record reader that honours the escapes', () => {
    fc.assert(
      fc.property(fc.array(latin1, { minLength: 1, maxLength: 8 }), fc.array(latin1, { minLength: 1, maxLength: 8 }), (a, b) => {
        const text = `${a.map(escapeHitField).join('\t')}\n${b.map(escapeHitField).join('\t')}\n`;
        expect(readHitRecords(Buffer.from(text, 'latin1'))).toEqual([a, b]);
      }),
    );
  });
});
