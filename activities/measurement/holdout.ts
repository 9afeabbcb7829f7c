/**
 * Deterministic holdout assignment: which arm (treatment or control) an entity belongs to in
 * one experiment. Pure; no state, no clock, no randomness. Any system that follows the recipe
 * below gets the same arm for the same entity, so the arm can be recomputed anywhere (SQL,
 * Python, a destination) without a lookup. The same recipe is in docs/holdout-assignment.md.
 *
 * Recipe, for entity id `E`, experiment key `K` and control share `c` (0 ≤ c ≤ 1):
 *  1. normalizedEntityId = E with leading and trailing whitespace removed (ECMAScript
 *     `String.prototype.trim`: U+0009–U+000D, U+0020, U+00A0, U+1680, U+2000–U+200A, U+2028,
 *     U+2029, U+202F, U+205F, U+3000, U+FEFF), then lowercased with the Unicode default
 *     (locale-independent) case mapping (`String.prototype.toLowerCase`). An id that is empty
 *     after trimming is an error. The experiment key is used exactly as given (not trimmed,
 *     not lowercased) and must not be empty.
 *  2. message = UTF-8 bytes of `normalizedEntityId + ':' + K`.
 *  3. h = the first 8 bytes of SHA-256(message), read as an unsigned 64-bit big-endian integer.
 *  4. arm = 'control' iff h / 2^64 < c in exact arithmetic, otherwise 'treatment'.
 *     Implemented without rounding as h < T with T = ceil(c × 2^64), where c is the IEEE-754
 *     double (for c = 0.1, T = 1844674407370955264). A floating-point implementation
 *     (double(h) / 2^64 < c) agrees except when h lies within about 2^11 of T, which happens
 *     with probability around 1e-16 per entity.
 *
 * Worked example: E = "  Visitor-0042@Example.COM ", K = "spring-upsell-2025", c = 0.1.
 *  message "visitor-0042@example.com:spring-upsell-2025";
 *  SHA-256 = 37b0e08632c2ac49173e6703592195111d9cada3e7f778bb51370de731d3a6b5;
 *  h = 0x37b0e08632c2ac49 = 4012954134968970313; h / 2^64 ≈ 0.217543 ≥ 0.1 → 'treatment'.
 * With K = "spring-upsell-2025-45" instead: h = 0x199700b238b8bff0 = 1843943337887318000
 *  < T = 1844674407370955264 (h / 2^64 ≈ 0.0999604) → 'control'.
 */
import { createHash } from 'node:crypto';

export type Arm = 'treatment' | 'control';

export const DEFAULT_CONTROL_SHARE = 0.1;

const TWO_POW_64 = 2 ** 64;

/** Trimmed, lowercased entity id (step 1 of the recipe). Throws when nothing is left. */
export function normalizeEntityId(entityId: string): string {
  const normalized = entityId.trim().toLowerCase();
  if (normalized.length === 0) {
    throw new RangeError('holdout: entity id is empty after trimming; pass the visitor key the record carries.');
  }
  return normalized;
}

/** The 64-bit integer h of the recipe (steps 1–3). */
export function armHash(entityId: string, experimentKey: string): bigint {
  if (experimentKey.length === 0) {
    throw new RangeError('holdout: experiment key is empty; every experiment needs its own non-empty key.');
  }
  const digest = createHash('sha256').update(`${normalizeEntityId(entityId)}:${experimentKey}`, 'utf8').digest();
  return digest.readBigUInt64BE(0);
}

/**
 * The entity's position in [0, 1): h / 2^64, rounded down to a multiple of 2^-53 so it is exactly
 * representable and never reaches 1. For inspection and bucketing; `assignArm` decides on the
 * exact integer h, which can differ from `armBucket(...) < c` only within 2^-53 of the boundary.
 */
export function armBucket(entityId: string, experimentKey: string): number {
  return Number(armHash(entityId, experimentKey) >> 11n) / 2 ** 53;
}

/** Deterministic arm of an entity in an experiment: control iff h / 2^64 < controlShare. */
export function assignArm(entityId: string, experimentKey: string, controlShare: number = DEFAULT_CONTROL_SHARE): Arm {
  if (!Number.isFinite(controlShare) || controlShare < 0 || controlShare > 1) {
    throw new RangeError(`holdout: controlShare must be a number in [0, 1], got ${String(controlShare)}.`);
  }
  // c × 2^64 is exact in binary floating point (a power-of-two scaling), and h < x ⇔ h < ceil(x) for integer h.
  const threshold = BigInt(Math.ceil(controlShare * TWO_POW_64));
  return armHash(entityId, experimentKey) < threshold ? 'control' : 'treatment';
}
