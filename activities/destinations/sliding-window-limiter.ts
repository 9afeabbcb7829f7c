/**
 * A client-side call limiter: at most `limit` calls in any sliding window of `windowMs`
 * (Target bulk: 50 calls/min per account). Callers queue in order; `acquire` resolves when the
 * call may go. One limiter per destination account is shared process-wide via `sharedLimiter`.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export class SlidingWindowLimiter {
  private readonly stamps: number[] = [];
  private tail: Promise<void> = Promise.resolve();
  private pausedUntil = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limiter limit must be a positive integer, got ${limit}`);
    if (!(windowMs > 0)) throw new RangeError(`limiter window must be positive, got ${windowMs}`);
  }

  /** Waits for a free slot in the window, then records the call. Rejects if the signal aborts. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.tail.then(() => this.take(signal));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  /** The destination pushed back (503/429): no call goes out for `ms`. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  /** Calls recorded in the current window. */
  inWindow(): number {
    this.expire(this.now());
    return this.stamps.length;
  }

  private expire(t: number): void {
    while (this.stamps.length > 0 && this.stamps[0]! <= t - this.windowMs) this.stamps.shift();
  }

  private async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const t = this.now();
      this.expire(t);
      const wait = Math.max(this.pausedUntil - t, this.stamps.length < this.limit ? 0 : this.stamps[0]! + this.windowMs - t);
      if (wait <= 0) {
        this.stamps.push(t);
        return;
      }
      await sleep(wait, undefined, { signal });
    }
  }
}

const shared = new Map<string, SlidingWindowLimiter>();

/** The process-wide limiter for one destination account (e.g. `adobe-target:<baseUrl>:<client>`). */
export function sharedLimiter(key: string, limit: number, windowMs: number): SlidingWindowLimiter {
  const k = `${key}|${limit}|${windowMs}`;
  let l = shared.get(k);
  if (!l) {
    l = new SlidingWindowLimiter(limit, windowMs);
    shared.set(k, l);
  }
  return l;
}
