/**
 * A contract as a released JSON Schema (draft 2020-12): the zod schema through z.toJSONSchema, in
 * input mode (what the validator accepts), plus the governance metadata under `x-scoreflow`.
 * Pure: no I/O; the snapshot writer lives in activities/contracts/.
 */
import { z } from 'zod';
import type { ChangelogEntry, ContractSemantics, ContractStatus, DataContract, FieldDeprecation, Freshness } from './contract.ts';

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

export interface ScoreflowSchemaMeta {
  contract: string;
  version: string;
  owner: string;
  domain: string;
  status: ContractStatus;
  semantics: ContractSemantics;
  freshness: Freshness;
  deprecations: FieldDeprecation[];
  changelog: ChangelogEntry[];
}

/** A JSON Schema document; `x-scoreflow` is present on released contract schemas. */
export type JsonSchema = { [key: string]: unknown; 'x-scoreflow'?: ScoreflowSchemaMeta };

export function contractSchemaId(name: string, version: string): string {
  return `urn:scoreflow:contract:${name}:${version}`;
}

export function contractJsonSchema(contract: DataContract): JsonSchema {
  const body = z.toJSONSchema(contract.schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>;
  const { $schema: _dialect, description: _description, ...rest } = body;
  const meta: ScoreflowSchemaMeta = {
    contract: contract.name,
    version: contract.version,
    owner: contract.owner,
    domain: contract.domain,
    status: contract.status,
    semantics: contract.semantics,
    freshness: contract.freshness,
    deprecations: [...contract.deprecations],
    changelog: [...contract.changelog],
  };
  return {
    $schema: JSON_SCHEMA_DIALECT,
    $id: contractSchemaId(contract.name, contract.version),
    title: contract.name,
    description: contract.description,
    ...rest,
    'x-scoreflow': JSON.parse(JSON.stringify(meta)) as ScoreflowSchemaMeta,
  };
}

/** The exact bytes of a released snapshot: stable key order, two-space indent, trailing newline. */
export function serializeJsonSchema(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
