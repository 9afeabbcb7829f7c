/** Where Scoreflow keeps local state: the repo root and the data folder (SCOREFLOW_DATA_DIR, default .data/). */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
export const DATA_DIR = process.env.SCOREFLOW_DATA_DIR ?? join(REPO_ROOT, '.data');
