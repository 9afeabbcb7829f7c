/**
 * Pure parser of `post_product_list` (docs/formats/adobe-data-feed.md).
 *
 * Products are separated by `,`; each is `category;product;quantity;price;events;eVars`, with
 * events and eVars separated by `|` inside. Every split honours the caret layer (`^,` `^;` `^=`
 * `^^` are literals) and parts are unescaped only after splitting.
 * - A product with an empty name is no product: real feeds carry `;;;;` on every row.
 * - Price is the line total, not the unit price.
 * - Quantity and price count only on purchase hits; elsewhere they are null.
 *   On a purchase hit an empty quantity or price is null as well and adds 0 to units / revenue.
 * - Events inside a product may be numeric ids or `eventN`, optionally `=value`.
 * - Merchandising eVars are `id=value` with their own ids: eVar1–75 are 101–175, eVar76–100 are
 *   275–299, eVar101–250 are 1200–1349; `eVarN=value` is accepted too.
 */
import { escapeCaret, indexOfCaret, splitCaret, unescapeCaret } from './caret-layer.ts';
import { parseEventEntry, type EventEntry } from './event-list.ts';
import { FieldFormatError } from './field-format-error.ts';

export interface MerchandisingEvar {
  /** The id as delivered (101–175, 275–299, 1200–1349). */
  id: number;
  /** The eVar number it stands for, or null when the id is outside the merchandising ranges. */
  evar: number | null;
  value: string;
}

export interface Product {
  /** 1-based position in the list as delivered (empty-named entries keep their place). */
  position: number;
  category: string;
  product: string;
  quantity: number | null;
  price: number | null;
  events: EventEntry[];
  evars: MerchandisingEvar[];
}

/** eVar number of a merchandising eVar id, or null. */
export function merchandisingEvarNumber(id: number): number | null {
  if (id >= 101 && id <= 175) return id - 100;
  if (id >= 275 && id <= 299) return id - 199;
  if (id >= 1200 && id <= 1349) return id - 1099;
  return null;
}

/** Merchandising eVar id of eVar N. */
export function merchandisingEvarId(n: number): number {
  if (n >= 1 && n <= 75) return 100 + n;
  if (n >= 76 && n <= 100) return 199 + n;
  if (n >= 101 && n <= 250) return 1099 + n;
  throw new RangeError(`eVar${n} has no merchandising id (eVars 1-250 only)`);
}

function parseEvar(raw: string, where: string): MerchandisingEvar {
  const eq = indexOfCaret(raw, '=');
  if (eq < 0) throw new FieldFormatError(`${where}: a merchandising eVar has no "=value"`);
  const key = unescapeCaret(raw.slice(0, eq)).trim();
  const value = unescapeCaret(raw.slice(eq + 1));
  if (/^\d{1,9}$/.test(key)) {
    const id = Number(key);
    return { id, evar: merchandisingEvarNumber(id), value };
  }
  const m = /^evar(\d{1,3})$/i.exec(key);
  if (m) {
    const n = Number(m[1]);
    if (n >= 1 && n <= 250) return { id: merchandisingEvarId(n), evar: n, value };
  }
  throw new FieldFormatError(`${where}: a merchandising eVar id is neither a number nor eVarN (N 1-250)`);
}

function parseNumber(text: string, where: string, what: string, integer: boolean): number | null {
  const t = text.trim();
  if (t === '') return null;
  const v = Number(t);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new FieldFormatError(`${where}: ${what} is not ${integer ? 'an integer' : 'a number'}`);
  }
  return v;
}

/** True when a product-list value holds no product at all (`''`, `;;;;`, `;;;;,;;;;`). Cheap pre-check. */
export function isEmptyProductList(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 59 /* ; */ && c !== 44 /* , */) return false;
  }
  return true;
}

/** Parses a post_product_list value (backslash layer already removed). */
export function parseProductList(s: string, isPurchase: boolean, column = 'post_product_list'): Product[] {
  if (isEmptyProductList(s)) return [];
  const out: Product[] = [];
  const items = splitCaret(s, ',');
  if (items.length > 32767) throw new FieldFormatError(`${column}: has ${items.length} products, at most 32767`);
  for (let p = 0; p < items.length; p++) {
    const position = p + 1;
    const where = `${column} product ${position}`;
    const parts = splitCaret(items[p]!, ';');
    if (parts.length > 6) throw new FieldFormatError(`${where}: has ${parts.length} ";"-separated parts, at most 6 (category;product;quantity;price;events;eVars)`);
    const product = unescapeCaret(parts[1] ?? '');
    if (product === '') continue;
    const category = unescapeCaret(parts[0] ?? '');
    const quantity = isPurchase ? parseNumber(unescapeCaret(parts[2] ?? ''), where, 'quantity', true) : null;
    const price = isPurchase ? parseNumber(unescapeCaret(parts[3] ?? ''), where, 'price', false) : null;
    const events = (parts[4] ?? '') === '' ? [] : splitCaret(parts[4]!, '|').filter((e) => e.trim() !== '').map((e) => parseEventEntry(e, `${where} events`));
    const evars = (parts[5] ?? '') === '' ? [] : splitCaret(parts[5]!, '|').filter((e) => e !== '').map((e) => parseEvar(e, `${where} eVars`));
    out.push({ position, category, product, quantity, price, events, evars });
  }
  return out;
}

export interface ProductInput {
  category: string;
  product: string;
  quantity?: number | null;
  price?: number | null;
  events?: EventEntry[];
  evars?: { id: number; value: string }[];
}

/** Writes a product list the way Adobe serialises it (caret layer only; the backslash layer is the file writer's). */
export function formatProductList(products: ProductInput[]): string {
  return products
    .map((p) =>
      [
        escapeCaret(p.category),
        escapeCaret(p.product),
        p.quantity == null ? '' : String(p.quantity),
        p.price == null ? '' : String(p.price),
        (p.events ?? []).map((e) => (e.value === undefined ? String(e.id) : `${e.id}=${e.value}`)).join('|'),
        (p.evars ?? []).map((e) => `${e.id}=${escapeCaret(e.value)}`).join('|'),
      ].join(';'),
    )
    .join(',');
}
