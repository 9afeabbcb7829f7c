/**
 * Finds the complete deliveries in an inbox that are new: a delivery is complete once its manifest
 * exists (Adobe writes it last), and new unless a delivery with the same id and the same manifest
 * bytes is already loaded. A re-delivered day has a different manifest, so it is picked up again.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { join } from 'node:path';
import { getPool } from '../store/db.ts';

/** `<rsid>_<YYYY-MM-DD>.txt` for daily feeds, `<rsid>_<YYYYmmdd>-<HHMMSS>.txt` for hourly ones. */
export const MANIFEST_NAME = /^(.+)_(\d{4}-\d{2}-\d{2}|\d{8}-\d{6})\.txt$/;

export interface DiscoveredDelivery {
  deliveryId: string;
  manifestFile: string;
  manifestMd5: string;
}

export function listManifests(dir: string): DiscoveredDelivery[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => MANIFEST_NAME.test(f))
    .sort()
    .map((f) => ({ deliveryId: f.replace(/\.txt$/, ''), manifestFile: f, manifestMd5: createHash('md5').update(readFileSync(join(dir, f))).digest('hex') }));
}

/**
 * A missing or unreadable inbox is an error (InvalidFeed, not retried), never "no new data": a
 * misspelled inbox or an unmounted share must not look like a quiet day.
 */
export function requireInbox(dir: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(
      `inbox ${dir} does not exist (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}); create it, mount it, or fix \`inbox\` in the pipeline file (or --feed)`,
      'InvalidFeed',
    );
  }
  if (!st.isDirectory()) throw ApplicationFailure.nonRetryable(`inbox ${dir} is not a folder; point \`inbox\` (or --feed) at the folder deliveries arrive in`, 'InvalidFeed');
}

/**
 * The complete deliveries in `dir` that are new. With `pipeline`, new FOR THAT PIPELINE: not taken
 * up by one of its runs with the same manifest bytes (pipeline_delivery), so two pipelines on one
 * inbox each process a delivery once. Without it (outcome measurement, the previous release), new
 * to the database (feed_delivery). `alreadyLoaded` counts the complete deliveries that are not new.
 */
export async function discoverDeliveriesActivity(input: { dir: string; pipeline?: string }): Promise<{ deliveries: DiscoveredDelivery[]; alreadyLoaded: number }> {
  requireInbox(input.dir);
  const all = listManifests(input.dir);
  if (all.length === 0) return { deliveries: [], alreadyLoaded: 0 };
  const { rows } = input.pipeline
    ? await getPool().query<{ delivery_id: string; manifest_md5: string }>(
        'SELECT delivery_id, manifest_md5 FROM pipeline_delivery WHERE pipeline = $1 AND delivery_id = ANY($2)',
        [input.pipeline, all.map((d) => d.deliveryId)],
      )
    : await getPool().query<{ delivery_id: string; manifest_md5: string }>('SELECT delivery_id, manifest_md5 FROM feed_delivery WHERE delivery_id = ANY($1)', [
        all.map((d) => d.deliveryId),
      ]);
  const loaded = new Map(rows.map((r) => [r.delivery_id, r.manifest_md5]));
  const fresh = all.filter((d) => loaded.get(d.deliveryId) !== d.manifestMd5);
  return { deliveries: fresh, alreadyLoaded: all.length - fresh.length };
}

/** Records that a run of `pipeline` took up these deliveries (after ingesting them). Idempotent. */
export async function markDeliveriesTakenActivity(input: { pipeline: string; runId: string; deliveries: DiscoveredDelivery[] }): Promise<{ marked: number }> {
  if (input.deliveries.length === 0) return { marked: 0 };
  await getPool().query(
    `INSERT INTO pipeline_delivery (pipeline, delivery_id, manifest_md5, run_id)
     SELECT $1, d.id, d.md5, $2 FROM unnest($3::text[], $4::text[]) AS d(id, md5)
     ON CONFLICT (pipeline, delivery_id) DO UPDATE SET manifest_md5 = EXCLUDED.manifest_md5, run_id = EXCLUDED.run_id, taken_at = now()
       WHERE pipeline_delivery.manifest_md5 IS DISTINCT FROM EXCLUDED.manifest_md5`,
    [input.pipeline, input.runId, input.deliveries.map((d) => d.deliveryId), input.deliveries.map((d) => d.manifestMd5)],
  );
  return { marked: input.deliveries.length };
}
