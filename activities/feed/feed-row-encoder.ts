/**
 * Encodes typed hits, their products and quarantined records as COPY text rows for feed_hit,
 * feed_product and feed_quarantine, in the column order of the FEED_*_COLUMNS lists below.
 * Empty optional texts are stored as NULL.
 */
import type { CopyTextWriter } from './copy-text-writer.ts';
import type { Hit } from './hit-interpreter.ts';

export const FEED_HIT_COLUMNS = [
  'delivery_id', 'file_name', 'record_no', 'visitor_id', 'visit_num', 'visit_start_time_gmt', 'visit_page_num',
  'hit_time_gmt', 'page_event', 'pagename', 'page_url', 'event_ids', 'is_page_view', 'is_purchase', 'purchase_id',
  'revenue', 'units', 'customer_id', 'consent',
] as const;

export const FEED_PRODUCT_COLUMNS = [
  'delivery_id', 'file_name', 'record_no', 'position', 'visitor_id', 'category', 'product', 'quantity', 'price', 'event_ids',
] as const;

export const FEED_QUARANTINE_COLUMNS = ['delivery_id', 'file_name', 'record_no', 'reason', 'raw'] as const;

export class FeedRowEncoder {
  constructor(
    private readonly deliveryId: string,
    private readonly fileName: string,
  ) {}

  private prefix(w: CopyTextWriter, recordNo: number): void {
    w.text(this.deliveryId).tab().text(this.fileName).tab().int(recordNo).tab();
  }

  /** One feed_hit row. Throws FieldFormatError (after a partial write: rewind) for text PostgreSQL cannot store. */
  hit(w: CopyTextWriter, recordNo: number, h: Hit): void {
    this.prefix(w, recordNo);
    w.text(h.visitorId).tab()
      .int(h.visitNum).tab()
      .int(h.visitStartTimeGmt).tab()
      .int(h.visitPageNum).tab()
      .int(h.hitTimeGmt).tab()
      .int(h.pageEvent).tab()
      .text(h.pagename, 'post_pagename').tab()
      .text(h.pageUrl, 'post_page_url').tab()
      .intArray(h.eventIds).tab()
      .bool(h.isPageView).tab()
      .bool(h.isPurchase).tab()
      .text(h.purchaseId, 'post_purchaseid').tab()
      .cents(h.revenueCents).tab()
      .int(h.units).tab()
      .text(h.customerId, 'the customer id column').tab()
      .text(h.consent, 'the consent column')
      .endRow();
  }

  products(w: CopyTextWriter, recordNo: number, h: Hit): number {
    for (const p of h.products) {
      this.prefix(w, recordNo);
      w.int(p.position).tab()
        .text(h.visitorId).tab()
        .text(p.category, 'a product category').tab()
        .text(p.product, 'a product name').tab()
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
