import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  formatProductList,
  isEmptyProductList,
  merchandisingEvarId,
  merchandisingEvarNumber,
  parseProductList,
} from '../../activities/feed/product-list.ts';
import { FieldFormatError } from '../../activities/feed/field-format-error.ts';

describe('parseProductList (docs/formats/adobe-data-feed.md)', () => {
  it('reads ";;;;" (on every real row) as no product', () => {
    expect(parseProductList(';;;;', true)).toEqual([]);
    expect(parseProductList('', true)).toEqual([]);
    expect(parseProductList(';;;;,;;;;', false)).toEqual([]);
    expect(isEmptyProductList(';;;;')).toBe(true);
    expect(isEmptyProductList('a;;;;')).toBe(false);
  });

  it('parses category;product;quantity;price;events;eVars, price being the line total', () => {
    const [p] = parseProductList('Shoes;SKU-1;2;59.98;200=1.5|201;101=red|102=42', true);
    expect(p).toEqual({
      position: 1,
      category: 'Shoes',
      product: 'SKU-1',
      quantity: 2,
      price: 59.98,
      events: [{ id: 200, value: 1.5 }, { id: 201 }],
      evars: [
        { id: 101, evar: 1, value: 'red' },
        { id: 102, evar: 2, value: '42' },
      ],
    });
  });

  it('counts quantity and price only on purchase hits', () => {
    const [view] = parseProductList('Shoes;SKU-1;2;59.98;;', false);
    expect(view).toMatchObject({ product: 'SKU-1', quantity: null, price: null });
    const [buy] = parseProductList('Shoes;SKU-1;2;59.98;;', true);
    expect(buy).toMatchObject({ quantity: 2, price: 59.98 });
  });

  it('skips products with an empty name but keeps the positions of the others', () => {
    const products = parseProductList('Cat;;1;5,;SKU-2;1;10.00', true);
    expect(products.map((p) => [p.position, p.product])).toEqual([[2, 'SKU-2']]);
  });

  it('reads a product with no category, and missing trailing parts as empty', () => {
    expect(parseProductList(';SKU-9', true)).toEqual([{ position: 1, category: '', product: 'SKU-9', quantity: null, price: null, events: [], evars: [] }]);
  });

  it('honours caret escapes in categories and names', () => {
    const [p] = parseProductList('Boots^, Winter;A^;B^=C^^D;1;9.5;;', true);
    expect(p).toMatchObject({ category: 'Boots, Winter', product: 'A;B=C^D' });
  });

  it('maps merchandising eVar ids: eVar1–75 → 101–175, eVar76–100 → 275–299, eVar101–250 → 1200–1349', () => {
    expect([merchandisingEvarNumber(101), merchandisingEvarNumber(175), merchandisingEvarNumber(275), merchandisingEvarNumber(299), merchandisingEvarNumber(1200), merchandisingEvarNumber(1349)]).toEqual([1, 75, 76, 100, 101, 250]);
    expect(merchandisingEvarNumber(176)).toBeNull();
    expect([merchandisingEvarId(1), merchandisingEvarId(76), merchandisingEvarId(250)]).toEqual([101, 275, 1349]);
    const [p] = parseProductList(';SKU;;;;eVar76=x|1200=y|500=z', false);
    expect(p!.evars).toEqual([
      { id: 275, evar: 76, value: 'x' },
      { id: 1200, evar: 101, value: 'y' },
      { id: 500, evar: null, value: 'z' },
    ]);
  });

  it('accepts numeric or eventN product events', () => {
    const [p] = parseProductList(';SKU;1;2;event1=3|12;', true);
    expect(p!.events).toEqual([{ id: 200, value: 3 }, { id: 12 }]);
  });

  it('rejects malformed products with the column and product position, not the values', () => {
    expect(() => parseProductList(';SKU;x;1;;', true)).toThrow(/post_product_list product 1: quantity is not an integer/);
    expect(() => parseProductList(';SKU;1;abc;;', true)).toThrow(FieldFormatError);
    expect(() => parseProductList('a;b;1;2;;;extra', true)).toThrow(/7 ";"-separated parts/);
    expect(() => parseProductList(';SKU;;;;101', false)).toThrow(/has no "=value"/);
  });

  it('round-trips products written by formatProductList (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', ',', ';', '=', '^', 'ß'), maxLength: 6 });
    const evarValue = fc.string({ unit: fc.constantFrom('r', 'e', 'd', ',', ';', '=', '^'), maxLength: 5 });
    const product = fc.record({
      category: text,
      product: text.filter((s) => s !== ''),
      quantity: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
      price: fc.option(fc.integer({ min: 0, max: 10_000_00 }).map((c) => c / 100), { nil: null }),
      events: fc.array(fc.record({ id: fc.integer({ min: 1, max: 20300 }) }), { maxLength: 3 }),
      evars: fc.array(fc.record({ id: fc.integer({ min: 101, max: 175 }), value: evarValue }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(product, { minLength: 1, maxLength: 4 }), fc.boolean(), (products, isPurchase) => {
        const parsed = parseProductList(formatProductList(products), isPurchase);
        expect(parsed).toEqual(
          products.map((p, i) => ({
            position: i + 1,
            category: p.category,
            product: p.product,
            quantity: isPurchase ? p.quantity : null,
            price: isPurchase ? p.price : null,
            events: p.events,
            evars: p.evars.map((e) => ({ id: e.id, evar: e.id - 100, value: e.value })),
          })),
        );
      }),
    );
  });
});
