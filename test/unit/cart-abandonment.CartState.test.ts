import { describe, expect, it } from 'vitest';
import { CartState } from '../../workflows/cart-abandonment.ts';

describe('CartState', () => {
  it('restarts on each new add, ignores a repeated add and records invalid payloads', () => {
    const s = new CartState();
    expect(s.onAdd({ eventId: 'a1', at: '2026-11-28T10:00:00Z' })).toBe(true);
    expect(s.onAdd({ eventId: 'a1', at: '2026-11-28T10:00:00Z' })).toBe(false);
    expect(s.onAdd({ eventId: 'a2', at: '2026-11-28T10:01:00Z' })).toBe(true);
    expect(s.onAdd({ eventId: '', at: 'yesterday' })).toBe(false);
    expect(s.view()).toMatchObject({ adds: 2, lastAdd: { eventId: 'a2' }, purchase: null });
    expect(s.rejectedSignals[0]).toMatchObject({ signal: 'cartAdd', error: expect.stringContaining('eventId') });
  });

  it('keeps the first valid purchase', () => {
    const s = new CartState();
    s.onPurchase({ eventId: 'p0' });
    expect(s.purchase).toBeNull();
    s.onPurchase({ eventId: 'p1', at: '2026-11-28T10:02:00Z' });
    s.onPurchase({ eventId: 'p2', at: '2026-11-28T10:03:00Z' });
    expect(s.purchase).toEqual({ eventId: 'p1', at: '2026-11-28T10:02:00Z' });
  });

  it('carries state over continue-as-new without re-counting the last add', () => {
    const s = new CartState({ adds: 3, lastAdd: { eventId: 'a3', at: '2026-11-28T10:00:00Z' } });
    expect(s.onAdd({ eventId: 'a3', at: '2026-11-28T10:00:00Z' })).toBe(false);
    expect(s.adds).toBe(3);
  });
});
