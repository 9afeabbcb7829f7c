/**
 * `scoreflow trace --customer ID`: finds the customer's entities through the identity the canonical
 * records carry (record.identity.customer_id), and prints their history with the customer and every
 * visitor key named by a short sha256 only: never the raw ids, on stdout, stderr or in errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { closePools, getPool } from '../../activities/store/db.ts';
import { runCli } from '../helpers/run-cli.ts';

const tag = randomBytes(4).toString('hex');
const customerId = `CUST-${tag}-4711`;
const otherCustomer = `CUST-${tag}-0815`;
const n = () => String(BigInt(`0x${randomBytes(6).toString('hex')}`));
const entities = [`${n()}_${n()}`, `${n()}_${n()}`];
const stranger = `${n()}_${n()}`;
const runs = [`trace-${tag}.run.1`, `trace-${tag}.run.2`];
const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

async function record(runId: string, entityId: string, customer: string, score: number, at: string) {
  await getPool().query(
    `INSERT INTO activation_record (run_id, entity_id, pipeline, model_version, score, segment, eligible, holdout_arm, expires_at, contract_version, record, published_at)
     VALUES ($1, $2, 'trace-demo', '1.0.0', $3, 'warm', true, 'treatment', $4::timestamptz + interval '24 hours', '1.0.0', $5, $4)`,
    [runId, entityId, score, at, JSON.stringify({ entity_id: entityId, identity: { visitor_id: entityId, customer_id: customer } })],
  );
}

beforeAll(async () => {
  const pool = getPool();
  for (const r of runs) await pool.query(`INSERT INTO activation_run (run_id, pipeline, status, stage) VALUES ($1, 'trace-demo', 'COMPLETED', 'done')`, [r]);
  // The customer was seen on two browsers (two visitor keys), across two runs.
  await record(runs[0]!, entities[0]!, customerId, 0.61, '2026-03-01T10:00:00Z');
  await record(runs[1]!, entities[0]!, customerId, 0.72, '2026-03-02T10:00:00Z');
  await record(runs[1]!, entities[1]!, customerId, 0.33, '2026-03-02T10:00:00Z');
  await record(runs[1]!, stranger, otherCustomer, 0.9, '2026-03-02T10:00:00Z');
  await pool.query(
    `INSERT INTO ledger_event (run_id, entity_id, destination, stage, detail) VALUES
       ($1, $2, '', 'generated', '{}'), ($1, $2, 'outbox', 'delivered', $4), ($3, $2, 'outbox', 'suppressed', '{"reason":"holdout_control"}')`,
    [runs[0], entities[0], runs[1], JSON.stringify({ reason: 'sent', entity_id: entities[0], customerId, file: 'outbox.csv' })],
  );
});

afterAll(async () => {
  await closePools();
});

describe('scoreflow trace --customer', () => {
  it("lists the customer's entities, records and deliveries, naming every identifier by its hash only", async () => {
    const res = await runCli(['trace', '--customer', customerId, '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json.customer).toBe(h(customerId));
    const ents = res.json.entities as { entity: string; records: { run_id: string; score: number }[]; ledger: { stage: string; detail: Record<string, unknown> }[] }[];
    expect(ents.map((e) => e.entity)).toEqual([h(entities[0]!), h(entities[1]!)]);
    expect(ents[0]!.records.map((r) => [r.run_id, r.score])).toEqual([
      [runs[0], 0.61],
      [runs[1], 0.72],
    ]);
    expect(ents[0]!.ledger.map((l) => l.stage)).toEqual(['generated', 'delivered', 'suppressed']);
    // Identifier fields of a ledger detail are dropped; the rest is kept.
    expect(ents[0]!.ledger[1]!.detail).toEqual({ reason: 'sent', file: 'outbox.csv' });
    expect(ents[1]!.records).toHaveLength(1);
    const all = res.stdout + res.stderr;
    for (const raw of [customerId, ...entities, stranger, otherCustomer]) expect(all).not.toContain(raw);
    expect(all).not.toContain(h(stranger));
  });

  it('prints the same history for people, reading the id from stdin, without raw ids', async () => {
    const res = await runCli(['trace', '--customer', '-'], { input: `${customerId}\n` });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^customer sha256:${h(customerId)}: 2 entities$`, 'm'));
    expect(res.stdout).toMatch(new RegExp(`^  entity sha256:${h(entities[0]!)}$`, 'm'));
    expect(res.stdout).toMatch(new RegExp(`^    ${runs[1]!.replace(/\./g, '\\.')}: trace-demo model 1\\.0\\.0 score 0\\.7200 segment warm eligible true arm treatment$`, 'm'));
    for (const raw of [customerId, ...entities]) expect(res.stdout + res.stderr).not.toContain(raw);
  });

  it('an unknown customer is an error naming its hash, not the id; --entity and --customer together are a usage error', async () => {
    const unknown = `CUST-${tag}-nobody`;
    const res = await runCli(['trace', '--customer', unknown, '--json']);
    expect(res.code).not.toBe(0);
    expect(res.json.message).toContain(`no records for customer sha256:${h(unknown)}`);
    expect(res.stdout + res.stderr).not.toContain(unknown);
    const both = await runCli(['trace', '--customer', customerId, '--entity', entities[0]!, '--json']);
    expect(both.code).toBe(2);
    expect(both.json.message).toBe('trace needs exactly one of --entity <visitor key> or --customer <customer id>.');
    const none = await runCli(['trace', '--json']);
    expect(none.code).toBe(2);
  });

  it('--entity still traces one visitor key', async () => {
    const res = await runCli(['trace', '--entity', entities[1]!, '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json.records).toHaveLength(1);
  });
});
