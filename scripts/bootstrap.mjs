#!/usr/bin/env node
// Installs npm dependencies when they are missing or older than package-lock.json.
// Plain JavaScript with no dependencies, so it runs on a fresh clone before `npm ci`.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  process.stderr.write('[scoreflow] installing npm dependencies (npm ci)...\n');
  const started = Date.now();
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  process.stderr.write(`[scoreflow] npm dependencies installed in ${Math.round((Date.now() - started) / 1000)}s\n`);
}
