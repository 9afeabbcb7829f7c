import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { exportContracts } from '../../activities/contracts/export.ts';
import { activationRecordContract } from '../../contracts/canonical-record.ts';
import { CONSUMERS } from '../../contracts/consumers.ts';
import { contractToOdcs, odcsYaml, type OdcsProperty } from '../../contracts/odcs.ts';
import { ALL_CONTRACTS } from '../../contracts/registry.ts';

const out = mkdtempSync(join(tmpdir(), 'sf-odcs-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function prop(props: OdcsProperty[] | undefined, path: string): OdcsProperty | undefined {
  let cur: OdcsProperty | undefined;
  let list = props;
  for (const name of path.split('.')) {
    cur = list?.find((p) => p.name === name);
    list = cur?.properties ?? cur?.items?.properties;
  }
  return cur;
}

describe('contractToOdcs', () => {
  const parsed = YAML.parse(odcsYaml(contractToOdcs(activationRecordContract, { table: 'activation_record', consumers: CONSUMERS }))) as Record<string, any>;

  it('parses as YAML and carries the ODCS v3 header', () => {
    expect(parsed.apiVersion).toMatch(/^v3\.0\.\d+$/);
    expect(parsed.kind).toBe('DataContract');
    expect(parsed.id).toBe('urn:scoreflow:contract:activation_record');
    expect(parsed.version).toBe('1.0.0');
    expect(parsed.status).toBe('active');
    expect(parsed.domain).toBe('activation');
    expect(parsed.description.purpose).toContain('One row per entity');
  });

  it('describes the activation_record table with nested properties, logical types and required flags', () => {
    expect(parsed.schema).toHaveLength(1);
    const table = parsed.schema[0];
    expect(table).toMatchObject({ name: 'activation_record', physicalName: 'activation_record', physicalType: 'table', logicalType: 'object' });
    const props = table.properties as OdcsProperty[];
    expect(props.map((p) => p.name)).toEqual(['entity_id', 'identity', 'score', 'segments', 'eligibility', 'recommendations', 'rationale', 'metadata', 'compliance', 'measurement']);
    expect(prop(props, 'entity_id')).toMatchObject({ logicalType: 'string', required: true, logicalTypeOptions: { pattern: '^\\d{1,20}_\\d{1,20}$' } });
    expect(prop(props, 'identity.customer_id')).toMatchObject({ logicalType: 'string', required: false });
    expect(prop(props, 'score.value')).toMatchObject({ logicalType: 'number', required: true });
    expect(prop(props, 'metadata.expires_at')).toMatchObject({ logicalType: 'date', required: true });
    expect(prop(props, 'segments')).toMatchObject({ logicalType: 'array', logicalTypeOptions: { minItems: 1 } });
    expect(prop(props, 'segments.id')).toMatchObject({ logicalType: 'string', required: true });
    expect(prop(props, 'compliance.consent.advertising')).toMatchObject({ logicalType: 'boolean', required: true });
    expect(prop(props, 'metadata.decision_policy')?.quality?.[0]).toMatchObject({ type: 'library', rule: 'validValues', validValues: ['model', 'rules'] });
  });

  it('carries quality rules, freshness SLAs, the owning team and the declared semantics', () => {
    const rules = parsed.schema[0].quality as { type: string; description: string; query?: string }[];
    expect(rules.length).toBeGreaterThanOrEqual(4);
    expect(rules.some((r) => r.type === 'sql' && r.query?.includes('GROUP BY run_id, entity_id'))).toBe(true);
    expect(rules.some((r) => r.type === 'text' && r.description.includes('__sf_cleared__'))).toBe(true);
    expect(parsed.slaProperties).toEqual(expect.arrayContaining([expect.objectContaining({ property: 'freshness', value: 24, unit: 'hours' })]));
    expect(parsed.team).toEqual([expect.objectContaining({ username: 'scoreflow-activation-team', role: 'owner' })]);
    const semantics = parsed.customProperties.find((p: { property: string }) => p.property === 'scoreflowSemantics').value;
    expect(semantics.score.meaning).toEqual({ kind: 'probability', outcome: 'purchase', horizon_days: 7 });
    const consumers = parsed.customProperties.find((p: { property: string }) => p.property === 'consumers').value;
    expect(consumers.map((c: { consumer: string }) => c.consumer)).toContain('target-bulk-profile');
  });
});

describe('exportContracts', () => {
  it('writes the ODCS YAML of the canonical table', async () => {
    const r = await exportContracts('odcs', join(out, 'odcs'));
    expect(r.files).toEqual([join(out, 'odcs', 'activation_record.odcs.yaml')]);
    const doc = YAML.parse(readFileSync(r.files[0]!, 'utf8')) as Record<string, unknown>;
    expect(doc).toMatchObject({ kind: 'DataContract', name: 'activation_record', version: '1.0.0' });
  });

  it('writes one JSON Schema per contract, equal to the released snapshot', async () => {
    const r = await exportContracts('jsonschema', join(out, 'js'));
    expect(r.files).toHaveLength(ALL_CONTRACTS.length);
    const record = readFileSync(join(out, 'js', 'activation_record', '1.0.0.schema.json'), 'utf8');
    expect(record).toBe(readFileSync(new URL('../../contracts/released/activation_record/1.0.0.schema.json', import.meta.url), 'utf8'));
  });

  it('refuses an unknown format', async () => {
    await expect(exportContracts('avro' as never, out)).rejects.toThrow(/unknown export format "avro": use jsonschema or odcs/);
  });
});
