import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseEventBatch, XDM_EVENT_TYPES } from '../../contracts/xdm-experience-event.ts';

const NOW = Date.parse('2026-11-28T12:00:00.000Z');
const clock = { now: () => NOW, maxSkewMs: 60_000 };
const ECID = '12345678901234567890123456789012345678';

const event = (over: Record<string, unknown> = {}) => ({
  _id: 'e-1',
  timestamp: '2026-11-28T11:59:00.000Z',
  eventType: 'commerce.productListAdds',
  identityMap: { ECID: [{ id: ECID, primary: true }] },
  ...over,
});

describe('parseEventBatch', () => {
  it('accepts one event, an array, and an {events} envelope, keeping unknown XDM fields', () => {
    const single = parseEventBatch(event({ device: { type: 'mobile' } }), clock);
    expect(single).toMatchObject({ ok: true, shape: 'single' });
    if (single.ok) expect((single.events[0] as Record<string, unknown>).device).toEqual({ type: 'mobile' });
    expect(parseEventBatch([event(), event({ _id: 'e-2' })], clock)).toMatchObject({ ok: true, shape: 'array' });
    const env = parseEventBatch({ events: [event()] }, clock);
    expect(env).toMatchObject({ ok: true, shape: 'envelope' });
  });

  it('names the field path of a missing ECID', () => {
    const r = parseEventBatch({ events: [event(), event({ identityMap: {} })] }, clock);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]!.path).toBe('events[1].identityMap.ECID');
    const r2 = parseEventBatch([event({ identityMap: { ECID: [{ id: '123' }] } })], clock);
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.issues[0]).toMatchObject({ path: '[0].identityMap.ECID[0].id', message: expect.stringContaining('38 digits') });
  });

  it('refuses a timestamp in the future beyond the skew, and accepts one within it', () => {
    const future = parseEventBatch(event({ timestamp: '2026-11-28T12:05:00Z' }), clock);
    expect(future.ok).toBe(false);
    if (!future.ok) expect(future.issues[0]).toMatchObject({ path: 'timestamp', message: expect.stringContaining('future') });
    expect(parseEventBatch(event({ timestamp: '2026-11-28T12:00:30+00:00' }), clock).ok).toBe(true);
    const notRfc = parseEventBatch(event({ timestamp: '28/11/2026 11:00' }), clock);
    expect(notRfc.ok).toBe(false);
    if (!notRfc.ok) expect(notRfc.issues[0]!.message).toContain('RFC 3339');
  });

  it('refuses an unknown eventType and lists the known ones', () => {
    const r = parseEventBatch([event(), event({ _id: 'x', eventType: 'commerce.wishlistAdds' })], clock);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]).toMatchObject({ path: '[1].eventType', message: expect.stringContaining('commerce.purchases') });
  });

  it('refuses empty and oversized batches and non-object bodies', () => {
    expect(parseEventBatch([], clock)).toMatchObject({ ok: false, issues: [{ path: '(body)' }] });
    expect(parseEventBatch({ events: 'x' }, clock)).toMatchObject({ ok: false, issues: [{ path: 'events' }] });
    expect(parseEventBatch(Array.from({ length: 3 }, (_, i) => event({ _id: `e${i}` })), clock, { maxEvents: 2 })).toMatchObject({ ok: false });
    expect(parseEventBatch('hello', clock)).toMatchObject({ ok: false, issues: [{ path: '(body)' }] });
  });

  it('property: any valid event type with a past timestamp and a 38-digit ECID parses; a 37-digit ECID never does', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...XDM_EVENT_TYPES),
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
        fc.stringMatching(/^\d{38}$/),
        fc.string({ minLength: 1, maxLength: 40 }),
        (eventType, ageMs, id, evId) => {
          const ok = parseEventBatch(event({ _id: evId, eventType, timestamp: new Date(NOW - ageMs).toISOString(), identityMap: { ECID: [{ id }] } }), clock);
          const bad = parseEventBatch(event({ _id: evId, eventType, identityMap: { ECID: [{ id: id.slice(1) }] } }), clock);
          return ok.ok && !bad.ok && bad.issues[0]!.path === 'identityMap.ECID[0].id';
        },
      ),
    );
  });
});
