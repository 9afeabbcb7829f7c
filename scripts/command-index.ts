/**
 * Writes the CLI's command index (cli/command-modules.ts) next to the built main.js, so the
 * top-level help loads no command module. Run by scripts/build.mjs: node dist/scripts/command-index.js
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCommandIndex } from '../cli/command-modules.ts';
import { newProgram } from '../cli/main.ts';
import { REPO_ROOT } from '../activities/store/paths.ts';

const index = await buildCommandIndex(() => newProgram([]));
writeFileSync(join(REPO_ROOT, 'dist', 'cli', 'command-index.json'), `${JSON.stringify(index, null, 2)}\n`);
process.exit(0);
