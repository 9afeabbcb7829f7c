import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPool } from '../../activities/store/db.ts';
import { loadCrmCandidates, resolveIdentities } from '../../activities/identity/resolve.ts';
import { sha256Hex } from '../../activities/identity/normalize.ts';

const tag = randomUUID().slice(0, 8);
const id = (n: string) => `h4a-${tag}-${n}`;
const rows: [string, string | null, string | null, string | null, string | null, string | null, string | null][] = [
  [id('A'), `Jane.Doe.${tag}@gmail.com`, '(415) 555-0101', 'Jane', 'Doe', 'US', '94107'],
  // Not in the batch, but the same gmail address under Google's rules: makes A's email ambiguous for Google.
  [id('B'), `janedoe${tag}+news@GMAIL.com`, null, null, null, 'US', null],
  [id('C'), `c-${tag}@example.com`, null, null, null, 'US', null],
  // Not in the batch: same phone as C in another spelling.
  [id('D'), null, `+1 415 555 ${tag.replace(/\D/g, '0').slice(0, 4)}`, null, null, 'US', null],
  [id('E'), null, `415-555-${tag.replace(/\D/g, '0').slice(0, 4)}`, null, null, 'US', null],
];

beforeAll(async () => {
  for (const r of rows) {
    await getPool().query('INSERT INTO crm_customer (customer_id, email, phone, first_name, last_name, country, zip) VALUES ($1,$2,$3,$4,$5,$6,$7)', r);
  }
});
afterAll(async () => {
  await getPool().query('DELETE FROM crm_customer WHERE customer_id LIKE $1', [`h4a-${tag}-%`]);
});

const NS_A = `brand-a-${tag}`;
const NS_B = `brand-b-${tag}`;

const record = (entity: string, customer: string | null) => ({ entity_id: entity, identity: { customer_id: customer } });

describe('resolveIdentities', () => {
  it('fetches the batch customers and every customer that may share an email or phone with them', async () => {
    const got = (await loadCrmCandidates([id('A'), id('E')])).map((c) => c.customer_id);
    expect(got).toEqual(expect.arrayContaining([id('A'), id('B'), id('D'), id('E')]));
    expect(got).not.toContain(id('C'));
  });

  it('Google: drops identifiers another customer shares, keeps the rest, counts everything', async () => {
    const r = await resolveIdentities({ records: [record('7_1', id('A')), record('7_2', id('C')), record('7_3', id('E')), record('7_4', null)], destinationKind: 'google-customer-match' });
    expect(r.resolved.map((e) => e.entityId)).toEqual(['7_1', '7_2']);
    const a = r.resolved[0]!.identifiers;
    expect(a.emailAddress).toBeUndefined(); // shared with B once gmail dots and +tag are dropped
    expect(a.phoneNumber).toBe(sha256Hex('+14155550101'));
    expect(a.regionCode).toBe('US');
    expect(r.resolved[1]!.identifiers).toEqual({ emailAddress: sha256Hex(`c-${tag}@example.com`) });
    expect(r.counts).toMatchObject({ total: 4, matched: 2, ambiguous: 1, unmatched: 1, ambiguousIdentifiers: { email: 1, phone: 1 } });
    expect(r.excluded).toEqual([
      { entityId: '7_3', status: 'ambiguous', reason: 'identifiers_shared_by_customers' },
      { entityId: '7_4', status: 'unmatched', reason: 'no_customer_id' },
    ]);
    expect(r.matchRate).toBe(0.5);
  });

  it('Meta: gmail dots are significant, so A keeps its email', async () => {
    const r = await resolveIdentities({ records: [record('7_1', id('A'))], destinationKind: 'meta-custom-audiences' });
    expect(r.resolved[0]?.identifiers.EMAIL).toBe(sha256Hex(`jane.doe.${tag}@gmail.com`));
    expect(r.counts.ambiguousIdentifiers).toEqual({ email: 0, phone: 0 });
  });

  it('Target: needs no CRM row; a customer id shared by two visitors is never sent', async () => {
    const r = await resolveIdentities({ records: [record('8_1', 'X1'), record('8_2', 'X2'), record('8_3', 'X2')], destinationKind: 'adobe-target-bulk' });
    expect(r.resolved).toEqual([{ entityId: '8_1', customerId: 'X1', identifiers: { thirdPartyId: 'X1' } }]);
    expect(r.counts).toMatchObject({ matched: 1, ambiguous: 2, ambiguousBy: { customer_id_shared_by_visitors: 2 } });
  });

  it('refuses a destination kind that takes no identifiers', async () => {
    await expect(resolveIdentities({ records: [], destinationKind: 'webhook' })).rejects.toThrow(/takes no customer identifiers/);
  });

  it('reads only the pipeline\'s CRM namespace: one customer id, two extracts, two different people', async () => {
    const { loadIdentitySourcesActivity } = await import('../../activities/run/identity-sources.ts');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const extract = (email: string, phone: string, emailOfM: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'scoreflow-crm-ns-'));
      writeFileSync(join(dir, 'crm.csv'), `customer_id,email,phone,first_name,last_name,country,zip\n${id('N')},${email},${phone},Ann,Lee,US,94107\n${id('M')},${emailOfM},,Bo,Ray,US,94107\n`);
      return dir;
    };
    const shared = `shared-${tag}@example.com`;
    await loadIdentitySourcesActivity({ dir: extract(`ann-a-${tag}@example.com`, '', `bo-a-${tag}@example.com`), crmExtract: 'crm.csv', crmNamespace: NS_A });
    await loadIdentitySourcesActivity({ dir: extract(shared, '+1 415 555 0199', shared.toUpperCase()), crmExtract: 'crm.csv', crmNamespace: NS_B });
    // Loading B again (a second cycle) changes nothing in A.
    await loadIdentitySourcesActivity({ dir: extract(shared, '+1 415 555 0199', shared.toUpperCase()), crmExtract: 'crm.csv', crmNamespace: NS_B });
    const { rows } = await getPool().query<{ namespace: string; n: number }>('SELECT namespace, count(*)::int AS n FROM crm_customer WHERE customer_id LIKE $1 AND namespace = ANY($2) GROUP BY namespace ORDER BY namespace', [`h4a-${tag}-%`, [NS_A, NS_B]]);
    expect(rows).toEqual([{ namespace: NS_A, n: 2 }, { namespace: NS_B, n: 2 }]);

    const a = await resolveIdentities({ records: [record('9_1', id('N'))], destinationKind: 'meta-custom-audiences', crmNamespace: NS_A });
    const b = await resolveIdentities({ records: [record('9_1', id('N'))], destinationKind: 'meta-custom-audiences', crmNamespace: NS_B });
    expect(a.resolved[0]?.identifiers.EMAIL).toBe(sha256Hex(`ann-a-${tag}@example.com`));
    // In A, N and M have different emails; in B they share one, so the email is ambiguous there only.
    expect(a.counts.ambiguousIdentifiers).toEqual({ email: 0, phone: 0 });
    expect(b.resolved[0]?.identifiers.EMAIL).toBeUndefined();
    expect(b.resolved[0]?.identifiers.PHONE).toMatch(/^[0-9a-f]{64}$/); // B's N is still matched, by phone
    expect(b.counts.ambiguousIdentifiers).toMatchObject({ email: 1 });
    // The shared master (no namespace) holds neither extract's N.
    const none = await resolveIdentities({ records: [record('9_1', id('N'))], destinationKind: 'meta-custom-audiences' });
    expect(none.resolved).toEqual([]);
    expect(none.excluded).toEqual([{ entityId: '9_1', status: 'unmatched', reason: 'customer_not_in_crm' }]);
  });
});
