/**
 * XDM ExperienceEvents as the Adobe Web SDK / Experience Edge sends them
 * (docs/formats/xdm-experience-event.md), the input of real-time event ingest. Only the fields
 * Scoreflow reads are checked; any other XDM field is accepted and ignored. Pure: no I/O (the clock
 * is passed in).
 */
import { z } from 'zod';

export const XDM_EVENT_TYPES = [
  'web.webpagedetails.pageViews',
  'web.webinteraction.linkClicks',
  'commerce.productViews',
  'commerce.productListAdds',
  'commerce.productListRemovals',
  'commerce.productListOpens',
  'commerce.productListViews',
  'commerce.checkouts',
  'commerce.purchases',
] as const;
export const XdmEventType = z.enum(XDM_EVENT_TYPES, {
  error: () => `eventType must be one of ${XDM_EVENT_TYPES.join(', ')}`,
});
export type XdmEventType = z.infer<typeof XdmEventType>;

const Ecid = z.string().regex(/^\d{38}$/, 'an ECID is 38 digits (two 19-digit halves)');
const Metric = z.looseObject({ value: z.number().finite().nonnegative() });

export const ProductListItem = z.looseObject({
  SKU: z.string().max(256).optional(),
  name: z.string().max(512).optional(),
  quantity: z.number().int().nonnegative().optional(),
  priceTotal: z.number().finite().nonnegative().optional(),
});

export interface XdmClock {
  now(): number;
  /** How far in the future a timestamp may be (client clock skew). */
  maxSkewMs: number;
}

/** One ExperienceEvent. `timestamp` must be RFC 3339 and not later than now + maxSkewMs. */
export function xdmExperienceEvent(clock: XdmClock) {
  return z.looseObject({
    _id: z.string().min(1, '_id (the event id used for dedup) is required').max(256),
    timestamp: z.iso
      .datetime({ offset: true, message: 'timestamp must be RFC 3339, e.g. 2026-11-28T10:15:00.000Z' })
      .refine((t) => Date.parse(t) <= clock.now() + clock.maxSkewMs, `timestamp is in the future (beyond ${clock.maxSkewMs} ms of clock skew)`),
    eventType: XdmEventType,
    identityMap: z.looseObject({
      ECID: z.array(z.looseObject({ id: Ecid }), 'identityMap.ECID is required').min(1, 'identityMap.ECID needs at least one entry'),
    }, 'identityMap with an ECID is required'),
    web: z
      .looseObject({
        webPageDetails: z.looseObject({ name: z.string().max(2048).optional(), URL: z.string().max(8192).optional(), pageViews: Metric.optional() }).optional(),
      })
      .optional(),
    commerce: z
      .looseObject({
        order: z.looseObject({ purchaseID: z.string().max(64).optional(), currencyCode: z.string().regex(/^[A-Z]{3}$/).optional(), priceTotal: z.number().finite().nonnegative().optional() }).optional(),
      })
      .catchall(z.unknown())
      .optional(),
    productListItems: z.array(ProductListItem).max(1000).optional(),
  });
}
export type XdmExperienceEvent = z.infer<ReturnType<typeof xdmExperienceEvent>>;

/** The request body: one event, an array of events, or `{ "events": [...] }`. */
export type EventBatchShape = 'single' | 'array' | 'envelope';

export interface EventIssue {
  /** Where in the request body, e.g. `events[2].identityMap.ECID[0].id`. Never the value. */
  path: string;
  message: string;
}

export type ParsedEventBatch = { ok: true; shape: EventBatchShape; events: XdmExperienceEvent[] } | { ok: false; issues: EventIssue[] };

function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(body)';
}

/**
 * Validates a whole request body before anything is applied: every event must pass, or the batch is
 * refused with the path of each problem (at most `maxIssues`).
 */
const schemas = new WeakMap<XdmClock, ReturnType<typeof xdmExperienceEvent>>();

export function parseEventBatch(body: unknown, clock: XdmClock, opts: { maxEvents: number; maxIssues?: number } = { maxEvents: 500 }): ParsedEventBatch {
  // One schema per clock: building a zod schema costs far more than using it.
  let schema = schemas.get(clock);
  if (!schema) {
    schema = xdmExperienceEvent(clock);
    schemas.set(clock, schema);
  }
  let shape: EventBatchShape;
  let list: unknown[];
  let prefix: (i: number) => string;
  if (Array.isArray(body)) {
    shape = 'array';
    list = body;
    prefix = (i) => `[${i}]`;
  } else if (body && typeof body === 'object' && 'events' in body) {
    const events = (body as { events: unknown }).events;
    if (!Array.isArray(events)) return { ok: false, issues: [{ path: 'events', message: 'events must be an array of XDM ExperienceEvents' }] };
    shape = 'envelope';
    list = events;
    prefix = (i) => `events[${i}]`;
  } else if (body && typeof body === 'object') {
    shape = 'single';
    list = [body];
    prefix = () => '';
  } else {
    return { ok: false, issues: [{ path: '(body)', message: 'the body must be an XDM ExperienceEvent, an array of them, or {"events":[...]}' }] };
  }
  if (list.length === 0) return { ok: false, issues: [{ path: shape === 'envelope' ? 'events' : '(body)', message: 'the batch holds no event' }] };
  if (list.length > opts.maxEvents) {
    return { ok: false, issues: [{ path: shape === 'envelope' ? 'events' : '(body)', message: `at most ${opts.maxEvents} events per request; split the batch` }] };
  }
  const issues: EventIssue[] = [];
  const events: XdmExperienceEvent[] = [];
  list.forEach((item, i) => {
    const r = schema.safeParse(item);
    if (!r.success) {
      for (const issue of r.error.issues) issues.push({ path: formatPath(prefix(i), issue.path), message: issue.message });
      return;
    }
    events.push(r.data);
  });
  if (issues.length > 0) return { ok: false, issues: issues.slice(0, opts.maxIssues ?? 20) };
  return { ok: true, shape, events };
}
