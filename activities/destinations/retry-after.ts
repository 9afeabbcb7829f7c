/** Pure: how long an HTTP Retry-After header asks a client to wait. */

/** Milliseconds a Retry-After header asks for (delta-seconds or an HTTP date), or the fallback when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, fallbackMs: number, now = Date.now()): number {
  if (!header) return fallbackMs;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  // An HTTP date names a weekday; anything else (negative numbers included) is unreadable.
  if (!/^[A-Za-z]{3},/.test(trimmed)) return fallbackMs;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? fallbackMs : Math.max(0, at - now);
}
