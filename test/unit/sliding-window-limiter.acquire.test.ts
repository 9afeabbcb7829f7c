import { describe, expect, it } from 'vitest';
import { SlidingWindowLimiter } from '../../activities/destinations/sliding-window-limiter.ts';

describe('SlidingWindowLimiter.acquire', () => {
  it('lets `limit` calls through at once and holds the next until the first leaves the window', async () => {
    const l = new SlidingWindowLimiter(2, 300);
    const t0 = Date.now();
    (await l.acquire())();
    (await l.acquire())();
    expect(Date.now() - t0).toBeLessThan(100);
    (await l.acquire())();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('counts calls in flight, and starts a call’s window at its release', async () => {
    const l = new SlidingWindowLimiter(1, 200);
    const release = await l.acquire();
    let second = false;
    const pending = l.acquire().then((r) => {
      second = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(second).toBe(false);
    const releasedAt = Date.now();
    release();
    (await pending)();
    expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(190);
  });

  it('honours a pause, and rejects a waiting caller when its signal aborts', async () => {
    const l = new SlidingWindowLimiter(5, 1000);
    l.pause(150);
    const t0 = Date.now();
    (await l.acquire())();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);

    const full = new SlidingWindowLimiter(1, 10_000);
    (await full.acquire())();
    const ac = new AbortController();
    const waiting = full.acquire(ac.signal);
    setTimeout(() => ac.abort(), 20);
    await expect(waiting).rejects.toThrow();
    expect(full.used()).toBe(1);
  });
});
