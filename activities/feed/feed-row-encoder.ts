/**
 * Encodes hits, their products and quarantined records as COPY text rows for feed_hit,
 * feed_product and feed_quarantine, in the column order of the FEED_*_COLUMNS lists below.
 * Empty optional texts are stored as NULL.
 *
 * hitFromRecord() is ingest's hot path: text columns go from the record's bytes to the COPY buffer
 * without becoming strings. hit() encodes a typed Hit; the two write the same bytes.
 */
import { CopyTextWriter } from './copy-text-writer.ts';
import type { RawRecord } from './hit-data-lexer.ts';
import type { HitColumns } from './hit-columns.ts';
import type { Hit, HitCore } from './hit-interpreter.ts';

export const FEED_HIT_COLUMNS = [
  'delivery_id', 'file_name', 'record_no', 'visitor_id', 'visit_num', 'visit_start_time_gmt', 'visit_page_num',
  'hit_time_gmt', 'page_event', 'pagename', 'page_url', 'event_ids', 'is_page_view', 'is_purchase', 'purchase_id',
  'revenue', 'units', 'customer_id', 'consent', 'mcvisid',
] as const;

export const FEED_PRODUCT_COLUMNS = [
  'delivery_id', 'file_name', 'record_no', 'position', 'visitor_id', 'category', 'product', 'quantity', 'price', 'event_ids',
] as const;

export const FEED_QUARANTINE_COLUMNS = ['delivery_id', 'file_name', 'record_no', 'reason', 'raw'] as const;

export class FeedRowEncoder {
  /** `delivery_id<TAB>file_name<TAB>`, encoded once per file. */
  private readonly prefixBytes: Buffer;

  constructor(deliveryId: string, fileName: string) {
    const w = new CopyTextWriter(256);
    w.text(deliveryId).tab().text(fileName).tab();
    this.prefixBytes = Buffer.from(w.take());
  }

  private prefix(w: CopyTextWriter, recordNo: number): void {
    w.bytes(this.prefixBytes).int(recordNo).tab();
  }

  private core(w: CopyTextWriter, h: HitCore): void {
    w.int(h.visitNum).tab()
      .int(h.visitStartTimeGmt).tab()
      .int(h.visitPageNum).tab()
      .int(h.hitTimeGmt).tab()
      .int(h.pageEvent).tab();
  }

  /**
   * One feed_hit row from the record's bytes and its interpreted core. Throws FieldFormatError
   * (after a partial write: rewind to a mark) for text PostgreSQL cannot store.
   */
  hitFromRecord(w: CopyTextWriter, recordNo: number, rec: RawRecord, cols: HitColumns, h: HitCore): void {
    const buf = rec.buf;
    const starts = rec.starts;
    this.prefix(w, recordNo);
    w.field(buf, starts[cols.visidHigh]!, starts[cols.visidHigh + 1]! - 1, 'post_visid_high', false).ascii('_');
    w.field(buf, starts[cols.visidLow]!, starts[cols.visidLow + 1]! - 1, 'post_visid_low', false).tab();
    this.core(w, h);
    optionalField(w, rec, cols.pagename, 'post_pagename').tab();
    optionalField(w, rec, cols.pageUrl, 'post_page_url').tab();
    w.intArray(h.eventIds).tab()
      .bool(h.isPageView).tab()
      .bool(h.isPurchase).tab();
    optionalField(w, rec, cols.purchaseId, 'post_purchaseid').tab();
    w.cents(h.revenueCents).tab()
      .int(h.units).tab();
    optionalField(w, rec, cols.customerId, 'the customer id column').tab();
    optionalField(w, rec, cols.consent, 'the consent column').tab();
    optionalField(w, rec, cols.mcvisid, 'mcvisid').endRow();
  }

  /** One feed_hit row from a typed hit. */
  hit(w: CopyTextWriter, recordNo: number, h: Hit): void {
    this.prefix(w, recordNo);
    w.text(h.visitorId).tab();
    this.core(w, h);
    w.text(h.pagename, 'post_pagename').tab()
      .text(h.pageUrl, 'post_page_url').tab()
      .intArray(h.eventIds).tab()
      .bool(h.isPageView).tab()
      .bool(h.isPurchase).tab()
      .text(h.purchaseId, 'post_purchaseid').tab()
      .cents(h.revenueCents).tab()
      .int(h.units).tab()
      .text(h.customerId, 'the customer id column').tab()
      .text(h.consent, 'the consent column').tab()
      .text(h.mcvisid, 'mcvisid')
      .endRow();
  }

  /** The feed_product rows of a hit (products with a name only). */
  products(w: CopyTextWriter, recordNo: number, visitorId: string, h: HitCore): number {
    for (const p of h.products) {
      this.prefix(w, recordNo);
      w.int(p.position).tab()
        .text(visitorId).tab()
        .feedText(p.category, 'post_product_list category').tab()
        .feedText(p.product, 'post_product_list product').tab()
        .int(p.quantity).tab()
        .cents(p.price === null ? null : Math.round(p.price * 100)).tab()
        .intArray(p.events.map((e) => e.id))
        .endRow();
    }
    return h.products.length;
  }

  quarantine(w: CopyTextWriter, recordNo: number, reason: string, raw: Uint8Array): void {
    this.prefix(w, recordNo);
    w.text(reason).tab().bytea(raw).endRow();
  }
}

function optionalField(w: CopyTextWriter, rec: RawRecord, i: number, name: string): CopyTextWriter {
  if (i < 0) return w.nul();
  return w.field(rec.buf, rec.starts[i]!, rec.starts[i + 1]! - 1, name);
}
