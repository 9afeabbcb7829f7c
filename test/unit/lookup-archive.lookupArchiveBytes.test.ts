import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { t as listTar } from 'tar';
import { lookupArchiveBytes } from '../../tools/feed-generator/lookup-archive.ts';
import { lookupFiles } from '../../tools/feed-generator/generated-lookups.ts';

const dir = mkdtempSync(join(tmpdir(), 'scoreflow-lookup-archive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lookupArchiveBytes', () => {
  it('holds every lookup file, in name order, with its content, mode 0644 and the next day 04:00 UTC as mtime', async () => {
    const path = join(dir, 'lookup_data.tar.gz');
    writeFileSync(path, await lookupArchiveBytes('2026-11-30'));
    const read: { path: string; mtime: number; mode: number; body: Buffer }[] = [];
    await listTar({
      file: path,
      onReadEntry: (e) => {
        const parts: Buffer[] = [];
        e.on('data', (c: Buffer) => parts.push(c));
        e.on('end', () => read.push({ path: e.path, mtime: e.mtime!.getTime() / 1000, mode: e.mode ?? 0, body: Buffer.concat(parts) }));
      },
    });
    const expected = lookupFiles().sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(read.map((r) => r.path)).toEqual(expected.map((f) => f.name));
    expect(read.map((r) => r.path)).toContain('column_headers.tsv');
    for (const [i, r] of read.entries()) {
      expect(r.body.equals(expected[i]!.content)).toBe(true);
      expect(r.mtime).toBe(Date.parse('2026-12-01T04:00:00Z') / 1000);
      expect(r.mode & 0o777).toBe(0o644);
    }
  });

  it('gives the same bytes for the same date, and other bytes for another date', async () => {
    const a = await lookupArchiveBytes('2026-11-30');
    expect(a.equals(await lookupArchiveBytes('2026-11-30'))).toBe(true);
    expect(a.equals(await lookupArchiveBytes('2026-12-01'))).toBe(false);
  });
});
