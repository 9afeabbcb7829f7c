/**
 * Reads released contract snapshots: contracts/released/<name>/<version>.schema.json.
 * A snapshot that is not valid JSON or whose file name disagrees with its x-scoreflow metadata is an
 * error naming the file, because the check would otherwise compare against the wrong thing.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../store/paths.ts';
import semver from 'semver';
import type { JsonSchema } from '../../contracts/json-schema.ts';

export const DEFAULT_RELEASED_DIR = join(REPO_ROOT, 'contracts', 'released');

export interface ReleasedSnapshot {
  name: string;
  version: string;
  file: string;
  schema: JsonSchema;
}

export function snapshotPath(releasedDir: string, name: string, version: string): string {
  return join(releasedDir, name, `${version}.schema.json`);
}

async function dirEntries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every released version of one contract, oldest first. */
export async function readReleasedVersions(releasedDir: string, name: string): Promise<ReleasedSnapshot[]> {
  const out: ReleasedSnapshot[] = [];
  for (const entry of await dirEntries(join(releasedDir, name))) {
    const m = /^(.+)\.schema\.json$/.exec(entry);
    if (!m || semver.valid(m[1]!) !== m[1]) continue;
    const file = join(releasedDir, name, entry);
    let schema: JsonSchema;
    try {
      schema = JSON.parse(await readFile(file, 'utf8')) as JsonSchema;
    } catch (err) {
      throw new Error(`released snapshot ${file} is not valid JSON (${(err as Error).message}); restore it from version control`);
    }
    const meta = schema['x-scoreflow'];
    if (!meta || meta.contract !== name || meta.version !== m[1]) {
      throw new Error(`released snapshot ${file} declares ${meta ? `${meta.contract}@${meta.version}` : 'no x-scoreflow metadata'}; its path says ${name}@${m[1]}: restore it from version control`);
    }
    out.push({ name, version: m[1]!, file, schema });
  }
  return out.sort((a, b) => semver.compare(a.version, b.version));
}

export async function readLatestReleased(releasedDir: string, name: string): Promise<ReleasedSnapshot | null> {
  const all = await readReleasedVersions(releasedDir, name);
  return all.at(-1) ?? null;
}
