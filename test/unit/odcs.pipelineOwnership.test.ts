/**
 * Decision ownership in the pipeline file (destinations[].decision) and the ODCS data contract
 * exported for a pipeline: its owners, decision points and latency budgets, and its freshness.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { exportContracts } from '../../activities/contracts/export.ts';
import { loadPipelineConfig } from '../../activities/run/pipeline.ts';
import { activationRecordContract } from '../../contracts/canonical-record.ts';
import { contractToOdcs, isoDuration, odcsYaml } from '../../contracts/odcs.ts';
import { DecisionOwnership, PipelineConfig, destinationOwnership } from '../../contracts/pipeline-config.ts';
import { ALL_CONTRACTS } from '../../contracts/registry.ts';

const out = mkdtempSync(join(tmpdir(), 'sf-odcs-pipeline-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const demoPath = new URL('../../pipelines/demo.yaml', import.meta.url).pathname;

function issues(value: unknown): string[] {
  const r = DecisionOwnership.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('destinations[].decision', () => {
  it('accepts a point, an owner and a latency budget in the pipeline duration syntax', () => {
    expect(issues({ point: 'onsite.hero-banner', owner: 'growth-team', latencyBudget: '200ms' })).toEqual([]);
    expect(issues({ point: 'paid_retargeting', owner: 'Paid Media (Jane)', latencyBudget: '6h' })).toEqual([]);
  });

  it('refuses a bad point, an empty owner, a latency budget that is not a duration, and unknown keys, with clear messages', () => {
    expect(issues({ point: 'Hero Banner', owner: 'growth-team', latencyBudget: '6h' })).toEqual([expect.stringMatching(/^point: a decision point id/)]);
    expect(issues({ point: 'hero', owner: '  ', latencyBudget: '6h' })).toEqual([expect.stringMatching(/^owner: name the team or person accountable/)]);
    expect(issues({ point: 'hero', owner: 'growth', latencyBudget: '200 millis' })).toEqual(['latencyBudget: a duration like "500ms", "30s", "15m", "6h" or "7d"']);
    expect(issues({ point: 'hero', owner: 'growth', latencyBudget: 200 })).toEqual([expect.stringMatching(/^latencyBudget: /)]);
    expect(issues({ point: 'hero', owner: 'growth' })).toEqual([expect.stringMatching(/^latencyBudget: /)]);
    expect(issues({ point: 'hero', owner: 'growth', latencyBudget: '6h', team: 'x' })).toEqual([expect.stringMatching(/team/)]);
  });

  it('is optional on every destination kind, and destinationOwnership lists it per destination (null where undeclared)', () => {
    const cfg = loadPipelineConfig(demoPath);
    const raw = YAML.parse(readFileSync(demoPath, 'utf8')) as Record<string, any>;
    const withWebhook = PipelineConfig.parse({
      ...raw,
      destinations: [
        ...raw.destinations,
        { name: 'hooks', kind: 'webhook', config: {}, decision: { point: 'crm.next-best-action', owner: 'crm-team', latencyBudget: '30s' } },
        { name: 'nats-out', kind: 'nats' },
      ],
    });
    expect(destinationOwnership(withWebhook)).toEqual([
      { destination: 'outbox', kind: 'file', point: 'onsite.personalized-offers', owner: 'growth-team', latencyBudget: '6h' },
      { destination: 'hooks', kind: 'webhook', point: 'crm.next-best-action', owner: 'crm-team', latencyBudget: '30s' },
      { destination: 'nats-out', kind: 'nats', point: null, owner: null, latencyBudget: null },
    ]);
    expect(destinationOwnership(cfg)).toHaveLength(1);
    expect(destinationOwnership(null)).toEqual([]);
  });
});

describe('ODCS export for a pipeline', () => {
  it('states the pipeline\'s freshness and cadence, not the contract\'s fixed 24 h', () => {
    const pipeline = { name: 'fast', cadence: '1h', freshness: { maxAgeHours: 6 }, destinations: [{ name: 'outbox', kind: 'file', decision: { point: 'onsite.hero', owner: 'growth-team', latencyBudget: '200ms' } }] };
    expect(activationRecordContract.freshness.maxAgeHours).toBe(24);
    const doc = YAML.parse(odcsYaml(contractToOdcs(activationRecordContract, { table: 'activation_record', pipeline }))) as Record<string, any>;
    expect(doc.slaProperties).toEqual([
      { property: 'freshness', value: 6, unit: 'hours', element: 'activation_record.metadata.scored_at' },
      { property: 'frequency', value: 'PT1H', element: 'activation_record.metadata.scored_at' },
    ]);
    expect(doc.description.limitations).toContain('scored_at + 6 h');
    const timeliness = (doc.schema[0].quality as { dimension?: string; query?: string; description: string }[]).find((q) => q.dimension === 'timeliness')!;
    expect(timeliness.description).toBe('expires_at is scored_at + 6 h.');
    expect(timeliness.query).toContain("interval '6 hours'");
    expect(doc.tags).toContain('pipeline:fast');
    // Without a pipeline, the contract's own promise.
    const plain = YAML.parse(odcsYaml(contractToOdcs(activationRecordContract, { table: 'activation_record' }))) as Record<string, any>;
    expect(plain.slaProperties[0]).toMatchObject({ property: 'freshness', value: 24 });
    expect(plain.customProperties.map((p: { property: string }) => p.property)).not.toContain('decisions');
  });

  it('carries every destination\'s owner, decision point and latency budget (team and custom property)', () => {
    const pipeline = {
      name: 'two',
      cadence: '15m',
      freshness: { maxAgeHours: 12 },
      destinations: [
        { name: 'outbox', kind: 'file', decision: { point: 'onsite.hero', owner: 'growth-team', latencyBudget: '6h' } },
        { name: 'target', kind: 'adobe-target-bulk', decision: { point: 'onsite.recs', owner: 'web-team', latencyBudget: '200ms' } },
        { name: 'hooks', kind: 'webhook' },
      ],
    };
    const doc = YAML.parse(odcsYaml(contractToOdcs(activationRecordContract, { pipeline }))) as Record<string, any>;
    expect(doc.team).toEqual([
      expect.objectContaining({ username: 'scoreflow-activation-team', role: 'owner' }),
      expect.objectContaining({ username: 'growth-team', role: 'decision-owner' }),
      expect.objectContaining({ username: 'web-team', role: 'decision-owner' }),
    ]);
    const decisions = doc.customProperties.find((p: { property: string }) => p.property === 'decisions').value;
    expect(decisions).toEqual([
      { destination: 'outbox', kind: 'file', point: 'onsite.hero', owner: 'growth-team', latencyBudget: '6h' },
      { destination: 'target', kind: 'adobe-target-bulk', point: 'onsite.recs', owner: 'web-team', latencyBudget: '200ms' },
      { destination: 'hooks', kind: 'webhook', point: null, owner: null, latencyBudget: null },
    ]);
    expect(doc.customProperties.find((p: { property: string }) => p.property === 'pipeline').value).toEqual({ name: 'two', cadence: '15m', freshnessMaxAgeHours: 12 });
  });

  it('exportContracts writes <contract>.<pipeline>.odcs.yaml from the demo pipeline file', async () => {
    const cfg = loadPipelineConfig(demoPath);
    const r = await exportContracts('odcs', out, ALL_CONTRACTS, cfg);
    expect(r.files).toEqual([join(out, 'activation_record.demo.odcs.yaml')]);
    const doc = YAML.parse(readFileSync(r.files[0]!, 'utf8')) as Record<string, any>;
    expect(doc.slaProperties[0]).toMatchObject({ property: 'freshness', value: cfg.freshness.maxAgeHours, unit: 'hours' });
    expect(doc.slaProperties[1]).toMatchObject({ property: 'frequency', value: 'PT15M' });
    expect(doc.customProperties.find((p: { property: string }) => p.property === 'decisions').value).toEqual([
      { destination: 'outbox', kind: 'file', point: 'onsite.personalized-offers', owner: 'growth-team', latencyBudget: '6h' },
    ]);
  });

  it('isoDuration writes pipeline durations as ISO 8601', () => {
    expect(isoDuration('15m')).toBe('PT15M');
    expect(isoDuration('1h')).toBe('PT1H');
    expect(isoDuration('90m')).toBe('PT1H30M');
    expect(isoDuration('7d')).toBe('P7D');
    expect(isoDuration('36h')).toBe('P1DT12H');
    expect(isoDuration('1500ms')).toBe('PT1.5S');
    expect(isoDuration('0s')).toBe('PT0S');
  });
});
