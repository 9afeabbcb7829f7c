/**
 * exportDestinationActivity: one destination, one cycle. Reads the cycle's canonical records, routes
 * them through the destination's filter, and hands them to the destination: the file writer, or the
 * sync engine for systems that keep state (Target, Google, Meta, webhooks, NATS).
 */
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import { getPool, withTransaction } from '../store/db.ts';
import { copyRows, type CopyValue } from '../store/copy-rows.ts';
import { pipelineOf, type PipelineRef } from '../run/pipeline.ts';
import { logger } from '../observability/logger.ts';
import { routeDecision } from './route-filter.ts';
import { writeFileExport } from './file-export.ts';
import { syncDestination } from './sync-destination.ts';
import type { StatefulDestination } from './adapter-factory.ts';

export interface ExportInput extends PipelineRef {
  runId: string;
  destination: string;
}

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

export async function loadRunRecords(runId: string): Promise<CanonicalRecord[]> {
  const { rows } = await getPool().query<{ record: CanonicalRecord }>('SELECT record FROM activation_record WHERE run_id = $1 ORDER BY entity_id', [runId]);
  return rows.map((r) => r.record);
}

export async function exportDestinationActivity(input: ExportInput): Promise<ExportResult> {
  const cfg = pipelineOf(input);
  const dest = cfg.destinations.find((d) => d.name === input.destination);
  if (!dest) {
    throw ApplicationFailure.nonRetryable(
      `pipeline ${cfg.name} has no destination "${input.destination}"; declared: ${cfg.destinations.map((d) => d.name).join(', ')}`,
      'InvalidPipelineConfig',
    );
  }
  const log = logger().child({ runId: input.runId, destination: dest.name });
  if (dest.kind !== 'file') return syncDestination({ runId: input.runId, pipeline: cfg, destination: dest as StatefulDestination });

  const records = await loadRunRecords(input.runId);
  // Routing is judged at the cycle's scoring time, so a re-export of the same cycle writes the same rows.
  const included: CanonicalRecord[] = [];
  const suppressed: CopyValue[][] = [];
  for (const r of records) {
    const d = routeDecision(r, dest, new Date(r.metadata.scored_at));
    if (d.include) included.push(r);
    else suppressed.push([input.runId, r.entity_id, dest.name, 'suppressed', { reason: d.reason }]);
  }
  const dir = join((dest as { outbox: string }).outbox, cfg.name, input.runId, dest.name);
  const manifest = writeFileExport(
    dir,
    { runId: input.runId, destination: dest.name, mappingVersion: dest.mappingVersion, contractVersion: records[0]?.metadata.contract_version ?? 'n/a' },
    included,
    (dest as { formats: ('csv' | 'jsonl')[] }).formats,
  );
  await withTransaction(async (client) => {
    await client.query(
      `INSERT INTO destination_export (run_id, destination, kind, mapping_version, rows, location, checksum, receipt)
       VALUES ($1, $2, 'file', $3, $4, $5, $6, $7)
       ON CONFLICT (run_id, destination) DO UPDATE SET rows = EXCLUDED.rows, location = EXCLUDED.location, checksum = EXCLUDED.checksum, receipt = EXCLUDED.receipt, at = now()`,
      [input.runId, dest.name, dest.mappingVersion, manifest.rows, dir, manifest.files.map((f) => f.sha256).join(','), JSON.stringify(manifest)],
    );
    await client.query('DELETE FROM ledger_event WHERE run_id = $1 AND destination = $2', [input.runId, dest.name]);
    const ledger: CopyValue[][] = [];
    for (const r of included) {
      ledger.push([input.runId, r.entity_id, dest.name, 'exported', { mapping_version: dest.mappingVersion }]);
      ledger.push([input.runId, r.entity_id, dest.name, 'delivered', { location: dir }]);
    }
    await copyRows(client, 'ledger_event', ['run_id', 'entity_id', 'destination', 'stage', 'detail'], [...ledger, ...suppressed]);
  });
  log.info({ rows: manifest.rows, suppressed: suppressed.length, location: dir }, 'file export written');
  return { destination: dest.name, kind: 'file', rows: manifest.rows, location: dir };
}
