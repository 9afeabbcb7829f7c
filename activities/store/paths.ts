/** Where Scoreflow keeps local state: the repo root and the data folder (SCOREFLOW_DATA_DIR, default .data/). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding package.json, found by walking up from this file: the same answer whether
 * this runs as TypeScript source (activities/store/) or as the build in dist/activities/store/.
 * Files that are not code (migrations, models, released contracts, pipelines) are read from here.
 */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}; Scoreflow runs from its package folder`);
  }
}

export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
export const DATA_DIR = process.env.SCOREFLOW_DATA_DIR ?? join(REPO_ROOT, '.data');
