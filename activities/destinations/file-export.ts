/**
 * The file destination: CSV and JSONL of a cycle's routed records in an outbox folder, plus a
 * manifest with row counts and sha256 checksums. Files are written to temporary names and renamed,
 * and the manifest last, so a reader that sees the manifest sees complete files. Exporting the same
 * cycle again rewrites identical bytes and records nothing twice.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
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

/**
 * The same files as writeFileExport, written as the records stream in: one page at a time appended
 * to temporary files with running checksums; `finish` renames them and writes the manifest last.
 * Identical input gives identical bytes to writeFileExport.
 */
export class FileExportWriter {
  private readonly parts: { format: 'csv' | 'jsonl'; name: string; tmp: string; fd: number; hash: ReturnType<typeof createHash>; bytes: number }[];
  private rows = 0;

  constructor(
    private readonly dir: string,
    private readonly meta: { runId: string; destination: string; mappingVersion: string },
    formats: ('csv' | 'jsonl')[],
  ) {
    mkdirSync(dir, { recursive: true });
    this.parts = formats.map((format) => {
      const name = `records.${format}`;
      const tmp = join(dir, `${name}.tmp-${process.pid}`);
      return { format, name, tmp, fd: openSync(tmp, 'w'), hash: createHash('sha256'), bytes: 0 };
    });
    const header = Buffer.from(`${FILE_COLUMNS.join(',')}\n`, 'utf8');
    for (const p of this.parts) if (p.format === 'csv') this.append(p, header);
  }

  private append(p: (typeof this.parts)[number], buf: Buffer): void {
    writeSync(p.fd, buf);
    p.hash.update(buf);
    p.bytes += buf.length;
  }

  write(records: readonly CanonicalRecord[]): void {
    if (records.length === 0) return;
    for (const p of this.parts) {
      const body = p.format === 'csv' ? records.map((r) => `${fileRow(r).map(csvField).join(',')}\n`).join('') : records.map((r) => `${JSON.stringify(r)}\n`).join('');
      this.append(p, Buffer.from(body, 'utf8'));
    }
    this.rows += records.length;
  }

  finish(contractVersion: string): FileExportManifest {
    const files: FileExportManifest['files'] = [];
    for (const p of this.parts) {
      closeSync(p.fd);
      renameSync(p.tmp, join(this.dir, p.name));
      files.push({ name: p.name, rows: this.rows, bytes: p.bytes, sha256: p.hash.digest('hex') });
    }
    const manifest: FileExportManifest = { ...this.meta, contractVersion, rows: this.rows, files };
    writeAtomic(join(this.dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    return manifest;
  }

  abort(): void {
    for (const p of this.parts) {
      try {
        closeSync(p.fd);
      } catch {
        /* already closed */
      }
    }
  }
}
