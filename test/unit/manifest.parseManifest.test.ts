import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from '../../activities/feed/manifest.ts';
import { InvalidFeedError } from '../../activities/feed/invalid-feed-error.ts';
import { FIXTURE_DIR, FIXTURE_MANIFEST } from '../helpers/adobe-feed-delivery.ts';

const MD5_A = '994c3109e0ddbd7c66c360426eaf0cd1';
const MD5_B = '5fc56e6872b75870d9be809fdc97459f';

const header = (data: number, total: number, lookups = 1) => `Datafeed-Manifest-Version: 1.0\nLookup-Files: ${lookups}\nData-Files: ${data}\nTotal-Records: ${total}\n`;
const lookup = `Lookup-File: r_2024-05-01-lookup_data.tar.gz\nMD5-Digest: ${MD5_B}\nFile-Size: 10\n`;
const data = (name: string, records: number) => `Data-File: ${name}\nMD5-Digest: ${MD5_A}\nFile-Size: 20\nRecord-Count: ${records}\n`;

describe('parseManifest', () => {
  it('reads the real fixture manifest (no final newline)', () => {
    const text = readFileSync(join(FIXTURE_DIR, FIXTURE_MANIFEST), 'latin1');
    expect(text.endsWith('\n')).toBe(false);
    expect(parseManifest(text, FIXTURE_MANIFEST)).toEqual({
      version: '1.0',
      totalRecords: 592,
      lookupFiles: [{ name: 'zwitchdev_2015-07-13-lookup_data.tar.gz', md5: '5fc56e6872b75870d9be809fdc97459f', size: 3129118 }],
      dataFiles: [{ name: '01-zwitchdev_2015-07-13.tsv.gz', md5: '994c3109e0ddbd7c66c360426eaf0cd1', size: 75830, recordCount: 592 }],
    });
  });

  it('trims indented keys and values, accepts CRLF and blank lines with spaces', () => {
    const text = [header(2, 7), lookup, data('01-a.tsv.gz', 3), data('02-a.tsv.gz', 4)]
      .join('\n')
      .split('\n')
      .map((l) => (l.includes(':') ? `   ${l.replace(': ', ':   ')}  ` : '  '))
      .join('\r\n');
    const m = parseManifest(text, 'r_2024-05-01.txt');
    expect(m.dataFiles.map((f) => [f.name, f.recordCount])).toEqual([
      ['01-a.tsv.gz', 3],
      ['02-a.tsv.gz', 4],
    ]);
    expect(m.totalRecords).toBe(7);
  });

  it('accepts Data-Files: 0 (a day without data)', () => {
    const m = parseManifest([header(0, 0), lookup].join('\n'), 'r_2024-05-01.txt');
    expect(m.dataFiles).toEqual([]);
    expect(m.totalRecords).toBe(0);
  });

  it('opens a new section at Data-File even without a blank line before it', () => {
    const m = parseManifest(`${header(1, 5)}\n${lookup}${data('01-a.tsv.gz', 5)}`, 'r_2024-05-01.txt');
    expect(m.lookupFiles).toHaveLength(1);
    expect(m.dataFiles[0]!.recordCount).toBe(5);
  });

  it('rejects Total-Records that is not the sum of Record-Count', () => {
    expect(() => parseManifest([header(2, 8), lookup, data('01-a.tsv.gz', 3), data('02-a.tsv.gz', 4)].join('\n'), 'm.txt')).toThrow(
      /m\.txt: Total-Records is 8 but the data files' Record-Count values add up to 7/,
    );
  });

  it('rejects a Data-Files count that does not match the sections', () => {
    expect(() => parseManifest([header(2, 3), lookup, data('01-a.tsv.gz', 3)].join('\n'), 'm.txt')).toThrow(/Data-Files says 2 but 1 Data-File section/);
  });

  it('rejects missing keys, bad digests, paths and duplicate files as InvalidFeed', () => {
    const cases = [
      [header(1, 3), lookup, data('01-a.tsv.gz', 3).replace(/Record-Count.*\n/, '')].join('\n'),
      [header(1, 3), lookup, data('01-a.tsv.gz', 3).replace(MD5_A, 'xyz')].join('\n'),
      [header(1, 3), lookup, data('../etc/passwd', 3)].join('\n'),
      [header(2, 6), lookup, data('01-a.tsv.gz', 3), data('01-a.tsv.gz', 3)].join('\n'),
      'Lookup-Files: 1\nData-Files: 0\n',
      'not a manifest',
      '',
    ];
    for (const text of cases) {
      let err: unknown;
      try {
        parseManifest(text, 'm.txt');
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(InvalidFeedError);
      expect((err as InvalidFeedError).name).toBe('InvalidFeed');
      expect((err as Error).message.startsWith('m.txt: ')).toBe(true);
    }
  });
});
