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
import { FileExportWriter } from './file-export.ts';
import { cursorPages, type Shard } from '../store/shard.ts';
import { heartbeat } from '../run/heartbeat.ts';
import { syncDestination } from './sync-destination.ts';
import type { ExportResult } from './run-records.ts';
import type { StatefulDestination } from './adapter-factory.ts';

export interface ExportInput extends PipelineRef {
  runId: string;
  destination: string;
  /** One entity-hash range of the run (absent: all of it); stateful destinations only. */
  shard?: Shard;
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
  if (dest.kind !== 'file') return syncDestination({ runId: input.runId, pipeline: cfg, destination: dest as StatefulDestination, shard: input.shard });
  if (input.shard && input.shard.count > 1) {
    throw ApplicationFailure.nonRetryable(`destination ${dest.name} is a file destination: it writes one set of files per run and is exported unsharded`, 'InvalidPipelineConfig');
  }

  // Routing is judged at the cycle's scoring time, so a re-export of the same cycle writes the same
  // rows. One transaction: a cursor over the run's records, each page routed, appended to the files
  // and ledgered with COPY; the files become visible (renamed, manifest last) only when all are written.
  const dir = join((dest as { outbox: string }).outbox, cfg.name, input.runId, dest.name);
  const result = await withTransaction(async (client) => {
    await client.query('DELETE FROM ledger_event WHERE run_id = $1 AND destination = $2', [input.runId, dest.name]);
    const writer = new FileExportWriter(dir, { runId: input.runId, destination: dest.name, mappingVersion: dest.mappingVersion }, (dest as { formats: ('csv' | 'jsonl')[] }).formats);
    let contractVersion: string | undefined;
    let suppressedN = 0;
    try {
      for await (const page of cursorPages<{ record: CanonicalRecord }>(client, 'SELECT record FROM activation_record WHERE run_id = $1 ORDER BY entity_id', [input.runId], cfg.scale.pageSize)) {
        const included: CanonicalRecord[] = [];
        const ledger: CopyValue[][] = [];
        for (const { record: r } of page) {
          contractVersion ??= r.metadata.contract_version;
          const d = routeDecision(r, dest, new Date(r.metadata.scored_at));
          if (d.include) {
            included.push(r);
            ledger.push([input.runId, r.entity_id, dest.name, 'exported', { mapping_version: dest.mappingVersion }]);
            ledger.push([input.runId, r.entity_id, dest.name, 'delivered', { location: dir }]);
          } else {
            ledger.push([input.runId, r.entity_id, dest.name, 'suppressed', { reason: d.reason }]);
            suppressedN++;
          }
        }
        writer.write(included);
        await copyRows(client, 'ledger_event', ['run_id', 'entity_id', 'destination', 'stage', 'detail'], ledger);
        heartbeat({ written: page.length });
      }
    } catch (err) {
      writer.abort();
      throw err;
    }
    const manifest = writer.finish(contractVersion ?? 'n/a');
    await client.query(
      `INSERT INTO destination_export (run_id, destination, kind, mapping_version, rows, location, checksum, receipt)
       VALUES ($1, $2, 'file', $3, $4, $5, $6, $7)
       ON CONFLICT (run_id, destination) DO UPDATE SET rows = EXCLUDED.rows, location = EXCLUDED.location, checksum = EXCLUDED.checksum, receipt = EXCLUDED.receipt, at = now()`,
      [input.runId, dest.name, dest.mappingVersion, manifest.rows, dir, manifest.files.map((f) => f.sha256).join(','), JSON.stringify(manifest)],
    );
    return { manifest, suppressed: suppressedN };
  });
  log.info({ rows: result.manifest.rows, suppressed: result.suppressed, location: dir }, 'file export written');
  return { destination: dest.name, kind: 'file', rows: result.manifest.rows, location: dir };
}
