import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../contracts/gate-config.ts';
import { destinationDryRunGates } from '../../activities/gates/destination-dry-run.ts';

const t = GateConfig.parse({}).destinationDryRun;

describe('destinationDryRunGates', () => {
  it('fails a destination whose dry run refused more than 1% of rows, naming the top reasons', () => {
    const [r] = destinationDryRunGates([{ destination: 'meta', rows: 1000, invalid: 50, reasons: { missing_email_hash: 40, bad_country: 10 } }], t);
    expect(r).toMatchObject({ gate: 'destinationDryRun', subject: 'meta', status: 'fail', value: 0.05 });
    expect(r!.detail).toContain('50 of 1000; missing_email_hash 40, bad_country 10');
  });
  it('passes a clean dry run and warns on a few refusals', () => {
    const results = destinationDryRunGates([{ destination: 'outbox', rows: 1000, invalid: 0 }, { destination: 'target', rows: 1000, invalid: 5 }], t);
    expect(results.map((r) => r.status)).toEqual(['pass', 'warn']);
  });
});
