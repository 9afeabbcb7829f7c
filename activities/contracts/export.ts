/**
 * `scoreflow contracts export`: writes the contracts as JSON Schema (every contract, one file per
 * name and version) or as an ODCS v3 YAML document for the canonical activation_record table.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { activationRecordContract } from '../../contracts/canonical-record.ts';
import { CONSUMERS } from '../../contracts/consumers.ts';
import type { DataContract } from '../../contracts/contract.ts';
import { contractJsonSchema, serializeJsonSchema } from '../../contracts/json-schema.ts';
import { contractToOdcs, odcsYaml, type OdcsPipeline } from '../../contracts/odcs.ts';
import { ALL_CONTRACTS } from '../../contracts/registry.ts';

export type ContractExportFormat = 'jsonschema' | 'odcs';

export interface ContractExportResult {
  format: ContractExportFormat;
  files: string[];
}

async function writeAtomic(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}

export async function exportContracts(
  format: ContractExportFormat,
  outDir = 'contracts-export',
  contracts: readonly DataContract[] = ALL_CONTRACTS,
  /** ODCS only: state this pipeline's freshness, cadence and decision owners instead of the contract's defaults. */
  pipeline?: OdcsPipeline,
): Promise<ContractExportResult> {
  const dir = resolve(outDir);
  const files: string[] = [];
  if (format === 'jsonschema') {
    for (const c of contracts) {
      const file = join(dir, c.name, `${c.version}.schema.json`);
      await writeAtomic(file, serializeJsonSchema(contractJsonSchema(c)));
      files.push(file);
    }
  } else if (format === 'odcs') {
    const record = contracts.find((c) => c.name === activationRecordContract.name) ?? activationRecordContract;
    const file = join(dir, pipeline ? `${record.name}.${pipeline.name}.odcs.yaml` : `${record.name}.odcs.yaml`);
    await writeAtomic(file, odcsYaml(contractToOdcs(record, { table: 'activation_record', consumers: CONSUMERS, pipeline })));
    files.push(file);
  } else {
    throw new Error(`unknown export format "${String(format)}": use jsonschema or odcs`);
  }
  return { format, files };
}
