/**
 * Finds the complete deliveries in an inbox that are new: a delivery is complete once its manifest
 * exists (Adobe writes it last), and new unless a delivery with the same id and the same manifest
 * bytes is already loaded. A re-delivered day has a different manifest, so it is picked up again.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

export async function discoverDeliveriesActivity(input: { dir: string }): Promise<{ deliveries: DiscoveredDelivery[]; alreadyLoaded: number }> {
  const all = listManifests(input.dir);
  if (all.length === 0) return { deliveries: [], alreadyLoaded: 0 };
  const { rows } = await getPool().query<{ delivery_id: string; manifest_md5: string }>(
    'SELECT delivery_id, manifest_md5 FROM feed_delivery WHERE delivery_id = ANY($1)',
    [all.map((d) => d.deliveryId)],
  );
  const loaded = new Map(rows.map((r) => [r.delivery_id, r.manifest_md5]));
  const fresh = all.filter((d) => loaded.get(d.deliveryId) !== d.manifestMd5);
  return { deliveries: fresh, alreadyLoaded: all.length - fresh.length };
}
