/**
 * Snapshots a contract version into contracts/released/<name>/<version>.schema.json. Released
 * versions are immutable: writing the same bytes again is a no-op, different bytes are refused.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DataContract } from '../../contracts/contract.ts';
import { contractJsonSchema, serializeJsonSchema } from '../../contracts/json-schema.ts';
import { DEFAULT_RELEASED_DIR, snapshotPath } from './released-snapshots.ts';
import { runContractsCheck } from './check.ts';
import { ALL_CONTRACTS } from '../../contracts/registry.ts';

export class ContractReleaseConflict extends Error {
  override name = 'ContractReleaseConflict';
}

export interface ReleaseResult {
  contract: string;
  version: string;
  file: string;
  status: 'written' | 'unchanged';
}

export async function releaseContract(contract: DataContract, releasedDir: string): Promise<ReleaseResult> {
  const file = snapshotPath(releasedDir, contract.name, contract.version);
  const content = serializeJsonSchema(contractJsonSchema(contract));
  await mkdir(dirname(file), { recursive: true });
  try {
    await writeFile(file, content, { flag: 'wx' });
    return { contract: contract.name, version: contract.version, file, status: 'written' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const existing = await readFile(file, 'utf8');
  if (existing === content) return { contract: contract.name, version: contract.version, file, status: 'unchanged' };
  throw new ContractReleaseConflict(
    `${file} already holds a different ${contract.name} ${contract.version}: a released version never changes. ` +
      'Bump the contract version (run `scoreflow contracts check` to see which bump), add a changelog entry, and release that.',
  );
}

/** Runs `contracts check`; when it passes, snapshots every contract version not yet released (`scoreflow contracts release`). */
export async function releaseContracts(opts: { contracts?: readonly DataContract[]; releasedDir?: string } = {}): Promise<ReleaseResult[]> {
  const releasedDir = opts.releasedDir ?? DEFAULT_RELEASED_DIR;
  const contracts = opts.contracts ?? ALL_CONTRACTS;
  const check = await runContractsCheck({ releasedDir, contracts, write: (t) => void process.stderr.write(t) });
  if (!check.ok) throw new Error(`contracts check failed (${check.failures.length}); nothing was released`);
  const out: ReleaseResult[] = [];
  for (const c of contracts) out.push(await releaseContract(c, releasedDir));
  return out;
}
