/** Messages between parse-in-worker.ts (parent) and parse-worker.ts (worker thread). */
import type { ParseOutcome } from './parse-data-files.ts';

/** feed_hit chunks (~1 MB each) the worker may have shipped before the parent has written them. */
export const MAX_IN_FLIGHT = 6;

export type WorkerMessage =
  | { type: 'hits' | 'products' | 'quarantine'; buffer: ArrayBuffer; offset: number; length: number }
  | { type: 'progress'; file: string; records: number }
  | { type: 'done'; outcome: ParseOutcome }
  | { type: 'error'; name: string; message: string; fileName?: string | undefined; stack?: string | undefined };

export type ParentMessage = { type: 'credit'; n: number };
