import { describe, expect, it } from 'vitest';
import { RECS_MAX_CUSTOM_ATTRIBUTES, buildRecommendationsFeed } from '../../activities/destinations/adobe-target-recommendations-feed.ts';

/** RFC 4180 reader (quoted fields with "" escapes and line breaks). */
function parseRfcCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      rows.push([...row, field]);
      row = [];
      field = '';
    } else field += c;
  }
  return rows;
}

describe('buildRecommendationsFeed', () => {
  it('heads the file with ## RECS lines, the last one listing the entity columns', () => {
    const f = buildRecommendationsFeed({ customAttributes: ['brand', 'tags'], entities: [{ id: 'sku-1', name: 'Watch' }] });
    const lines = f.csv.split('\n');
    const recs = lines.filter((l) => l.startsWith('## RECS'));
    expect(lines.slice(0, recs.length)).toEqual(recs);
    expect(recs.at(-1)).toBe(
      '## RECSentity.id,entity.name,entity.categoryId,entity.message,entity.thumbnailUrl,entity.value,entity.pageUrl,entity.inventory,entity.margin,entity.brand,entity.tags',
    );
    expect(f.columns).toHaveLength(11);
  });

  it('quotes RFC-style, joins categories, and writes multi-value attributes as JSON arrays', () => {
    const f = buildRecommendationsFeed({
      customAttributes: ['brand', 'tags'],
      entities: [
        { id: 'sku-1', name: 'Watch, "Titanium"', categoryId: ['watches', 'sport'], value: 425, inventory: 24, margin: 0.25, custom: { brand: 'RipCurl', tags: ['New', 'Web'] } },
        { id: 'sku-2', name: 'Line\nbreak', message: 'Ünïcode' },
      ],
    });
    expect(f.rows).toBe(2);
    const data = parseRfcCsv(f.csv).filter((r) => !r[0]!.startsWith('## RECS'));
    expect(data).toEqual([
      ['sku-1', 'Watch, "Titanium"', 'watches,sport', '', '', '425', '', '24', '0.25', 'RipCurl', '["New","Web"]'],
      ['sku-2', 'Line\nbreak', '', 'Ünïcode', '', '', '', '', '', '', ''],
    ]);
    expect(f.csv).toContain('"Watch, ""Titanium"""');
  });

  it('allows at most 100 custom attributes with safe names, and rejects bad entities per row', () => {
    const names = Array.from({ length: RECS_MAX_CUSTOM_ATTRIBUTES + 1 }, (_, i) => `c${i}`);
    expect(() => buildRecommendationsFeed({ customAttributes: names, entities: [] })).toThrow(/at most 100/);
    expect(buildRecommendationsFeed({ customAttributes: names.slice(0, 100), entities: [] }).columns).toHaveLength(109);
    expect(() => buildRecommendationsFeed({ customAttributes: ['name'], entities: [] })).toThrow(/collides/);
    expect(() => buildRecommendationsFeed({ customAttributes: ['bad name'], entities: [] })).toThrow(/letters/);
    const f = buildRecommendationsFeed({ customAttributes: ['brand'], entities: [{ id: '' }, { id: 'a' }, { id: 'a' }, { id: 'b', custom: { colour: 'red' } }, { id: 'c', value: Number.NaN }] });
    expect(f.rows).toBe(1);
    expect(f.rejected.map((r) => [r.index, r.reason])).toEqual([
      [0, expect.stringMatching(/empty/)],
      [2, expect.stringMatching(/repeats/)],
      [3, expect.stringMatching(/not declared/)],
      [4, expect.stringMatching(/finite/)],
    ]);
  });
});
