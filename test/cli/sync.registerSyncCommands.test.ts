import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalRecord } from '../../contracts/canonical-record.ts';
import { payloadFor } from '../../activities/destinations/desired-rows.ts';
import { rowDigest, syncStateKey } from '../../activities/destinations/sync-engine.ts';
import { ensureDatabase, getPool } from '../../activities/store/db.ts';
import { startWebhookReceiver, type RunningWebhookReceiver } from '../../tools/contract-servers/webhook-receiver.ts';
import { ALL_CONSENT, NO_CONSENT, entityId, record } from '../helpers/online.ts';
import { writeTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { runCli } from '../helpers/run-cli.ts';

const tag = randomBytes(3).toString('hex');
const SECRET_ENV = `SF_SYNC_CLI_SECRET_${tag.toUpperCase()}`;
const SECRET = `whsec_${Buffer.from(`sync-preview-cli-${tag}-secret`).toString('base64')}`;
const WEBHOOK = `offers-webhook-${tag}`;
const TARGET = `target-profiles-${tag}`;

let receiver: RunningWebhookReceiver;
let pipeline: TestPipeline;
const runOld = `sync-cli-${tag}.run-1`;
const runNew = `sync-cli-${tag}.run-2`;

// One entity per situation the plan distinguishes.
const e = {
  added: entityId(),
  control: entityId(),
  unconsented: entityId(),
  expired: entityId(),
  unchanged: entityId(),
  changed: entityId(),
  dropped: entityId(),
};
let records: Record<keyof typeof e, CanonicalRecord>;

async function publish(runId: string, pipelineName: string, recs: CanonicalRecord[], publishedAt: Date): Promise<void> {
  const pool = getPool();
  await pool.query(`INSERT INTO activation_run (run_id, pipeline, status, stage) VALUES ($1, $2, 'COMPLETED', 'done')`, [runId, pipelineName]);
  for (const r of recs) {
    await pool.query(
      `INSERT INTO activation_record (run_id, entity_id, pipeline, model_version, score, segment, eligible, holdout_arm, expires_at, contract_version, record, published_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [runId, r.entity_id, pipelineName, r.metadata.model_version, r.score.value, r.segments[0]!.id, r.eligibility.activation_eligible, r.measurement.holdout_arm, r.metadata.expires_at, r.metadata.contract_version, JSON.stringify(r), publishedAt],
    );
  }
}

/** A member the webhook destination already holds, with the payload it was given. */
async function member(id: string, payload: Record<string, unknown>): Promise<void> {
  await getPool().query(
    `INSERT INTO destination_sync_state (destination, entity_id, member, digest, model_version, expires_at, identifiers, payload, consented, last_run_id)
     VALUES ($1, $2, true, $3, '1.0.0', now() + interval '1 day', '{}'::jsonb, $4, true, 'an-earlier-run')`,
    [syncStateKey(pipeline.name, WEBHOOK), id, rowDigest(payload, {}), JSON.stringify(payload)],
  );
}

beforeAll(async () => {
  receiver = await startWebhookReceiver({ secret: SECRET });
  pipeline = writeTestPipeline(
    {
      destinations: [
        { name: 'outbox', kind: 'file', outbox: '/tmp/unused-outbox', formats: ['jsonl'], filter: { consentPurpose: 'personalization', requireEligible: true }, holdout: 'exclude_control' },
        {
          name: WEBHOOK,
          kind: 'webhook',
          filter: { consentPurpose: 'personalization', requireEligible: true },
          holdout: 'exclude_control',
          config: { url: receiver.url, secretEnv: SECRET_ENV, mode: 'per-row' },
        },
        {
          name: TARGET,
          kind: 'adobe-target-bulk',
          filter: { consentPurpose: 'personalization', requireEligible: true },
          holdout: 'exclude_control',
          config: { baseUrl: 'http://127.0.0.1:9/unused', client: 'synccli' },
        },
      ],
    },
    `sync-cli-${tag}`,
  );
  const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3_600_000).toISOString();
  let customers = 0;
  const rec = (id: string, o: Partial<Parameters<typeof record>[0]> = {}) =>
    record({ entityId: id, probability: 0.62, runId: runNew, customerId: `CSYNC${tag}${++customers}`, consent: ALL_CONSENT, scoredAt: at(0.1), ...o });
  records = {
    added: rec(e.added),
    control: rec(e.control, { arm: 'control' }),
    unconsented: rec(e.unconsented, { consent: NO_CONSENT }),
    expired: rec(e.expired, { scoredAt: at(30) }),
    unchanged: rec(e.unchanged),
    changed: rec(e.changed, { probability: 0.71 }),
    dropped: rec(e.dropped),
  };
  const { dropped, ...current } = records;
  // An older cycle, then the latest one (the default of --run).
  await publish(runOld, pipeline.name, [records.added], new Date(Date.now() - 3_600_000));
  await publish(runNew, pipeline.name, Object.values(current), new Date());
  // The destination already holds: `unchanged` exactly as this cycle wants it, `changed` with an older
  // payload, and `dropped`, which this cycle no longer qualifies.
  await member(e.unchanged, payloadFor('webhook', records.unchanged));
  await member(e.changed, payloadFor('webhook', rec(e.changed, { probability: 0.4 })));
  await member(e.dropped, payloadFor('webhook', dropped));
});

afterAll(async () => {
  await receiver.close();
});

describe('scoreflow sync preview', () => {
  it('prints the counts and, in send order, the exact payloads of the latest cycle, and sends nothing', async () => {
    const res = await runCli(['sync', 'preview', '--pipeline', pipeline.path, '--destination', WEBHOOK, '--limit', '0', '--json'], { env: { [SECRET_ENV]: SECRET } });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.json).toMatchObject({
      ok: true,
      pipeline: pipeline.name,
      runId: runNew,
      destination: WEBHOOK,
      kind: 'webhook',
      stored: false,
      identity: null,
      counts: { adds: 1, updates: 1, removes: 1, retries: 0, unchanged: 1, held: 1 },
      totalRows: 3,
      sent: 0,
    });
    // Removes go first, then adds and updates: the order the engine sends its chunks in.
    expect(res.json.rows).toEqual([
      { entityId: e.dropped, op: 'remove', reason: 'not_qualifying', payload: payloadFor('webhook', records.dropped), digest: rowDigest(payloadFor('webhook', records.dropped), {}), identifierKinds: [] },
      { entityId: e.added, op: 'upsert', reason: 'new', payload: payloadFor('webhook', records.added), digest: rowDigest(payloadFor('webhook', records.added), {}), identifierKinds: [] },
      { entityId: e.changed, op: 'upsert', reason: 'changed', payload: payloadFor('webhook', records.changed), digest: rowDigest(payloadFor('webhook', records.changed), {}), identifierKinds: [] },
    ]);

    // Nothing reached the endpoint, and nothing was written: no stored plan, no pinned mapping.
    expect(receiver.counts.requests).toBe(0);
    const pool = getPool();
    expect((await pool.query('SELECT 1 FROM destination_sync_plan_row WHERE destination = $1', [WEBHOOK])).rowCount).toBe(0);
    expect((await pool.query('SELECT 1 FROM destination_mapping WHERE destination = $1', [WEBHOOK])).rowCount).toBe(0);
    expect((await pool.query('SELECT 1 FROM destination_sync_chunk WHERE destination = $1', [WEBHOOK])).rowCount).toBe(0);
  });

  it('previews a named cycle, shows identifier kinds but never identifiers, and honours --limit', async () => {
    const res = await runCli(['sync', 'preview', '--pipeline', pipeline.path, '--destination', TARGET, '--run', runNew, '--limit', '1', '--json']);
    expect(res.code).toBe(0);
    // Target takes the treatment-arm, consented, unexpired records: added, unchanged and changed (new to it).
    expect(res.json).toMatchObject({ runId: runNew, kind: 'adobe-target-bulk', counts: { adds: 3, updates: 0, removes: 0, held: 1 }, totalRows: 3 });
    expect(res.json.identity).toMatchObject({ matched: 6, unmatched: 0, ambiguous: 0, matchRate: 1 });
    expect(res.json.rows).toHaveLength(1);
    expect(res.json.rows[0]).toMatchObject({ op: 'upsert', reason: 'new', identifierKinds: ['thirdPartyId'] });
    expect(res.json.rows[0].payload).toEqual(payloadFor('adobe-target-bulk', Object.values(records).find((r) => r.entity_id === res.json.rows[0].entityId)!));
    for (const r of Object.values(records)) expect(res.stdout).not.toContain(r.identity.customer_id!);

    const old = await runCli(['sync', 'preview', '--pipeline', pipeline.path, '--destination', TARGET, '--run', runOld, '--json']);
    expect(old.json).toMatchObject({ runId: runOld, counts: { adds: 1 }, totalRows: 1 });
  });

  it('prints a readable preview without --json', async () => {
    const res = await runCli(['sync', 'preview', '--pipeline', pipeline.path, '--destination', WEBHOOK, '--limit', '2'], { env: { [SECRET_ENV]: SECRET } });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`sync preview of run ${runNew} to ${WEBHOOK} (webhook), pipeline ${pipeline.name}`);
    expect(res.stdout).toContain('adds 1, updates 1, removes 1, retries 0; unchanged 1, held 1');
    expect(res.stdout).toContain('rows in send order (first 2 of 3; --limit 0 shows all):');
    expect(res.stdout).toMatch(new RegExp(`remove +${e.dropped} +not_qualifying +ids: - +payload: \\{"expires_at":`));
    expect(res.stdout).toContain('nothing was sent');
    expect(receiver.counts.requests).toBe(0);
  });

  it('refuses an unknown destination, listing the valid ones, with exit 2 (usage)', async () => {
    const res = await runCli(['sync', 'preview', '--pipeline', pipeline.path, '--destination', 'google-audience', '--json']);
    expect(res.code).toBe(2);
    expect(res.json).toEqual({
      ok: false,
      error: 'UsageError',
      message: `--destination "google-audience": pipeline ${pipeline.name} has no such destination; valid destinations: ${WEBHOOK}, ${TARGET}.`,
    });
    expect(res.stderr).toContain(`valid destinations: ${WEBHOOK}, ${TARGET}`);
  });

  it('refuses a file destination, an unknown cycle and a bad --limit, saying what to pass instead', async () => {
    const file = await runCli(['sync', 'preview', '--pipeline', pipeline.path, '--destination', 'outbox', '--json']);
    expect(file.code).toBe(2);
    expect(file.json.message).toBe(`--destination "outbox" is a file export, which keeps no sync state (each run writes its files whole), so there is nothing to preview; valid destinations: ${WEBHOOK}, ${TARGET}.`);

    const run = await runCli(['sync', 'preview', '--pipeline', pipeline.path, '--destination', WEBHOOK, '--run', 'no-such-run', '--json']);
    expect(run.code).toBe(2);
    expect(run.json.message).toMatch(/^--run "no-such-run": no published records for that cycle; pass the cycle id of a published run/);

    const limit = await runCli(['sync', 'preview', '--pipeline', pipeline.path, '--destination', WEBHOOK, '--limit', 'all', '--json']);
    expect(limit.code).toBe(2);
    expect(limit.json.message).toBe('--limit "all": expected a whole number, e.g. --limit 1.');
    expect(receiver.counts.requests).toBe(0);
  });

  it('only reads: against a database without Scoreflow tables it says to run setup, and migrates nothing', async () => {
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/scoreflow_sync_cli_empty_${tag}`;
    await ensureDatabase(url.toString());
    try {
      const res = await runCli(['sync', 'preview', '--pipeline', pipeline.path, '--destination', WEBHOOK, '--json'], { env: { DATABASE_URL: url.toString() } });
      expect(res.code).toBe(1);
      expect(res.json.message).toBe(`database scoreflow_sync_cli_empty_${tag} holds no Scoreflow tables; run "scoreflow setup" (or point DATABASE_URL at the pipeline's database).`);
      const tables = await getPool(url.toString()).query("SELECT 1 FROM information_schema.tables WHERE table_schema = 'public'");
      expect(tables.rowCount).toBe(0);
    } finally {
      await getPool(url.toString()).end();
      await getPool().query(`DROP DATABASE IF EXISTS "scoreflow_sync_cli_empty_${tag}" WITH (FORCE)`);
    }
  });
});
