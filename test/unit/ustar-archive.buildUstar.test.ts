import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { t as listTar } from 'tar';
import { buildUstar } from '../../activities/feed/ustar-archive.ts';

const dir = mkdtempSync(join(tmpdir(), 'scoreflow-ustar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entries = [
  { name: 'column_headers.tsv', content: Buffer.from('a\tb\tc\n', 'latin1') },
  { name: 'empty.tsv', content: Buffer.alloc(0) },
  { name: 'event.tsv', content: Buffer.from(`${Array.from({ length: 200 }, (_, i) => `${i}\tEvent ${i} é`).join('\n')}\n`, 'latin1') },
];

describe('buildUstar', () => {
  it('is read back by tar with names, sizes, contents, mtime and owner as given, in order', async () => {
    const path = join(dir, 'a.tar');
    writeFileSync(path, buildUstar(entries, { mtime: 1_793_592_000, uid: 1000, gid: 1000, uname: 'datafeed', gname: 'datafeed' }));
    const read: { path: string; size: number; mtime: number; uname: string; mode: number; body: Buffer }[] = [];
    await listTar({
      file: path,
      onReadEntry: (e) => {
        const parts: Buffer[] = [];
        e.on('data', (c: Buffer) => parts.push(c));
        e.on('end', () => read.push({ path: e.path, size: e.size ?? -1, mtime: e.mtime!.getTime() / 1000, uname: e.header.uname ?? '', mode: e.mode ?? 0, body: Buffer.concat(parts) }));
      },
    });
    expect(read.map((r) => r.path)).toEqual(entries.map((e) => e.name));
    for (const [i, r] of read.entries()) {
      expect(r.body.equals(entries[i]!.content)).toBe(true);
      expect(r.size).toBe(entries[i]!.content.length);
      expect(r.mtime).toBe(1_793_592_000);
      expect(r.uname).toBe('datafeed');
      expect(r.mode & 0o777).toBe(0o644);
    }
  });

  it('gives the same bytes for the same entries, padded to 10240-byte records', () => {
    const a = buildUstar(entries, { mtime: 1 });
    expect(a.equals(buildUstar(entries, { mtime: 1 }))).toBe(true);
    expect(a.equals(buildUstar(entries, { mtime: 2 }))).toBe(false);
    expect(a.length % 10240).toBe(0);
    expect(a.subarray(a.length - 1024).every((b) => b === 0)).toBe(true);
  });

  it('refuses a name longer than the 100-byte header field', () => {
    expect(() => buildUstar([{ name: `${'x'.repeat(101)}`, content: Buffer.alloc(0) }], { mtime: 0 })).toThrow(/longer than 100 bytes/);
  });
});
