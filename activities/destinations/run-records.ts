/**
 * What an export of one destination returns, and a run's canonical records read whole: shared by the
 * export activity, the sync engine and replay, so neither of them imports the other.
 */
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import { getPool } from '../store/db.ts';

export interface ExportResult {
  destination: string;
  kind: string;
  rows: number;
  location?: string;
  adds?: number;
  updates?: number;
  removes?: number;
  rejected?: number;
}

/**
 * Every canonical record of a run, in memory. Only for small runs outside activities (`scoreflow sync
 * preview` without a stored plan); the export streams instead.
 */
export async function loadRunRecords(runId: string): Promise<CanonicalRecord[]> {
  const { rows } = await getPool().query<{ record: CanonicalRecord }>('SELECT record FROM activation_record WHERE run_id = $1 ORDER BY entity_id', [runId]);
  return rows.map((r) => r.record);
}
