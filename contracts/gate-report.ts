/**
 * What a gate says about a run: one result per gate and subject, and the report the gate activity
 * returns to the workflow (small: no rows). Stored in gate_result, one row per result.
 */
import { z } from 'zod';

export const GateStatus = z.enum(['pass', 'warn', 'fail']);
export type GateStatus = z.infer<typeof GateStatus>;

export const GateResult = z.object({
  /** Gate name, e.g. `scorePsi`, `featurePsi`, `collapse.topValueShare`. */
  gate: z.string().min(1),
  /** What was measured: a feature, `score`, a destination; '' when the gate has one subject. */
  subject: z.string(),
  status: GateStatus,
  /** The measured value; null when the gate could not measure (no baseline, no data). */
  value: z.number().nullable(),
  warnAt: z.number().nullable(),
  failAt: z.number().nullable(),
  /** A sentence for operators, with the number and the threshold. */
  detail: z.string().min(1),
});
export type GateResult = z.infer<typeof GateResult>;

export const GateReport = z.object({
  status: GateStatus,
  results: z.array(GateResult),
});
export type GateReport = z.infer<typeof GateReport>;

const RANK: Record<GateStatus, number> = { pass: 0, warn: 1, fail: 2 };

/** The worst of the statuses; 'pass' for none. */
export function worstStatus(statuses: Iterable<GateStatus>): GateStatus {
  let worst: GateStatus = 'pass';
  for (const s of statuses) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}
