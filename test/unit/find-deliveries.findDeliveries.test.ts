import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findDeliveries } from '../../activities/feed/find-deliveries.ts';
import { tmpDir } from '../helpers/adobe-feed-delivery.ts';

describe('findDeliveries', () => {
  it('lists only deliveries whose manifest exists, oldest first', async () => {
    const dir = tmpDir();
    for (const f of [
      'rs_2024-05-02.txt',
      '01-rs_2024-05-02.tsv.gz',
      'rs_2024-05-01.txt',
      '01-rs_2024-05-01.tsv.gz',
      '01-rs_2024-05-03.tsv.gz', // still arriving: no manifest yet
      'rs_2024-05-03-lookup_data.tar.gz',
      'rs_20240501-130000.txt',
      'notes.txt',
    ]) {
      writeFileSync(join(dir, f), '');
    }
    mkdirSync(join(dir, 'rs_2024-04-30.txt')); // a directory is not a manifest
    const found = await findDeliveries(dir);
    expect(found.map((d) => d.manifestFile)).toEqual(['rs_2024-05-01.txt', 'rs_20240501-130000.txt', 'rs_2024-05-02.txt']);
    expect(found[0]).toMatchObject({ deliveryId: 'rs_2024-05-01', rsid: 'rs', feedDate: '2024-05-01' });
  });

  it('says which folder is missing', async () => {
    await expect(findDeliveries('/nonexistent/feed-inbox')).rejects.toThrow(/\/nonexistent\/feed-inbox: the feed folder does not exist/);
  });
});
