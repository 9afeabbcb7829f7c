/**
 * Releases the working contracts: runs `contracts check`, and when it passes snapshots every
 * contract version not yet released into contracts/released/<name>/<version>.schema.json.
 * An existing snapshot is never overwritten with different content.
 *   node --import tsx scripts/contracts-release.ts [--only <name>] [--dir <releasedDir>]
 */
import { parseArgs } from 'node:util';
import { releaseContracts } from '../activities/contracts/release.ts';
import { ALL_CONTRACTS } from '../contracts/registry.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, dir: { type: 'string' } } });
  const contracts = values.only ? ALL_CONTRACTS.filter((c) => c.name === values.only) : ALL_CONTRACTS;
  if (contracts.length === 0) throw new Error(`no contract named ${values.only}`);
  for (const r of await releaseContracts({ contracts, releasedDir: values.dir })) {
    process.stdout.write(`${r.status === 'written' ? 'released ' : 'unchanged'} ${r.contract} ${r.version} → ${r.file}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
