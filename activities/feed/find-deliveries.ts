/**
 * Lists the complete deliveries in a folder. Adobe writes the manifest last, so a delivery is
 * complete exactly when its manifest exists; data files without a manifest are still arriving and
 * are left alone. A folder may hold several deliveries (one manifest per day or per hour).
 */
import { readdir } from 'node:fs/promises';
import { parseDeliveryName, type DeliveryName } from './delivery-name.ts';

export interface DeliveryRef extends DeliveryName {
  /** The manifest's file name inside the folder. */
  manifestFile: string;
}

/** Complete deliveries in `dir`, oldest feed date first (ties by delivery id). */
export async function findDeliveries(dir: string): Promise<DeliveryRef[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${dir}: the feed folder does not exist. Create it or point the pipeline's inbox at the folder Adobe delivers to.`);
    throw err;
  }
  const found: DeliveryRef[] = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    const name = parseDeliveryName(e.name);
    if (name) found.push({ ...name, manifestFile: e.name });
  }
  return found.sort((a, b) => (a.feedDate < b.feedDate ? -1 : a.feedDate > b.feedDate ? 1 : a.deliveryId < b.deliveryId ? -1 : a.deliveryId > b.deliveryId ? 1 : 0));
}
