/** Flag values checked one by one: a bad value is a UsageError naming the flag and the expected form. */
import { UsageError } from './measurement.ts';

export { UsageError };

/** A whole number in [min, max]. */
export function wholeNumber(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`--${flag} "${value}": expected a whole number, e.g. --${flag} ${Math.max(min, 1)}.`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${flag} ${value}: must be between ${min} and ${max}.`);
  return n;
}

/** A finite number in [min, max]. */
export function decimal(flag: string, value: string, min: number, max: number): number {
  const n = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${flag} "${value}": not a number; expected a number between ${min} and ${max}.`);
  if (n < min || n > max) throw new UsageError(`--${flag} ${value}: must be between ${min} and ${max}.`);
  return n;
}

/** One of a fixed list of words. */
export function oneOf<T extends string>(flag: string, value: string, options: readonly T[]): T {
  if ((options as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} "${value}": expected one of ${options.join(', ')}.`);
}

/** A calendar date as YYYY-MM-DD. */
export function isoDate(flag: string, value: string): string {
  const t = Date.parse(`${value}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(t) || !new Date(t).toISOString().startsWith(value)) {
    throw new UsageError(`--${flag} "${value}": expected a calendar date as YYYY-MM-DD, e.g. --${flag} 2026-11-01.`);
  }
  return value;
}
