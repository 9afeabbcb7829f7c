/**
 * The second (caret) escape layer of multi-valued hit-data columns (post_event_list,
 * post_product_list, list variables). `^,` `^;` `^=` `^^` are literal `,` `;` `=` `^`.
 * Order (docs/formats/adobe-data-feed.md): the backslash layer is removed first (hit-data-lexer.ts), then the value is
 * split on unescaped separators (splitCaret), then each part is unescaped (unescapeCaret).
 * A caret escapes whatever byte follows it when splitting; unescaping only drops the caret before
 * the four escapable characters and keeps any other caret as a literal.
 */

const CARET = 94; // '^'
const ESCAPABLE = new Set([',', ';', '=', '^']);

/** Splits on every `sep` not preceded by an escaping caret. The parts keep their escapes. */
export function splitCaret(s: string, sep: string): string[] {
  const sepCode = sep.charCodeAt(0);
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === CARET) i++;
    else if (c === sepCode) {
      parts.push(s.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(s.slice(from));
  return parts;
}

/** Index of the first `sep` not preceded by an escaping caret, or -1. */
export function indexOfCaret(s: string, sep: string): number {
  const sepCode = sep.charCodeAt(0);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === CARET) i++;
    else if (c === sepCode) return i;
  }
  return -1;
}

export function unescapeCaret(s: string): string {
  if (s.indexOf('^') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '^' && i + 1 < s.length && ESCAPABLE.has(s[i + 1]!)) {
      out += s[i + 1];
      i++;
    } else out += ch;
  }
  return out;
}

/** The inverse of unescapeCaret: what a writer puts in a multi-valued column. */
export function escapeCaret(s: string): string {
  return s.replace(/[,;=^]/g, (c) => `^${c}`);
}
