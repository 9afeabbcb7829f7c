/**
 * The destination dry run a cycle's gates judge: for every stateful destination, the cycle's
 * canonical records go through the same mapping, identity resolution and routing as the export
 * (buildDesiredRows), and the rows the export would upsert go through the adapter's own transform
 * and validation (Target batch file rules, Google and Meta member contracts), without sending
 * anything. The share the adapter would refuse feeds the `destinationDryRun` gate.
 *
 * Streams the run in pages, so memory follows the page size, never the run.
 */
import type pg from 'pg';
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import type { PipelineConfig } from '../../contracts/pipeline-config.ts';
import type { DryRunOutcome } from '../gates/destination-dry-run.ts';
import { getPool } from '../store/db.ts';
import { cursorPages } from '../store/shard.ts';
import type { DeliveryRow, RowRejection } from './adapter.ts';
import type { StatefulDestination } from './adapter-factory.ts';
import { buildBatchFiles, TargetBulkConfig } from './adobe-target-bulk.ts';
import { buildDesiredRows } from './desired-rows.ts';
import { googleMember } from './google-customer-match.ts';
import { buildMetaUsersRequest } from './meta-custom-audiences.ts';

/** The rows of a page one destination kind would refuse, with the adapter's reason. */
export function dryRunRejections(dest: StatefulDestination, rows: readonly DeliveryRow[]): RowRejection[] {
  switch (dest.kind) {
    case 'adobe-target-bulk': {
      const parsed = TargetBulkConfig.safeParse(dest.config ?? {});
      // A config the adapter refuses fails the export itself with a clear error; the dry run judges rows.
      const cfg = parsed.success ? parsed.data : undefined;
      return buildBatchFiles(rows, { idColumn: cfg?.idColumn, attributes: cfg?.attributes, valueOverflow: cfg?.valueOverflow, maxRows: cfg?.maxFileRows, maxBytes: cfg?.maxFileBytes }).rejected;
    }
    case 'google-customer-match':
      return rows.flatMap((r) => {
        const m = googleMember(r, 'upsert');
        return 'problem' in m ? [{ entityId: r.entityId, reason: m.problem, retryable: false }] : [];
      });
    case 'meta-custom-audiences':
      return buildMetaUsersRequest(rows, 'dry-run').rejected;
    default:
      // Webhooks and NATS take any JSON payload: nothing to refuse before sending.
      return [];
  }
}

/**
 * Dry runs of every stateful destination of the pipeline over the run's published records. An
 * empty list when the run has no records yet (a cycle gated before publish).
 */
export async function destinationDryRuns(runId: string, pipeline: PipelineConfig, pool: pg.Pool = getPool()): Promise<DryRunOutcome[]> {
  const dests = pipeline.destinations.filter((d): d is StatefulDestination => d.kind !== 'file');
  if (dests.length === 0) return [];
  const { rows: any } = await pool.query('SELECT 1 FROM activation_record WHERE run_id = $1 LIMIT 1', [runId]);
  if (any.length === 0) return [];
  const out = new Map<string, DryRunOutcome & { reasons: Record<string, number> }>(dests.map((d) => [d.name, { destination: d.name, rows: 0, invalid: 0, reasons: {} }]));
  const client = await pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    const sql = 'SELECT record FROM activation_record WHERE run_id = $1 ORDER BY entity_id';
    for await (const page of cursorPages<{ record: CanonicalRecord }>(client, sql, [runId], pipeline.scale.pageSize)) {
      const records = page.map((r) => r.record);
      for (const dest of dests) {
        const built = await buildDesiredRows(records, dest, pool, { crmNamespace: pipeline.feed.crmNamespace });
        const now = Date.now();
        const rows: DeliveryRow[] = built.desired
          .filter((d) => d.consented && d.eligible && Date.parse(d.expiresAt) > now)
          .map((d) => ({ entityId: d.entityId, op: 'upsert', payload: d.payload, digest: d.digest, identifiers: d.identifiers }));
        const o = out.get(dest.name)!;
        o.rows += rows.length;
        for (const r of dryRunRejections(dest, rows)) {
          o.invalid++;
          o.reasons[r.reason] = (o.reasons[r.reason] ?? 0) + 1;
        }
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  return [...out.values()];
}
