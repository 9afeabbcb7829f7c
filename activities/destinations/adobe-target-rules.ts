/**
 * Pure: Adobe Target's profile rules, shared by the bulk and the single profile update adapters
 * (docs/destinations/adobe-target.md). Id and attribute checks, how one value becomes a cell, the clear sentinel,
 * and reading Target's small XML answers. No I/O.
 */

/**
 * Target ignores empty values, so an empty value never clears an attribute. Scoreflow clears one by
 * writing this sentinel instead; the destination contract declares it, and Target profile scripts and
 * audiences treat an attribute holding it as absent.
 */
export const TARGET_CLEAR_SENTINEL = '__sf_cleared__';

export const TARGET_MAX_ATTRIBUTE_NAME_CHARS = 128;
export const TARGET_MAX_ATTRIBUTE_VALUE_CHARS = 256;

export type TargetIdColumn = 'thirdPartyId' | 'pcId';

/**
 * What happens to a value longer than 256 characters (counted in Unicode code points):
 * `reject` rejects the row with a reason, `truncate` keeps the first 256 code points.
 */
export type ValueOverflowRule = 'reject' | 'truncate';

/** Percent-encodes a name or value as UTF-8 (Target requires URL-encoded names and values). Throws URIError on lone surrogates. */
export function encodeTargetField(s: string): string {
  return encodeURIComponent(s);
}

/** Why a profile id cannot be sent, or undefined when it can. Never echoes the id. */
export function thirdPartyIdProblem(id: string | undefined, column: TargetIdColumn = 'thirdPartyId'): string | undefined {
  if (id === undefined || id === '') return `no ${column} identifier resolved for this entity`;
  if (column === 'thirdPartyId' && /[+/]/.test(id)) return 'thirdPartyId contains "+" or "/", which mbox3rdPartyId cannot hold';
  if (!isWellFormed(id)) return `${column} is not well-formed UTF-16 (lone surrogate)`;
  return undefined;
}

/** Why an attribute name cannot be sent, or undefined when it can. */
export function attributeNameProblem(name: string, idColumn: TargetIdColumn = 'thirdPartyId'): string | undefined {
  if (name === '') return 'attribute name is empty';
  if (codePoints(name) > TARGET_MAX_ATTRIBUTE_NAME_CHARS) return `attribute name "${name.slice(0, 40)}…" is longer than ${TARGET_MAX_ATTRIBUTE_NAME_CHARS} characters`;
  if (name.startsWith('profile.')) return `attribute name "${name}" must be given without the "profile." prefix`;
  if (name === 'thirdPartyId' || name === 'pcId' || name === idColumn) return `attribute name "${name}" is reserved for the profile id`;
  if (!isWellFormed(name)) return `attribute name is not well-formed UTF-16`;
  return undefined;
}

export type CellOutcome = { ok: true; value: string; truncated: boolean } | { ok: false; reason: string };

/**
 * Renders one attribute value as Target text. `null` means "clear": it becomes the sentinel.
 * Strings pass as they are; finite numbers, booleans and bigints become their decimal text; Dates
 * become ISO 8601. Objects and arrays are a mapping error (the mapping must flatten them).
 */
export function targetCell(name: string, value: unknown, overflow: ValueOverflowRule): CellOutcome {
  let text: string;
  if (value === null) return { ok: true, value: TARGET_CLEAR_SENTINEL, truncated: false };
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, reason: `attribute "${name}" is not a finite number` };
    text = String(value);
  } else if (typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else if (value instanceof Date) text = value.toISOString();
  else return { ok: false, reason: `attribute "${name}" holds ${Array.isArray(value) ? 'an array' : `a ${typeof value}`}; the mapping must flatten it to text` };
  if (text === TARGET_CLEAR_SENTINEL) return { ok: false, reason: `attribute "${name}" holds the clear sentinel as a real value` };
  if (!isWellFormed(text)) return { ok: false, reason: `attribute "${name}" is not well-formed UTF-16 (lone surrogate)` };
  if (codePoints(text) > TARGET_MAX_ATTRIBUTE_VALUE_CHARS) {
    if (overflow === 'reject') return { ok: false, reason: `attribute "${name}" is longer than ${TARGET_MAX_ATTRIBUTE_VALUE_CHARS} characters` };
    return { ok: true, value: Array.from(text).slice(0, TARGET_MAX_ATTRIBUTE_VALUE_CHARS).join(''), truncated: true };
  }
  return { ok: true, value: text, truncated: false };
}

export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function isWellFormed(s: string): boolean {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Reads the leaf elements of Target's flat XML answers (`<response><success>true</success>...`) into
 * a record. Target's answers are one level deep; nested or repeated elements keep the first value.
 */
export function readTargetXml(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/<([A-Za-z][\w.-]*)>([^<]*)<\/\1>/g)) {
    const [, tag, raw] = m;
    if (tag === undefined || raw === undefined || tag in out) continue;
    out[tag] = raw.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
      e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : XML_ENTITIES[e]!,
    );
  }
  return out;
}
