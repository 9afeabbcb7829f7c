import { describe, expect, it } from 'vitest';
import type { DeliveryRow } from '../../activities/destinations/adapter.ts';
import { TARGET_CLEAR_SENTINEL, batchHeaderLine, buildBatchFiles } from '../../activities/destinations/adobe-target-bulk.ts';

function row(entityId: string, thirdPartyId: string | undefined, payload: Record<string, unknown>, op: DeliveryRow['op'] = 'upsert'): DeliveryRow {
  return { entityId, op, payload, digest: `d-${entityId}`, identifiers: thirdPartyId === undefined ? {} : { thirdPartyId } };
}

/** Reads a batch file back the way Target does: split lines and fields, URL-decode. */
function readBack(body: string): { header: string[]; rows: string[][] } {
  const lines = body.split('\n').filter((l) => l !== '');
  expect(lines[0]!.startsWith('batch=')).toBe(true);
  return {
    header: lines[0]!.slice('batch='.length).split(',').map(decodeURIComponent),
    rows: lines.slice(1).map((l) => l.split(',').map(decodeURIComponent)),
  };
}

describe('buildBatchFiles', () => {
  it('writes the batch= header and URL-encodes commas, quotes, newlines and UTF-8 in names and values', () => {
    const b = buildBatchFiles([row('1_1', 'C-1', { 'seg,name': 'a,b', city: 'Zürich\n"quoted"', score: 0.82, vip: true })]);
    expect(b.files).toHaveLength(1);
    const body = b.files[0]!.body;
    expect(body.split('\n')[0]).toBe('batch=thirdPartyId,city,score,seg%2Cname,vip');
    expect(body).toContain('Z%C3%BCrich%0A%22quoted%22');
    expect(body).toContain('a%2Cb');
    // The only raw commas are separators: every line has exactly 1 + attributes fields.
    for (const l of body.trim().split('\n')) expect(l.split(',')).toHaveLength(5);
    const back = readBack(body);
    expect(back.header).toEqual(['thirdPartyId', 'city', 'score', 'seg,name', 'vip']);
    expect(back.rows[0]).toEqual(['C-1', 'Zürich\n"quoted"', '0.82', 'a,b', 'true']);
    expect(b.files[0]!.bytes).toBe(Buffer.byteLength(body, 'utf8'));
  });

  it('writes the clear sentinel on removals, never an empty value', () => {
    const b = buildBatchFiles(
      [
        row('1_1', 'C-1', { segment: 'high', score: 0.9 }),
        row('2_2', 'C-2', { segment: 'x' }, 'remove'),
        row('3_3', 'C-3', {}, 'remove'),
        row('4_4', 'C-4', { segment: null, score: 0.4 }),
      ],
      { attributes: ['segment', 'score'] },
    );
    const back = readBack(b.files[0]!.body);
    expect(back.rows).toEqual([
      ['C-1', 'high', '0.9'],
      ['C-2', TARGET_CLEAR_SENTINEL, ''],
      ['C-3', TARGET_CLEAR_SENTINEL, TARGET_CLEAR_SENTINEL],
      ['C-4', TARGET_CLEAR_SENTINEL, '0.4'],
    ]);
    expect(b.clearedValues).toBe(4);
    expect(b.rejected).toEqual([]);
  });

  it('rejects per row, with a reason, ids holding + or /, missing ids and bad values, and keeps the other rows', () => {
    const b = buildBatchFiles(
      [
        row('1_1', 'good-1', { s: 'a' }),
        row('2_2', 'has+plus', { s: 'a' }),
        row('3_3', 'has/slash', { s: 'a' }),
        row('4_4', undefined, { s: 'a' }),
        row('5_5', 'long', { s: 'x'.repeat(257) }),
        row('6_6', 'obj', { s: { nested: 1 } }),
        row('7_7', 'undeclared', { other: 'a' }),
        row('8_8', 'sentinel', { s: TARGET_CLEAR_SENTINEL }),
        row('9_9', 'good-2', { s: 'é'.repeat(256) }),
      ],
      { attributes: ['s'] },
    );
    expect(b.files[0]!.entityIds).toEqual(['1_1', '9_9']);
    const reasons = Object.fromEntries(b.rejected.map((r) => [r.entityId, r.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['2_2', '3_3', '4_4', '5_5', '6_6', '7_7', '8_8']);
    expect(reasons['2_2']).toMatch(/"\+" or "\/"/);
    expect(reasons['3_3']).toMatch(/"\+" or "\/"/);
    expect(reasons['4_4']).toMatch(/no thirdPartyId/);
    expect(reasons['5_5']).toMatch(/longer than 256/);
    expect(reasons['6_6']).toMatch(/flatten/);
    expect(reasons['7_7']).toMatch(/not declared/);
    expect(b.rejected.every((r) => !r.retryable)).toBe(true);
    // Reasons never carry the identifier itself.
    for (const r of b.rejected) expect(r.reason).not.toMatch(/has\+plus|has\/slash/);
  });

  it('truncates long values to 256 code points under the truncate rule', () => {
    const b = buildBatchFiles([row('1_1', 'C-1', { s: '😀'.repeat(300) })], { valueOverflow: 'truncate' });
    const back = readBack(b.files[0]!.body);
    expect(Array.from(back.rows[0]![1]!)).toHaveLength(256);
    expect(b.truncatedValues).toBe(1);
  });

  it('refuses declared attribute names over 128 characters or with the profile. prefix', () => {
    expect(() => buildBatchFiles([], { attributes: ['a'.repeat(129)] })).toThrow(/128/);
    expect(() => buildBatchFiles([], { attributes: ['profile.x'] })).toThrow(/prefix/);
    const b = buildBatchFiles([row('1_1', 'C-1', { ['n'.repeat(129)]: 'v' })]);
    expect(b.rejected[0]!.reason).toMatch(/128/);
  });

  it('splits at the row limit, repeating the header in every file', () => {
    const rows = Array.from({ length: 7 }, (_, i) => row(`${i}_0`, `C-${i}`, { s: String(i) }));
    const b = buildBatchFiles(rows, { maxRows: 3 });
    expect(b.files.map((f) => f.entityIds.length)).toEqual([3, 3, 1]);
    for (const f of b.files) expect(f.body.startsWith(`${batchHeaderLine('thirdPartyId', ['s'])}\n`)).toBe(true);
    expect(b.files.flatMap((f) => f.entityIds)).toEqual(rows.map((r) => r.entityId));
  });

  it('splits so that every file stays strictly under the byte limit', () => {
    const rows = Array.from({ length: 50 }, (_, i) => row(`${i}_0`, `C-${i}`, { s: 'ü'.repeat(40) }));
    const maxBytes = 1000;
    const b = buildBatchFiles(rows, { maxBytes });
    expect(b.files.length).toBeGreaterThan(1);
    for (const f of b.files) {
      expect(Buffer.byteLength(f.body, 'utf8')).toBe(f.bytes);
      expect(f.bytes).toBeLessThan(maxBytes);
    }
    expect(b.files.flatMap((f) => f.entityIds)).toHaveLength(50);
    // Filling: adding the next file's first row would have reached the limit.
    const firstLineOfSecond = b.files[1]!.body.split('\n')[1]!;
    expect(b.files[0]!.bytes + Buffer.byteLength(firstLineOfSecond) + 1).toBeGreaterThanOrEqual(maxBytes);
  });

  it('keys the file by pcId when asked', () => {
    const b = buildBatchFiles([{ entityId: '1_1', op: 'upsert', payload: { s: 'a' }, digest: 'd', identifiers: { pcId: '1368007744041-575948.01_00' } }], { idColumn: 'pcId' });
    expect(b.files[0]!.body).toBe('batch=pcId,s\n1368007744041-575948.01_00,a\n');
  });
});
