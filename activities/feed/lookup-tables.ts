/**
 * Pure parsers of the lookup files inside `<rsid>_<date>-lookup_data.tar.gz` (ISO-8859-1 text).
 * Every lookup is `id<TAB>value` without a header; ids stay strings (plugins.tsv ids are
 * zero-padded). `column_headers.tsv` is one tab-separated line naming the hit_data columns in order.
 */

export function parseColumnHeaders(text: string): string[] {
  const line = text.replace(/\r?\n$/, '').replace(/\r$/, '');
  if (line.includes('\n')) {
    // Only the first line counts; a trailing blank line is harmless, anything else is not a header file.
    const [first, ...rest] = line.split(/\r?\n/);
    if (rest.some((l) => l.trim() !== '')) throw new Error('column_headers.tsv has more than one line');
    return (first ?? '').split('\t').map((c) => c.trim());
  }
  return line.split('\t').map((c) => c.trim());
}

/** `id<TAB>value` lines into a map id → value (extra columns, as in referrer_type.tsv, stay in the value). */
export function parseLookupTable(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    const tab = line.indexOf('\t');
    if (tab < 0) out.set(line, '');
    else out.set(line.slice(0, tab), line.slice(tab + 1));
  }
  return out;
}
