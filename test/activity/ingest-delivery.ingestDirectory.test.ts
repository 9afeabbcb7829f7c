import { afterAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { getPool } from '../../activities/store/db.ts';
import { ingestDirectory } from '../../activities/feed/ingest-delivery.ts';
import { hit, tmpDir, writeDelivery } from '../helpers/adobe-feed-delivery.ts';

const dirs: string[] = [];
/** Delivery ids are unique per run: the test database outlives runs. */
const RUN = Date.now().toString(36);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('ingestDirectory', () => {
  it('ingests every complete delivery in a folder, oldest first, skips incomplete ones and reports rejected ones', async () => {
    const dir = tmpDir();
    dirs.push(dir);
    await writeDelivery({ dir, rsid: `dirrs${RUN}`, date: '2024-05-02', files: [{ rows: [hit({ post_visid_low: '2' }), hit({ post_visid_low: '3' })] }] });
    await writeDelivery({ dir, rsid: `dirrs${RUN}`, date: '2024-05-01', files: [{ rows: [hit({ post_visid_low: '1', post_evar3: 'C-1' })] }] });
    const broken = await writeDelivery({ dir, rsid: `dirrs${RUN}`, date: '2024-05-03', files: [{ rows: [hit()] }] });
    writeFileSync(join(dir, broken.dataFiles[0]!), gzipSync(Buffer.from('tampered\n')));
    // Still arriving: data file without its manifest.
    writeFileSync(join(dir, `01-dirrs${RUN}_2024-05-04.tsv.gz`), gzipSync(Buffer.from('')));

    const out = await ingestDirectory(dir, { customerIdColumn: 'post_evar3' });
    expect(out.results.map((r) => [r.deliveryId, r.records, r.visitors])).toEqual([
      [`dirrs${RUN}_2024-05-01`, 1, 1],
      [`dirrs${RUN}_2024-05-02`, 2, 2],
    ]);
    expect(out.rejected).toHaveLength(1);
    expect(out.rejected[0]!.manifestFile).toBe(`dirrs${RUN}_2024-05-03.txt`);
    expect(out.rejected[0]!.reason).toMatch(new RegExp(`^01-dirrs${RUN}_2024-05-03\\.tsv\\.gz: (File-Size|MD5 digest) mismatch`));
    const { rows } = await getPool().query('SELECT delivery_id FROM feed_delivery WHERE delivery_id LIKE $1 ORDER BY 1', [`dirrs${RUN}_%`]);
    expect(rows.map((r) => r.delivery_id)).toEqual([`dirrs${RUN}_2024-05-01`, `dirrs${RUN}_2024-05-02`]);
    const c = await getPool().query('SELECT customer_id FROM feed_hit WHERE delivery_id = $1', [`dirrs${RUN}_2024-05-01`]);
    expect(c.rows).toEqual([{ customer_id: 'C-1' }]);
  });

  it('validates its options', async () => {
    await expect(ingestDirectory(tmpDir(), { customerIdColumn: 'post evar3' })).rejects.toThrow(/hit_data column name/);
  });
});
