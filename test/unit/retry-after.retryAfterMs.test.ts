import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../activities/destinations/retry-after.ts';

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates, and falls back when absent or unreadable', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs('3', 5000, now)).toBe(3000);
    expect(retryAfterMs(' 0 ', 5000, now)).toBe(0);
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:10 GMT', 5000, now)).toBe(10_000);
    expect(retryAfterMs('Tue, 31 Dec 2024 23:59:00 GMT', 5000, now)).toBe(0);
    expect(retryAfterMs(null, 5000, now)).toBe(5000);
    expect(retryAfterMs('soon', 5000, now)).toBe(5000);
    expect(retryAfterMs('-3', 5000, now)).toBe(5000);
  });
});
