/**
 * The export's retry schedule: the waits the sync engine asks Temporal for (backoffAfterAttempt)
 * are the waits attemptsWithin() counts on, so an export keeps retrying an outage for about
 * exportRetryFor of waiting, whatever Retry-After the destination sends.
 */
import { describe, expect, it } from 'vitest';
import { attemptsWithin, backoffAfterAttempt, DEFAULT_EXPORT_RETRY_FOR } from '../../workflows/export-retry.ts';
import { durationMs } from '../../contracts/pipeline-config.ts';

/** Total waiting between `attempts` attempts on the backoff schedule. */
const waited = (attempts: number) => Array.from({ length: attempts - 1 }, (_, i) => backoffAfterAttempt(i + 1)).reduce((a, b) => a + b, 0);

describe('backoffAfterAttempt', () => {
  it('doubles from 1 s and caps at 1 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(backoffAfterAttempt)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(backoffAfterAttempt(0)).toBe(1000);
  });

  it.each(['20s', '90s', DEFAULT_EXPORT_RETRY_FOR, '2h'])('fills %s of waiting with the attempts attemptsWithin allows, and no more', (d) => {
    const ms = durationMs(d);
    const n = attemptsWithin(ms);
    expect(waited(n)).toBeLessThanOrEqual(ms);
    expect(waited(n + 1)).toBeGreaterThan(ms);
  });

  it('rides out more than the ~47 s after which exports used to be lost, by default', () => {
    expect(waited(attemptsWithin(durationMs(DEFAULT_EXPORT_RETRY_FOR)))).toBeGreaterThan(14 * 60_000);
  });
});
