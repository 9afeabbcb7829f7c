/**
 * Lookalike seed and suppression audiences: the pipeline file's `audience:` block is validated with
 * clear errors (kinds, exactly one seed size, `no-consent` refused), the seed is the top-value
 * qualifying members, and a Meta value-based seed request carries LOOKALIKE_VALUE last in the schema.
 * Pure: no I/O.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PipelineConfig, audienceProblems, type DestinationAudience } from '../../contracts/pipeline-config.ts';
import { MetaUsersRequest } from '../../contracts/meta-custom-audiences.ts';
import { selectSeed, seedValue } from '../../activities/destinations/audience-selection.ts';
import { buildMetaUsersRequest } from '../../activities/destinations/meta-custom-audiences.ts';
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import type { DeliveryRow } from '../../activities/destinations/adapter.ts';

const demo = parse(readFileSync(join(import.meta.dirname, '..', '..', 'pipelines', 'demo.yaml'), 'utf8')) as Record<string, unknown>;
const meta = { name: 'meta-seed', kind: 'meta-custom-audiences', config: {} };

function withDest(d: Record<string, unknown>) {
  return PipelineConfig.safeParse({ ...demo, destinations: [d] });
}

describe('audience: in the pipeline file', () => {
  it('accepts a lookalike seed and a suppression list for Google and Meta', () => {
    const seed = withDest({ ...meta, audience: { purpose: 'lookalike-seed', topFraction: 0.1 } });
    expect(seed.success, JSON.stringify(seed.error?.issues)).toBe(true);
    const d = seed.data!.destinations[0] as { audience?: DestinationAudience };
    expect(d.audience).toEqual({ purpose: 'lookalike-seed', valueColumn: 'score', topFraction: 0.1 });
    const sup = withDest({ ...meta, kind: 'google-customer-match', audience: { purpose: 'suppression', include: ['purchasers', 'holdout'] } });
    expect(sup.success).toBe(true);
    expect((sup.data!.destinations[0] as { audience?: DestinationAudience }).audience).toEqual({ purpose: 'suppression', include: ['purchasers', 'holdout'], purchasedWithin: '30d' });
  });

  it('refuses what the platforms or the consent rule do not allow, naming the key and the reason', () => {
    const issues = (d: Record<string, unknown>) => withDest(d).error?.issues.map((i) => [i.path.join('.'), i.message]) ?? [];
    expect(issues({ ...meta, kind: 'webhook', audience: { purpose: 'suppression', include: ['holdout'] } })).toEqual([
      ['destinations.0.audience', expect.stringMatching(/^kind webhook takes no audience; lookalike-seed and suppression audiences are for google-customer-match and meta-custom-audiences/)],
    ]);
    expect(issues({ ...meta, audience: { purpose: 'lookalike-seed' } })).toEqual([['destinations.0.audience', expect.stringMatching(/exactly one of topN .* or topFraction/)]]);
    expect(issues({ ...meta, audience: { purpose: 'lookalike-seed', topN: 10, topFraction: 0.5 } })).toHaveLength(1);
    expect(issues({ ...meta, audience: { purpose: 'suppression', include: ['holdout', 'no-consent'] } })).toEqual([
      ['destinations.0.audience.include', expect.stringMatching(/^no-consent is refused: members without advertising consent are never sent to an ad platform/)],
    ]);
    expect(issues({ ...meta, audience: { purpose: 'suppression', include: [] } })[0]![0]).toBe('destinations.0.audience.include');
    expect(issues({ ...meta, audience: { purpose: 'lookalike', topN: 3 } })[0]![0]).toBe('destinations.0.audience.purpose');
    expect(audienceProblems({ kind: 'meta-custom-audiences' })).toEqual([]);
  });
});

function rec(id: string, score: number, o: { consent?: boolean; eligible?: boolean; control?: boolean } = {}) {
  const consent = o.consent ?? true;
  return {
    entity_id: id,
    score,
    record: {
      compliance: { consent: { advertising: consent }, consent_source: 'cmp_file', channels: { paid_media: consent } },
      eligibility: { activation_eligible: o.eligible ?? true, reasons: [] },
      segments: [{ id: 'warm' }],
      measurement: { holdout_arm: o.control ? 'control' : 'treatment', experiment_key: 'x' },
      metadata: { scored_at: '2026-04-07T00:00:00.000Z', expires_at: '2026-04-08T00:00:00.000Z' },
    } as unknown as CanonicalRecord,
  };
}

describe('selectSeed', () => {
  const dest = { filter: { consentPurpose: 'advertising' as const, requireEligible: true }, holdout: 'exclude_control' as const };
  const rows = [
    rec('1_1', 0.9, { consent: false }),
    rec('1_2', 0.8),
    rec('1_3', 0.8),
    rec('1_4', 0.95, { control: true }),
    rec('1_5', 0.7, { eligible: false }),
    rec('1_6', 0.5),
    rec('1_7', 0.1),
  ];
  it('takes the top-value qualifying members (ties by entity id), never an unconsented, control or ineligible one', () => {
    const topN = (n: number) => [...selectSeed(rows, dest, { purpose: 'lookalike-seed', valueColumn: 'score', topN: n }, 'paid_media')];
    expect(topN(1)).toEqual(['1_2']);
    expect(topN(3)).toEqual(['1_2', '1_3', '1_6']);
    expect(topN(100)).toEqual(['1_2', '1_3', '1_6', '1_7']);
    // 4 qualify: a quarter is 1, a third rounds up to 2.
    expect([...selectSeed(rows, dest, { purpose: 'lookalike-seed', valueColumn: 'score', topFraction: 0.25 }, 'paid_media')]).toEqual(['1_2']);
    expect([...selectSeed(rows, dest, { purpose: 'lookalike-seed', valueColumn: 'score', topFraction: 1 / 3 }, 'paid_media')]).toEqual(['1_2', '1_3']);
  });

  it('sends the score, rounded to 6 decimals, as the value', () => {
    expect(seedValue({ purpose: 'lookalike-seed', valueColumn: 'score', topN: 1 }, { score: { value: 0.123456789 } } as CanonicalRecord)).toBe(0.123457);
  });
});

describe('buildMetaUsersRequest with a lookalike value', () => {
  const h = (c: string) => c.repeat(64);
  const row = (id: string, identifiers: Record<string, string>, value?: number): DeliveryRow => ({
    entityId: id,
    op: 'upsert',
    payload: value === undefined ? {} : { lookalike_value: value },
    digest: 'd',
    identifiers,
  });

  it('ends the schema with LOOKALIKE_VALUE and sends each row\'s value as a number', () => {
    const built = buildMetaUsersRequest([row('1_1', { EMAIL: h('a') }, 0.5), row('1_2', { EMAIL: h('b'), PHONE: h('c') }, 0)], 'k');
    expect(built.body!.payload).toEqual({ schema: ['EMAIL', 'PHONE', 'LOOKALIKE_VALUE'], data: [[h('a'), '', 0.5], [h('b'), h('c'), 0]] });
    expect(MetaUsersRequest.safeParse(built.body).success).toBe(true);
    expect(built.sent).toEqual(['1_1', '1_2']);
  });

  it('rejects a seed row without a value instead of sending it without one; a plain audience has no value column', () => {
    const built = buildMetaUsersRequest([row('1_1', { EMAIL: h('a') }, 0.5), row('1_2', { EMAIL: h('b') })], 'k');
    expect(built.sent).toEqual(['1_1']);
    expect(built.rejected).toEqual([{ entityId: '1_2', reason: expect.stringMatching(/no LOOKALIKE_VALUE/), retryable: false }]);
    expect(buildMetaUsersRequest([row('1_1', { EMAIL: h('a') })], 'k').body!.payload.schema).toEqual(['EMAIL']);
  });

  it('the contract refuses a negative or textual value and a row with only a value', () => {
    const body = (data: (string | number)[][]) => ({ payload: { schema: ['EMAIL', 'LOOKALIKE_VALUE'], data }, session: { session_id: 1, batch_seq: 1, last_batch_flag: true } });
    expect(MetaUsersRequest.safeParse(body([[h('a'), -1]])).success).toBe(false);
    expect(MetaUsersRequest.safeParse(body([[h('a'), '1']])).success).toBe(false);
    expect(MetaUsersRequest.safeParse(body([['', 1]])).success).toBe(false);
  });
});
