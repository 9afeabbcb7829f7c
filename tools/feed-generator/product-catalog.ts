/**
 * Pure: the sample shop's catalogue: eight categories, 240 SKUs each, a deterministic unit price per
 * SKU, and the internal search terms visitors type. A few SKUs and variant values carry the caret
 * layer's special characters (`,` `;` `=` `^`) and a few search terms carry tab, LF, CR or backslash,
 * so the feed exercises both escape layers.
 */

export interface Category {
  name: string;
  code: string;
  /** Typical unit price in USD. */
  basePrice: number;
}

export const CATEGORIES: readonly Category[] = [
  { name: 'shoes', code: 'SH', basePrice: 89 },
  { name: 'outerwear', code: 'OW', basePrice: 179 },
  { name: 'accessories', code: 'AC', basePrice: 29 },
  { name: 'bags', code: 'BG', basePrice: 119 },
  { name: 'dresses', code: 'DR', basePrice: 79 },
  { name: 'knitwear', code: 'KN', basePrice: 69 },
  { name: 'sportswear', code: 'SP', basePrice: 49 },
  { name: 'beauty', code: 'BE', basePrice: 24 },
];

export const SKUS_PER_CATEGORY = 240;

/** The SKU string; every 97th has a `;B` variant suffix (written as `^;B` in product lists). */
export function skuName(category: number, k: number): string {
  const base = `${CATEGORIES[category]!.code}-${1000 + k}`;
  return k % 97 === 13 ? `${base};B` : base;
}

/** Unit price in cents, fixed per SKU: 0.5–1.7 × the category's base price, ending in .99 or .00. */
export function unitPriceCents(category: number, k: number): number {
  const factor = 0.5 + ((k * 7919 + category * 104729) % 120) / 100;
  const dollars = Math.max(1, Math.round(CATEGORIES[category]!.basePrice * factor));
  return (k % 3 === 0 ? dollars * 100 : dollars * 100 - 1);
}

export const VARIANTS: readonly string[] = ['colour=navy, size=M', 'colour=black; size=42', 'colour=ivory', 'size=38', 'edition=2026^limited'];

export const SEARCH_TERMS: readonly string[] = [
  'boots', 'winter coat', 'sneakers', 'leather bag', 'scarf', 'dress', 'running shoes', 'wool sweater', 'gift card',
  'sale', 'lipstick', 'parka', 'belt', 'chelsea boots', 'crossbody bag', 'cardigan', 'yoga pants', 'sunglasses',
  'bottes d\'hiver', 'größe 42', 'jupe plissée',
];

/** Terms as pasted by real users: control characters and backslashes that the backslash layer must escape. */
export const ODD_SEARCH_TERMS: readonly string[] = ['red\tboots', 'winter\nboots', 'C:\\promo\\code', 'coat\r\n', 'bag \\ wallet'];

export const FINDING_METHODS: readonly string[] = ['browse', 'internal search', 'recommendation', 'campaign'];

export const CONTENT_PAGES: readonly string[] = ['help:shipping', 'help:returns', 'stores', 'about', 'account:orders', 'account:wishlist'];

export const CAMPAIGNS: readonly string[] = ['em_2026_11_blackfriday', 'sem_brand_generic', 'soc_ig_winter_drop', 'aff_partner_042', 'em_2026_11_welcome'];

export const SITE = 'https://www.scoreflow-shop.example';
