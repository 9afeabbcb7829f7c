/**
 * A client-side call limiter: at most `limit` calls in any sliding window of `windowMs`
 * (Target bulk: 50 calls/min per account). A call holds its slot from `acquire` until its release,
 * and the window starts at the release (the answer), which is never before the server counted the
 * call; so the limiter stays under the server's count despite network delay. Callers queue in
 * order. One limiter per destination account is shared process-wide via `sharedLimiter`.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export type ReleaseSlot = () => void;

export class SlidingWindowLimiter {
  private readonly stamps: number[] = [];
  private inFlight = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private pausedUntil = 0;
  private wake: { promise: Promise<void>; resolve: () => void } = SlidingWindowLimiter.signal();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limiter limit must be a positive integer, got ${limit}`);
    if (!(windowMs > 0)) throw new RangeError(`limiter window must be positive, got ${windowMs}`);
  }

  private static signal(): { promise: Promise<void>; resolve: () => void } {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  }

  /** Waits for a free slot, then holds it; call the returned function once the answer arrived (or the call failed). */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot> {
    const turn = this.tail.then(() => this.take(signal));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  /** Runs one call inside a slot. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** The destination pushed back (503/429): no call goes out for `ms`. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  /** Slots taken now: calls in flight plus calls answered within the window. */
  used(): number {
    this.expire(this.now());
    return this.stamps.length + this.inFlight;
  }

  private expire(t: number): void {
    while (this.stamps.length > 0 && this.stamps[0]! <= t - this.windowMs) this.stamps.shift();
  }

  private async take(signal?: AbortSignal): Promise<ReleaseSlot> {
    for (;;) {
      signal?.throwIfAborted();
      const t = this.now();
      this.expire(t);
      const paused = this.pausedUntil - t;
      if (paused <= 0 && this.stamps.length + this.inFlight < this.limit) {
        this.inFlight++;
        let released = false;
        return () => {
          if (released) return;
          released = true;
          this.inFlight--;
          this.stamps.push(this.now());
          const w = this.wake;
          this.wake = SlidingWindowLimiter.signal();
          w.resolve();
        };
      }
      // Wake when the pause ends, the oldest stamp leaves the window, or a call in flight is released.
      const timer = paused > 0 ? paused : this.stamps.length > 0 ? this.stamps[0]! + this.windowMs - t : undefined;
      const ac = new AbortController();
      const onAbort = () => ac.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await Promise.race([
          this.wake.promise,
          ...(timer !== undefined ? [sleep(Math.max(1, timer), undefined, { signal: ac.signal }).catch(() => undefined)] : []),
          ...(signal ? [new Promise<void>((resolve) => ac.signal.addEventListener('abort', () => resolve(), { once: true }))] : []),
        ]);
      } finally {
        ac.abort();
        signal?.removeEventListener('abort', onAbort);
      }
    }
  }
}

const shared = new Map<string, SlidingWindowLimiter>();

/** The process-wide limiter for one destination account (e.g. `adobe-target-bulk:<baseUrl>:<client>`). */
export function sharedLimiter(key: string, limit: number, windowMs: number): SlidingWindowLimiter {
  const k = `${key}|${limit}|${windowMs}`;
  let l = shared.get(k);
  if (!l) {
    l = new SlidingWindowLimiter(limit, windowMs);
    shared.set(k, l);
  }
  return l;
}
