import { describe, expect, it } from 'vitest';
import { runContractsCheck } from '../../activities/contracts/check.ts';
import { activationRecordContract, CanonicalRecord, Identity } from '../../contracts/canonical-record.ts';
import { reviseContract } from '../../contracts/contract.ts';
import { ALL_CONTRACTS } from '../../contracts/registry.ts';

describe('runContractsCheck', () => {
  it('prints a passing report for the repository contracts', async () => {
    let text = '';
    const r = await runContractsCheck({ write: (t) => (text += t) });
    expect(r.ok).toBe(true);
    expect(text).toContain('activation_record    1.0.0    released');
    expect(text).toContain('contracts check passed');
  });

  it('prints JSON with --json, failures included', async () => {
    let text = '';
    const broken = reviseContract(activationRecordContract, {
      version: '1.1.0', date: '2026-11-28', changes: ['drop customer_id'],
      schema: CanonicalRecord.extend({ identity: Identity.omit({ customer_id: true }) }),
    });
    const r = await runContractsCheck({ json: true, contracts: ALL_CONTRACTS.map((c) => (c.name === broken.name ? broken : c)), write: (t) => (text += t) });
    const parsed = JSON.parse(text) as { ok: boolean; failures: string[]; changes: { path: string }[]; changelog: string };
    expect(parsed.ok).toBe(false);
    expect(r.ok).toBe(false);
    expect(parsed.failures.some((f) => f.includes('google-customer-match') && f.includes('identity.customer_id'))).toBe(true);
    expect(parsed.changes.map((c) => c.path)).toEqual(['identity.customer_id']);
    expect(parsed.changelog).toContain('**BREAKING** `identity.customer_id`');
  });
});
