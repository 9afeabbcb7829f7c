#!/usr/bin/env node
// `npm run build`: TypeScript → JavaScript in dist/ (tsc, transpile only), the prebundled
// workflow code (dist/workflow-bundle.js) and the CLI's command index (dist/cli/command-index.json). `--if-stale` rebuilds only when a source file, the
// tsconfig or the lockfile is newer than the last build, so `npm run demo` and `npm test` never run
// stale JavaScript and never pay for a build they do not need. Plain JavaScript: it runs before dist/ exists.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');
const SOURCE_DIRS = ['activities', 'contracts', 'workflows', 'workers', 'scripts', 'tools', 'cli'];
const SOURCE_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function newestMtime(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return /\.(ts|json)$/.test(path) || path.endsWith('package-lock.json') ? st.mtimeMs : 0;
  let newest = st.mtimeMs; // a deleted or renamed file changes its folder
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

function stale() {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  const paths = [...SOURCE_DIRS, ...SOURCE_FILES].map((p) => join(root, p)).filter((p) => existsSync(p));
  return paths.some((p) => newestMtime(p) > built);
}

if (process.argv.includes('--if-stale') && !stale()) process.exit(0);

const started = Date.now();
process.stderr.write('[scoreflow] building JavaScript into dist/ ...\n');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--noCheck'], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, [join(dist, 'scripts', 'bundle-workflows.js')], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, [join(dist, 'scripts', 'command-index.js')], { cwd: root, stdio: 'inherit' });
// The stamp carries the build's start time: a source edited while the build ran is newer, so stale.
writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
utimesSync(stamp, started / 1000, started / 1000);
process.stderr.write(`[scoreflow] built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
