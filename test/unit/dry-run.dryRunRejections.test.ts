import { describe, expect, it } from 'vitest';
import { dryRunRejections } from '../../activities/destinations/dry-run.ts';
import type { StatefulDestination } from '../../activities/destinations/adapter-factory.ts';
import type { DeliveryRow } from '../../activities/destinations/adapter.ts';

const dest = (kind: StatefulDestination['kind'], config: Record<string, unknown> = {}) =>
  ({ name: `d-${kind}`, kind, config, mappingVersion: '1', filter: { requireEligible: true }, holdout: 'exclude_control' }) as StatefulDestination;
const row = (entityId: string, identifiers: Record<string, string>, payload: Record<string, unknown> = {}): DeliveryRow => ({ entityId, op: 'upsert', payload, digest: 'd', identifiers });
const HASH = 'a'.repeat(64);

describe('dryRunRejections', () => {
  it('Target: a value longer than 256 characters is refused under the default reject rule', () => {
    const rows = [row('1_1', { thirdPartyId: 'C1' }, { sf_segment: 'warm' }), row('1_2', { thirdPartyId: 'C2' }, { sf_segment: 'x'.repeat(300) })];
    const out = dryRunRejections(dest('adobe-target-bulk', { baseUrl: 'https://client.tt.omtrdc.net', client: 'client' }), rows);
    expect(out.map((r) => r.entityId)).toEqual(['1_2']);
    expect(out[0]!.reason).toMatch(/256/);
    // Under `truncate` the same row is sent.
    expect(dryRunRejections(dest('adobe-target-bulk', { baseUrl: 'https://client.tt.omtrdc.net', client: 'client', valueOverflow: 'truncate' }), rows)).toEqual([]);
  });

  it('Google and Meta: a row with nothing they can match on is refused; a hashed email is not', () => {
    const g = dryRunRejections(dest('google-customer-match'), [row('1_1', { emailAddress: HASH }), row('1_2', {})]);
    expect(g).toEqual([{ entityId: '1_2', reason: expect.stringMatching(/no identifier Google can match on/), retryable: false }]);
    const m = dryRunRejections(dest('meta-custom-audiences'), [row('1_1', { EMAIL: HASH }), row('1_2', {})]);
    expect(m).toEqual([{ entityId: '1_2', reason: expect.stringMatching(/no identifier Meta can match on/), retryable: false }]);
  });

  it('webhooks and NATS take any JSON payload', () => {
    expect(dryRunRejections(dest('webhook'), [row('1_1', {}, { a: 'x'.repeat(1000) })])).toEqual([]);
    expect(dryRunRejections(dest('nats-jetstream'), [row('1_1', {}, { a: 1 })])).toEqual([]);
  });
});
