/**
 * Which character encoding a delivery's hit data is read in. Adobe writes hit data in the report
 * suite's encoding: ISO-8859-1 for old suites, UTF-8 for most today, and nothing in the delivery
 * says which. The pipeline's `feed.encoding` (ingest option `encoding`) decides; its default
 * `auto` samples the first data file:
 *
 *  - more valid UTF-8 multi-byte sequences than invalid bytes → UTF-8;
 *  - more invalid bytes (ISO-8859-1 text rarely forms valid UTF-8 sequences) → ISO-8859-1;
 *  - no byte ≥ 0x80 in the sample → the first byte ≥ 0x80 met while loading decides (UTF-8 when
 *    it starts a valid sequence); the records before it were ASCII, which reads the same in both.
 *    A delivery that is ASCII throughout is reported as UTF-8.
 *
 * Read as UTF-8, a byte that is not part of a valid sequence is stored as U+FFFD and counted
 * (IngestResult.replacedBytes / replacedRecords, feed_delivery.replaced_bytes), never reinterpreted
 * as ISO-8859-1 (that was mojibake nobody could see). Read as ISO-8859-1, every byte is a character.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { FeedByteEncoding } from './copy-text-writer.ts';
import { utf8SequenceLength } from './utf8-bytes.ts';

export type FeedEncodingSetting = FeedByteEncoding | 'auto';

/** Uncompressed bytes of the first data file that `auto` looks at. */
const SAMPLE_BYTES = 4 << 20;

/** The encoding a sample of hit data is in, by the rule above; undecided when it has no byte ≥ 0x80. */
export function encodingOfSample(bytes: Uint8Array): FeedByteEncoding | 'undecided' {
  let valid = 0;
  let invalid = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! < 0x80) continue;
    const n = utf8SequenceLength(bytes, i, bytes.length);
    // A sequence cut by the end of the sample is neither.
    if (n === 0 && i + 4 > bytes.length) break;
    if (n === 0) invalid++;
    else {
      valid++;
      i += n - 1;
    }
  }
  if (valid === 0 && invalid === 0) return 'undecided';
  return valid > invalid ? 'utf-8' : 'iso-8859-1';
}

/** Up to SAMPLE_BYTES of a gzip file, uncompressed; what could be read when the file is damaged (parsing reports that). */
async function sampleOf(path: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  const source = createReadStream(path);
  const gunzip = createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  try {
    for await (const chunk of gunzip) {
      parts.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= SAMPLE_BYTES) break;
    }
  } catch {
    // A broken gzip is rejected by the parse, with the file and record; the sample is what was read.
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  return Buffer.concat(parts).subarray(0, SAMPLE_BYTES);
}

/**
 * The encoding to read a delivery in: the setting, or for `auto` the first data file's sample;
 * 'undecided' when the sample is all ASCII (the first byte ≥ 0x80 met while loading settles it).
 */
export async function decideFeedEncoding(setting: FeedEncodingSetting, dir: string, dataFiles: readonly { name: string }[]): Promise<FeedByteEncoding | 'undecided'> {
  if (setting !== 'auto') return setting;
  const first = dataFiles[0];
  if (!first) return 'undecided';
  return encodingOfSample(await sampleOf(join(dir, first.name)));
}
