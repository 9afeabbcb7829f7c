/**
 * The export retry schedule, shared by the exportToDestination workflow (its activity retry policy)
 * and the sync engine (which asks Temporal for the next delay when a destination stays unavailable).
 * Pure: no workflow or activity APIs, so both sides may import it.
 */

/** How long one destination's export keeps retrying when no setting says otherwise. */
export const DEFAULT_EXPORT_RETRY_FOR = '15m';

export const RETRY_BACKOFF = { initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 60_000 } as const;

/**
 * How many attempts the backoff above fits into `ms` of waiting between attempts (the attempts' own
 * run time comes on top, so a long healthy export is never cut short by a total deadline). 15 minutes
 * gives 20 attempts: waits of 1, 2, 4, ... 32 s, then 60 s each.
 */
export function attemptsWithin(ms: number): number {
  let waited = 0;
  let wait: number = RETRY_BACKOFF.initialInterval;
  let attempts = 1;
  while (waited + wait <= ms) {
    waited += wait;
    attempts++;
    wait = Math.min(wait * RETRY_BACKOFF.backoffCoefficient, RETRY_BACKOFF.maximumInterval);
  }
  return attempts;
}

/**
 * The wait the retry policy puts after failed attempt `attempt` (1-based). An activity that sets
 * nextRetryDelay replaces this wait, so it must never ask for less: attemptsWithin() counts on these
 * waits to make the attempts last `exportRetryFor`.
 */
export function backoffAfterAttempt(attempt: number): number {
  const n = Math.max(1, Math.floor(attempt));
  return Math.min(RETRY_BACKOFF.initialInterval * RETRY_BACKOFF.backoffCoefficient ** (n - 1), RETRY_BACKOFF.maximumInterval);
}
