/** UTF-8 validation on bytes, for reading feed text without silent reinterpretation. */

/**
 * Length of the valid UTF-8 sequence starting at src[i] (lead byte ≥ 0x80) within [i, e), or 0 when
 * the byte does not start one (stray continuation byte, overlong form, surrogate, above U+10FFFF,
 * truncated sequence). Ranges from the Unicode standard, table 3-7.
 */
export function utf8SequenceLength(src: Uint8Array, i: number, e: number): number {
  const c = src[i]!;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c === 0xe0) lo = 0xa0;
    else if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c === 0xf0) lo = 0x90;
    else if (c === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + n > e) return 0;
  const second = src[i + 1]!;
  if (second < lo || second > hi) return 0;
  for (let k = 2; k < n; k++) {
    const b = src[i + k]!;
    if (b < 0x80 || b > 0xbf) return 0;
  }
  return n;
}

/** Decodes ISO-8859-1-held bytes (a string from RawRecord.text) as UTF-8, counting replaced bytes. */
export function decodeUtf8Counting(latin1: string): { text: string; replaced: number } {
  if (!/[\x80-\xff]/.test(latin1)) return { text: latin1, replaced: 0 };
  const bytes = Buffer.from(latin1, 'latin1');
  let text = '';
  let replaced = 0;
  let runStart = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! < 0x80) continue;
    const n = utf8SequenceLength(bytes, i, bytes.length);
    if (n > 0) {
      i += n - 1;
      continue;
    }
    text += bytes.toString('utf8', runStart, i) + '\uFFFD';
    replaced++;
    runStart = i + 1;
  }
  return { text: text + bytes.toString('utf8', runStart), replaced };
}
