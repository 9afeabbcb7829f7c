/**
 * Pure: the backslash layer of Adobe hit data, as a writer applies it (docs/formats/adobe-data-feed.md). Inside a
 * field, a tab, LF, CR or backslash byte is written as a backslash followed by that same byte, so
 * a reader that honours the escape sees the literal byte and a tab/LF outside an escape always ends
 * a field/record. (Not PostgreSQL's `\t` letter form: the byte after the backslash is the real byte.)
 */

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPABLE = /[\\\t\n\r]/g;

/** The field as it is written into hit_data: every tab, LF, CR and backslash preceded by a backslash. */
export function escapeHitField(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPABLE, (c) => `\\${c}`) : value;
}
