/**
 * A timed outage for a contract server: for the next `ms` (or until ended), every request answers
 * `status` (429, 500 or 503), with Retry-After when given, before any other handling — as an API
 * that is down or overloaded for minutes does, unlike `failNext`, which fails a number of requests.
 */
export type OutageStatus = 429 | 500 | 503;

export interface OutageControl {
  /** Every request from now for `ms` (Infinity: until endOutage) answers `status`. */
  startOutage(ms: number, status?: OutageStatus, retryAfterSeconds?: number): void;
  endOutage(): void;
  /** Requests answered by outages so far. */
  outageAnswers(): number;
}

export class Outage implements OutageControl {
  private until = 0;
  private status: OutageStatus = 503;
  private retryAfterSeconds: number | undefined;
  private answered = 0;

  startOutage(ms: number, status: OutageStatus = 503, retryAfterSeconds?: number): void {
    this.until = Date.now() + ms;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  endOutage(): void {
    this.until = 0;
  }

  outageAnswers(): number {
    return this.answered;
  }

  /** The answer for a request now, or undefined when the server is up. */
  answer(now = Date.now()): { status: OutageStatus; headers: Record<string, string> } | undefined {
    if (now >= this.until) return undefined;
    this.answered++;
    return { status: this.status, headers: this.retryAfterSeconds === undefined ? {} : { 'retry-after': String(this.retryAfterSeconds) } };
  }
}
