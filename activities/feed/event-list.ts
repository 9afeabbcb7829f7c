/**
 * Pure parser of `post_event_list`: comma-separated numeric event ids, each optionally `=value`
 * (1 purchase, 2 product view, 10 cart open, 11 checkout, 12 cart add, 13 cart remove, 14 cart view,
 * 20 campaign view; eventN is 199+N for N <= 100 and 19999+N for N >= 101; eVarN instances are
 * 99+N / 9899+N). Also used for the events inside a product, which may be written as numeric ids
 * or as `eventN`.
 */
import { indexOfCaret, splitCaret, unescapeCaret } from './caret-layer.ts';
import { FieldFormatError } from './field-format-error.ts';

export interface EventEntry {
  id: number;
  value?: number;
}

export const PURCHASE_EVENT = 1;

/** Feed event id of custom event N (event1 → 200, event101 → 20100). */
export function customEventId(n: number): number {
  return n <= 100 ? 199 + n : 19999 + n;
}

/** A numeric event id, or `eventN`; null when the token is neither. */
export function eventIdOf(token: string): number | null {
  if (/^\d{1,9}$/.test(token)) return Number(token);
  const m = /^event(\d{1,4})$/i.exec(token);
  if (m) {
    const n = Number(m[1]);
    return n >= 1 ? customEventId(n) : null;
  }
  return null;
}

/** Parses one `id[=value]` entry (already split, still caret-escaped). */
export function parseEventEntry(raw: string, where: string): EventEntry {
  const eq = indexOfCaret(raw, '=');
  const idText = unescapeCaret(eq < 0 ? raw : raw.slice(0, eq)).trim();
  const id = eventIdOf(idText);
  if (id === null && /^\d+$/.test(idText)) throw new FieldFormatError(`${where}: an event id has ${idText.length} digits, more than the 9 an event id can have`);
  if (id === null) throw new FieldFormatError(`${where}: an event id is not a number (expected digits or eventN)`);
  if (eq < 0) return { id };
  const valueText = unescapeCaret(raw.slice(eq + 1)).trim();
  if (valueText === '') return { id };
  const value = Number(valueText);
  if (!Number.isFinite(value)) throw new FieldFormatError(`${where}: the value of event ${id} is not a number`);
  return { id, value };
}

/** Parses a whole post_event_list value (backslash layer already removed). Empty items are skipped. */
export function parseEventList(s: string, where = 'post_event_list'): EventEntry[] {
  if (s === '') return [];
  const out: EventEntry[] = [];
  for (const item of splitCaret(s, ',')) {
    if (item.trim() === '') continue;
    out.push(parseEventEntry(item, where));
  }
  return out;
}
