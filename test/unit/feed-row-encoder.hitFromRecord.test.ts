import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CopyTextWriter } from '../../activities/feed/copy-text-writer.ts';
import { FeedRowEncoder } from '../../activities/feed/feed-row-encoder.ts';
import { HitDataLexer, escapeHitField, type RawRecord } from '../../activities/feed/hit-data-lexer.ts';
import { resolveHitColumns } from '../../activities/feed/hit-columns.ts';
import { interpretHit, interpretHitCore } from '../../activities/feed/hit-interpreter.ts';
import { FieldFormatError } from '../../activities/feed/field-format-error.ts';
import { BASE_COLUMNS, hit } from '../helpers/adobe-feed-delivery.ts';

const cols = resolveHitColumns(BASE_COLUMNS, { customerIdColumn: 'post_evar3', consentColumn: 'post_evar5' });

/** Encodes one record both ways: straight from its bytes, and from the decoded typed hit. */
function bothWays(fields: Record<string, Buffer>): { fromBytes: string | Error; fromHit: string | Error } {
  const line = Buffer.concat([
    ...BASE_COLUMNS.flatMap((c, i) => [i ? Buffer.from('\t') : Buffer.alloc(0), escapeHitField(fields[c] ?? Buffer.from(hit()[c] ?? '', 'latin1'))]),
    Buffer.from('\n'),
  ]);
  let rec: RawRecord | undefined;
  const results: { fromBytes: string | Error; fromHit: string | Error } = { fromBytes: '', fromHit: '' };
  new HitDataLexer(cols.count).push(line, (r) => {
    rec = r;
    const enc = new FeedRowEncoder('rs_2024-05-01', '01-rs_2024-05-01.tsv.gz');
    const core = interpretHitCore(r, cols);
    const typed = interpretHit(r, cols);
    if (core.kind !== 'hit' || typed.kind !== 'hit') throw new Error(`not a hit: ${JSON.stringify(core)}`);
    const a = new CopyTextWriter(8);
    const b = new CopyTextWriter(8);
    try {
      enc.hitFromRecord(a, 7, r, cols, core.hit);
      results.fromBytes = a.take().toString('utf8');
    } catch (err) {
      results.fromBytes = err as Error;
    }
    try {
      enc.hit(b, 7, typed.hit);
      results.fromHit = b.take().toString('utf8');
    } catch (err) {
      results.fromHit = err as Error;
    }
  });
  expect(rec).toBeDefined();
  return results;
}

describe('FeedRowEncoder.hitFromRecord', () => {
  it('writes a feed_hit row with NULL for empty texts and the visitor id from both halves', () => {
    const { fromBytes } = bothWays({ post_pagename: Buffer.from('Zürich\tcentre', 'latin1'), post_page_url: Buffer.alloc(0) });
    expect(fromBytes).toBe(
      ['rs_2024-05-01', '01-rs_2024-05-01.tsv.gz', '7', '3085510024563356709_6917529589236548608', '1', '1714521600', '1', '1714521600', '0', 'Zürich\\tcentre', '\\N', '{}', 't', 'f', '\\N', '0.00', '0', '\\N', '\\N', '\\N'].join('\t') + '\n',
    );
  });

  it('writes the same bytes as encoding the decoded typed hit, for any text (property)', () => {
    const text = fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b.filter((x) => x !== 0)));
    const special = fc.constantFrom(...['\\', '\t', '\n', '\r', '\\n', 'é', 'ÿ', '\\\\'].map((s) => Buffer.from(s, 'latin1')));
    const field = fc.array(fc.oneof(text, special), { maxLength: 4 }).map((p) => Buffer.concat(p));
    fc.assert(
      fc.property(field, field, field, field, field, (pagename, url, purchase, customer, consent) => {
        const { fromBytes, fromHit } = bothWays({ post_pagename: pagename, post_page_url: url, post_purchaseid: purchase, post_evar3: customer, post_evar5: consent });
        expect(fromBytes).toEqual(fromHit);
      }),
      { numRuns: 400 },
    );
  });

  it('refuses a NUL byte both ways, naming the column', () => {
    const { fromBytes, fromHit } = bothWays({ post_page_url: Buffer.from([0x61, 0x00, 0x62]) });
    expect(fromBytes).toBeInstanceOf(FieldFormatError);
    expect(fromHit).toBeInstanceOf(FieldFormatError);
    expect((fromBytes as Error).message).toBe('post_page_url holds a NUL byte, which PostgreSQL text cannot store');
  });
});
