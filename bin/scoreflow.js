#!/usr/bin/env node
// The `scoreflow` CLI: the JavaScript build (dist/, made by `npm run build`). In a development
// checkout without a build, it falls back to the TypeScript sources through tsx (a dev dependency).
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
let cli;
if (existsSync(built)) {
  cli = await import(built.href);
} else {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    process.stderr.write('scoreflow: no build found (dist/cli/main.js); run `npm run build` in the Scoreflow folder.\n');
    process.exit(1);
  }
  tsx.register();
  cli = await import('../cli/main.ts');
}
process.exitCode = await cli.main(process.argv);
