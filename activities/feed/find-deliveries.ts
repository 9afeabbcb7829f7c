/**
 * Lists the complete deliveries in a folder. Adobe writes the manifest last, so a delivery is
 * complete exactly when its manifest exists; data files without a manifest are still arriving and
 * are left alone. A folder may hold several deliveries (one manifest per day or per hour).
 *
 * scanInbox also reports what a one-shot ingest must not pass over in silence: manifests that
 * cannot be read (a broken symlink, a folder, no permission) and deliveries whose data files or
 * lookup archive are there but whose manifest is not.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseDeliveryName, type DeliveryName } from './delivery-name.ts';
import { InvalidFeedError } from './invalid-feed-error.ts';
import { parseManifest } from './manifest.ts';

export interface DeliveryRef extends DeliveryName {
  /** The manifest's file name inside the folder. */
  manifestFile: string;
}

export interface InboxScan {
  /** Complete deliveries, oldest feed date first (ties by delivery id). */
  deliveries: DeliveryRef[];
  /** Manifest names that are not readable files, with the reason and what to do. */
  unreadable: { manifestFile: string; reason: string }[];
  /** Deliveries with data files or a lookup archive but no manifest: the manifest they wait for and their files. */
  withoutManifest: { manifestFile: string; files: string[] }[];
}

/** `01-<rsid>_<date>.tsv.gz` and `<rsid>_<date>-lookup_data.tar.gz` → `<rsid>_<date>.txt`. */
function manifestOf(fileName: string): string | null {
  const data = /^\d+-(.+)\.tsv\.gz$/.exec(fileName);
  const lookup = /^(.+)-lookup_data\.tar\.gz$/.exec(fileName);
  const base = data?.[1] ?? lookup?.[1];
  if (base === undefined) return null;
  return parseDeliveryName(`${base}.txt`) ? `${base}.txt` : null;
}

function byDate(a: DeliveryRef, b: DeliveryRef): number {
  return a.feedDate < b.feedDate ? -1 : a.feedDate > b.feedDate ? 1 : a.deliveryId < b.deliveryId ? -1 : a.deliveryId > b.deliveryId ? 1 : 0;
}

async function listFolder(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InvalidFeedError(`${dir}: the feed folder does not exist. Create it or point the pipeline's inbox at the folder Adobe delivers to.`);
    if (code === 'ENOTDIR') {
      const hint = parseDeliveryName(dir.split(/[\\/]/).pop() ?? '') ? ` This is a manifest: pass its folder, ${dirname(dir)}.` : '';
      throw new InvalidFeedError(`${dir}: is a file, not a folder. Pass the folder that holds the deliveries (their manifests <rsid>_<date>.txt, data files and lookup archives).${hint}`);
    }
    if (code === 'EACCES') throw new InvalidFeedError(`${dir}: the feed folder cannot be read (permission denied). Give this user read access to it.`);
    throw err;
  }
}

export async function scanInbox(dir: string): Promise<InboxScan> {
  const entries = await listFolder(dir);
  const deliveries: DeliveryRef[] = [];
  const unreadable: InboxScan['unreadable'] = [];
  const present = new Set<string>();
  for (const e of entries) {
    const name = parseDeliveryName(e.name);
    if (!name) continue;
    present.add(e.name);
    if (e.isFile()) {
      deliveries.push({ ...name, manifestFile: e.name });
      continue;
    }
    // A symlink counts when it leads to a file; a broken one, a folder or a socket is named, not skipped.
    let reason: string;
    try {
      const s = await stat(join(dir, e.name));
      if (s.isFile()) {
        deliveries.push({ ...name, manifestFile: e.name });
        continue;
      }
      reason = `${e.name}: the manifest is not a file (${s.isDirectory() ? 'a folder' : 'a special file'}). Replace it with the manifest Adobe delivered.`;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      reason =
        code === 'ENOENT'
          ? `${e.name}: the manifest is a symbolic link to a file that does not exist. Fix the link or copy the manifest Adobe delivered into ${dir}.`
          : `${e.name}: the manifest cannot be read (${code ?? (err as Error).message}). Fix its permissions or re-deliver it.`;
    }
    unreadable.push({ manifestFile: e.name, reason });
  }
  // Files a present manifest lists belong to it, whatever their names (a damaged manifest is ingest's to report).
  const listed = new Set<string>();
  for (const d of deliveries) {
    try {
      const m = parseManifest((await readFile(join(dir, d.manifestFile))).toString('latin1'), d.manifestFile);
      for (const f of [...m.lookupFiles, ...m.dataFiles]) listed.add(f.name);
    } catch {
      // Rejected with its reason when the delivery is ingested.
    }
  }
  const waiting = new Map<string, string[]>();
  for (const e of entries) {
    const manifest = manifestOf(e.name);
    if (manifest === null || present.has(manifest) || listed.has(e.name)) continue;
    waiting.set(manifest, [...(waiting.get(manifest) ?? []), e.name]);
  }
  return {
    deliveries: deliveries.sort(byDate),
    unreadable: unreadable.sort((a, b) => (a.manifestFile < b.manifestFile ? -1 : 1)),
    withoutManifest: [...waiting].map(([manifestFile, files]) => ({ manifestFile, files: files.sort() })).sort((a, b) => (a.manifestFile < b.manifestFile ? -1 : 1)),
  };
}

/** Complete deliveries in `dir`, oldest feed date first (ties by delivery id). */
export async function findDeliveries(dir: string): Promise<DeliveryRef[]> {
  return (await scanInbox(dir)).deliveries;
}
