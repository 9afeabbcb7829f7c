/**
 * The file destination: CSV and JSONL of a cycle's routed records in an outbox folder, plus a
 * manifest with row counts and sha256 checksums. Files are written to temporary names and renamed,
 * and the manifest last, so a reader that sees the manifest sees complete files. Exporting the same
 * cycle again rewrites identical bytes and records nothing twice.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import { csvField } from '../run/csv-line.ts';

export const FILE_COLUMNS = [
  'entity_id', 'customer_id', 'segment', 'score', 'score_kind', 'horizon_days', 'eligible', 'top_items',
  'model_id', 'model_version', 'decision_policy', 'scored_at', 'expires_at', 'contract_version', 'holdout_arm',
] as const;

export function fileRow(r: CanonicalRecord): string[] {
  return [
    r.entity_id,
    r.identity.customer_id ?? '',
    r.segments.map((s) => s.id).join('|'),
    String(r.score.value),
    r.score.semantics.kind,
    r.score.semantics.kind === 'probability' ? String(r.score.semantics.horizon_days) : '',
    String(r.eligibility.activation_eligible),
    r.recommendations.items.map((i) => i.item_id).join('|'),
    r.metadata.model_id,
    r.metadata.model_version,
    r.metadata.decision_policy,
    r.metadata.scored_at,
    r.metadata.expires_at,
    r.metadata.contract_version,
    r.measurement.holdout_arm,
  ];
}

export interface FileExportManifest {
  runId: string;
  destination: string;
  mappingVersion: string;
  contractVersion: string;
  rows: number;
  files: { name: string; rows: number; bytes: number; sha256: string }[];
}

function writeAtomic(path: string, content: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export function writeFileExport(
  dir: string,
  meta: { runId: string; destination: string; mappingVersion: string; contractVersion: string },
  records: CanonicalRecord[],
  formats: ('csv' | 'jsonl')[],
): FileExportManifest {
  mkdirSync(dir, { recursive: true });
  const files: FileExportManifest['files'] = [];
  for (const format of formats) {
    const body =
      format === 'csv'
        ? [FILE_COLUMNS.join(','), ...records.map((r) => fileRow(r).map(csvField).join(','))].join('\n') + '\n'
        : records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
    const name = `records.${format}`;
    const bytes = Buffer.from(body, 'utf8');
    writeAtomic(join(dir, name), bytes);
    files.push({ name, rows: records.length, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  const manifest: FileExportManifest = { ...meta, rows: records.length, files };
  writeAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
