/**
 * Loads the identity sources beside a delivery: the CRM extract (customer id, email, phone, name,
 * country, zip) and, where the pipeline takes consent from a consent management platform, its
 * export. Both are upserts keyed by their natural ids, so loading twice changes nothing. The CRM goes
 * into the pipeline's namespace (feed.crmNamespace; the shared customer master when absent).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { withTransaction } from '../store/db.ts';
import { CsvInputError, readCsvRecords } from './csv-line.ts';

export interface IdentitySourcesInput {
  dir: string;
  crmExtract?: string;
  /** The customer master the extract is loaded into (pipeline feed.crmNamespace); absent: the shared one. */
  crmNamespace?: string;
  cmpFile?: string;
}

/** The records of an identity source; a file that is not valid CSV fails the stage, naming it. */
async function* csvRows(path: string): AsyncGenerator<{ lineNo: number; fields: string[] }> {
  try {
    yield* readCsvRecords(path);
  } catch (err) {
    if (err instanceof CsvInputError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidFeed');
    throw err;
  }
}

const CRM_COLUMNS = ['customer_id', 'email', 'phone', 'first_name', 'last_name', 'country', 'zip'];
const CMP_COLUMNS = ['entity_id', 'purpose', 'granted', 'recorded_at'];

async function readTable(path: string, columns: string[]): Promise<string[][]> {
  const rows: string[][] = [];
  let header: string[] | undefined;
  for await (const { lineNo, fields } of csvRows(path)) {
    if (!header) {
      header = fields.map((f) => f.trim());
      const missing = columns.filter((c) => !header!.includes(c));
      if (missing.length) throw ApplicationFailure.nonRetryable(`${path}: header lacks column(s) ${missing.join(', ')}; expected ${columns.join(',')}`, 'InvalidFeed');
      continue;
    }
    if (fields.length !== header.length) {
      throw ApplicationFailure.nonRetryable(`${path}: line ${lineNo} has ${fields.length} fields, the header has ${header.length}. Fix the export and deliver again.`, 'InvalidFeed');
    }
    rows.push(columns.map((c) => fields[header!.indexOf(c)] ?? ''));
  }
  return rows;
}

export async function loadIdentitySourcesActivity(input: IdentitySourcesInput): Promise<{ crmCustomers: number; cmpConsents: number }> {
  let crmCustomers = 0;
  let cmpConsents = 0;
  const namespace = input.crmNamespace ?? '';
  const crmPath = input.crmExtract ? join(input.dir, input.crmExtract) : undefined;
  const cmpPath = input.cmpFile ? join(input.dir, input.cmpFile) : undefined;
  const crm = crmPath && existsSync(crmPath) ? await readTable(crmPath, CRM_COLUMNS) : [];
  const cmp = cmpPath ? (existsSync(cmpPath) ? await readTable(cmpPath, CMP_COLUMNS) : null) : [];
  if (cmp === null) throw ApplicationFailure.nonRetryable(`${cmpPath}: the pipeline takes consent from this CMP export, but it is missing. Deliver it beside the feed.`, 'InvalidFeed');

  await withTransaction(async (client) => {
    for (let i = 0; i < crm.length; i += 1000) {
      const chunk = crm.slice(i, i + 1000);
      const values: unknown[] = [namespace];
      const tuples = chunk.map((r, j) => {
        values.push(...r.map((v) => (v === '' ? null : v)));
        return `($1,${r.map((_, k) => `$${j * 7 + k + 2}`).join(',')})`;
      });
      await client.query(
        `INSERT INTO crm_customer (namespace, customer_id, email, phone, first_name, last_name, country, zip) VALUES ${tuples.join(',')}
         ON CONFLICT (namespace, customer_id) DO UPDATE SET email = EXCLUDED.email, phone = EXCLUDED.phone, first_name = EXCLUDED.first_name,
           last_name = EXCLUDED.last_name, country = EXCLUDED.country, zip = EXCLUDED.zip, loaded_at = now()`,
        values,
      );
      crmCustomers += chunk.length;
    }
    for (let i = 0; i < cmp.length; i += 1000) {
      const chunk = cmp.slice(i, i + 1000);
      const values: unknown[] = [];
      const tuples = chunk.map((r, j) => {
        const granted = /^(1|true|yes|granted)$/i.test(r[2] ?? '');
        values.push(r[0], r[1], granted, r[3]);
        return `($${j * 4 + 1}, $${j * 4 + 2}, $${j * 4 + 3}, 'cmp_file', $${j * 4 + 4})`;
      });
      await client.query(
        `INSERT INTO consent_record (entity_id, purpose, granted, source, recorded_at) VALUES ${tuples.join(',')}
         ON CONFLICT (entity_id, purpose) DO UPDATE SET granted = EXCLUDED.granted, recorded_at = EXCLUDED.recorded_at
         WHERE consent_record.recorded_at <= EXCLUDED.recorded_at`,
        values,
      );
      cmpConsents += chunk.length;
    }
  });
  return { crmCustomers, cmpConsents };
}
