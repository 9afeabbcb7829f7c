import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getPool } from '../../activities/store/db.ts';
import { activationDriftActivity } from '../../activities/gates/activation-drift-activity.ts';
import type { SlackBody } from '../../activities/observability/send-alert.ts';
import { uniqueId } from '../helpers/gate-fixtures.ts';
import { writeTestPipeline } from '../helpers/pipeline.ts';

/** A Slack-compatible alert receiver: keeps every body it is sent. */
const alerts: SlackBody[] = [];
let receiver: Server;
let previousWebhook: string | undefined;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as SlackBody);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  previousWebhook = process.env.SCOREFLOW_ALERT_WEBHOOK_URL;
  process.env.SCOREFLOW_ALERT_WEBHOOK_URL = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alert`;
});

afterAll(async () => {
  if (previousWebhook === undefined) delete process.env.SCOREFLOW_ALERT_WEBHOOK_URL;
  else process.env.SCOREFLOW_ALERT_WEBHOOK_URL = previousWebhook;
  await new Promise<void>((r) => receiver.close(() => r()));
});

interface Receipt {
  matchRate: number | null;
  acceptanceRate: number | null;
  rejections: Record<string, number>;
}

function receipt(matchRate: number | null, acceptanceRate: number | null, rejections: Record<string, number> = {}): Receipt & Record<string, unknown> {
  const sent = 1000;
  const rejected = Object.values(rejections).reduce((a, n) => a + n, 0);
  return { matchRate, acceptanceRate, rejections, sent, accepted: sent - rejected, rejected, unmatched: 0, ambiguous: 0 };
}

async function seedRun(runId: string, pipeline: string, startedAt: string, exports: { destination: string; kind: string; receipt: unknown }[]): Promise<void> {
  const pool = getPool();
  await pool.query(`INSERT INTO activation_run (run_id, pipeline, status, stage, started_at) VALUES ($1, $2, 'COMPLETED', 'done', $3)`, [runId, pipeline, startedAt]);
  for (const e of exports) {
    await pool.query(
      `INSERT INTO destination_export (run_id, destination, kind, mapping_version, rows, receipt) VALUES ($1, $2, $3, '1', 1000, $4)`,
      [runId, e.destination, e.kind, JSON.stringify(e.receipt)],
    );
  }
}

async function storedDrift(runId: string) {
  const { rows } = await getPool().query<{ gate: string; subject: string; status: string; value: number | null; detail: string }>(
    `SELECT gate, subject, status, value, detail FROM gate_result WHERE run_id = $1 ORDER BY gate, subject`,
    [runId],
  );
  return rows;
}

const day = (d: number) => `2026-03-${String(d).padStart(2, '0')}T06:00:00Z`;

describe('activationDriftActivity', () => {
  it('alerts when a destination’s match and acceptance rates drop against the trailing runs, names the rising rejection reason, and stores the results idempotently', async () => {
    const p = writeTestPipeline({ gates: { driftWindow: 3 } });
    const other = writeTestPipeline();
    const google = 'google-audience';
    const meta = 'meta-audience';
    // Outside the window of 3: would pull the trailing match rate down to 0.65 (a mere warn) if counted.
    await seedRun(uniqueId('old'), p.name, day(1), [{ destination: google, kind: 'google-customer-match', receipt: receipt(0.2, 0.98, { INVALID_EMAIL: 20 }) }]);
    const trailing: [number, number][] = [
      [0.8, 0.98],
      [0.82, 0.97],
      [0.78, 0.99],
    ];
    for (const [i, [match, accept]] of trailing.entries()) {
      await seedRun(uniqueId('prev'), p.name, day(5 + i), [
        { destination: google, kind: 'google-customer-match', receipt: receipt(match, accept, { INVALID_EMAIL: 20 }) },
        { destination: meta, kind: 'meta-custom-audiences', receipt: receipt(0.6, 0.95, { INVALID_PHONE: 50 }) },
      ]);
    }
    // Another pipeline's run and a later run of this one must not enter the trailing average.
    await seedRun(uniqueId('other'), other.name, day(9), [{ destination: google, kind: 'google-customer-match', receipt: receipt(0.01, 0.01) }]);
    const current = uniqueId('cur');
    await seedRun(current, p.name, day(10), [
      { destination: google, kind: 'google-customer-match', receipt: receipt(0.5, 0.7, { INVALID_EMAIL: 10, AUDIENCE_SIZE_LIMIT: 290 }) },
      { destination: meta, kind: 'meta-custom-audiences', receipt: receipt(0.61, 0.95, { INVALID_PHONE: 48 }) },
      { destination: 'outbox', kind: 'file', receipt: { rows: 1000, files: [] } },
    ]);
    await seedRun(uniqueId('later'), p.name, day(11), [{ destination: google, kind: 'google-customer-match', receipt: receipt(0.05, 0.05) }]);

    // Rows the drift activity must leave alone (another gate) or clean up (a drift result it no longer produces).
    await getPool().query(
      `INSERT INTO gate_result (run_id, gate, subject, status, value, warn_at, fail_at, detail) VALUES
         ($1, 'scorePsi', 'score', 'pass', 0.01, 0.1, 0.25, 'PSI ok'),
         ($1, 'matchRateDecline', 'retired-destination', 'fail', 0.9, 0.1, 0.25, 'stale')`,
      [current],
    );
    await getPool().query(
      `INSERT INTO gate_evaluation (run_id, pipeline, snapshot_id, status, measurements) VALUES ($1, $2, 'snap', 'pass', '{"scores": {"n": 1000}}')`,
      [current, p.name],
    );

    const alertsBefore = alerts.length;
    const out = await activationDriftActivity({ runId: current, pipelinePath: p.path });
    expect(out.alert).toBe(true);
    const by = (gate: string, subject: string) => out.results.find((r) => r.gate === gate && r.subject === subject)!;

    const match = by('matchRateDecline', google);
    expect(match.status).toBe('fail');
    expect(match.value!).toBeCloseTo((0.8 - 0.5) / 0.8, 10); // window 3: 0.80, 0.82, 0.78
    expect(match.detail).toContain('trailing average of 3 runs');
    const accept = by('acceptanceDecline', google);
    expect(accept.status).toBe('fail');
    expect(accept.value!).toBeCloseTo((0.98 - 0.7) / 0.98, 10);
    expect(accept.detail).toContain('Rejections now led by "AUDIENCE_SIZE_LIMIT" (290 rows');

    expect(by('matchRateDecline', meta).status).toBe('pass');
    expect(by('acceptanceDecline', meta).status).toBe('pass');
    expect(out.results.filter((r) => r.subject === 'outbox')).toEqual([]);
    expect(out.results).toHaveLength(4);

    // One alert, naming the destination, the drop and the reason; not the stable destination.
    expect(alerts.length - alertsBefore).toBe(1);
    const alert = alerts[alerts.length - 1]!;
    expect(alert.text).toContain(`Scoreflow run ${current}: activation drift (fail) on ${google}.`);
    expect(alert.text).toContain('AUDIENCE_SIZE_LIMIT');
    expect(alert.text).not.toContain(meta);
    expect(JSON.stringify(alert.blocks)).toContain('activation_drift');

    const stored = await storedDrift(current);
    const expected = [...out.results.map((r) => ({ gate: r.gate, subject: r.subject, status: r.status, value: r.value, detail: r.detail })), { gate: 'scorePsi', subject: 'score', status: 'pass', value: 0.01, detail: 'PSI ok' }];
    const order = <T extends { gate: string; subject: string }>(xs: T[]) => [...xs].sort((a, b) => `${a.gate}/${a.subject}`.localeCompare(`${b.gate}/${b.subject}`));
    expect(order(stored)).toEqual(order(expected));

    const ev = await getPool().query<{ measurements: { scores: unknown; activationDrift: Record<string, { current: { matchRate: number }; trailing: { runId: string }[] }> } }>(
      'SELECT measurements FROM gate_evaluation WHERE run_id = $1',
      [current],
    );
    const m = ev.rows[0]!.measurements;
    expect(m.scores).toEqual({ n: 1000 });
    expect(m.activationDrift[google]!.current.matchRate).toBe(0.5);
    expect(m.activationDrift[google]!.trailing).toHaveLength(3);

    // Twice: the same results and rows.
    const again = await activationDriftActivity({ runId: current, pipelinePath: p.path });
    expect(again.results).toEqual(out.results);
    expect(order(await storedDrift(current))).toEqual(order(stored));
  });

  it('does not alert on stable rates, nor on a destination’s first run', async () => {
    const p = writeTestPipeline();
    const dest = 'target-profiles';
    for (const [i, rate] of [0.9, 0.92, 0.91, 0.9, 0.89].entries()) {
      await seedRun(uniqueId('prev'), p.name, day(1 + i), [{ destination: dest, kind: 'adobe-target-bulk', receipt: receipt(rate, 0.99, { INVALID_ID: 5 }) }]);
    }
    const current = uniqueId('cur');
    await seedRun(current, p.name, day(10), [
      { destination: dest, kind: 'adobe-target-bulk', receipt: receipt(0.88, 0.985, { INVALID_ID: 7 }) },
      { destination: 'new-hook', kind: 'webhook', receipt: receipt(null, 0.97) },
    ]);
    const alertsBefore = alerts.length;
    const out = await activationDriftActivity({ runId: current, pipelinePath: p.path });
    expect(out.alert).toBe(false);
    expect(out.results.map((r) => [r.gate, r.subject, r.status])).toEqual([
      ['acceptanceDecline', 'new-hook', 'pass'],
      ['matchRateDecline', dest, 'pass'],
      ['acceptanceDecline', dest, 'pass'],
    ]);
    const first = out.results.find((r) => r.subject === 'new-hook')!;
    expect(first.value).toBeNull();
    expect(first.detail).toMatch(/No earlier runs of new-hook/);
    const match = out.results.find((r) => r.gate === 'matchRateDecline')!;
    expect(match.value!).toBeCloseTo((0.904 - 0.88) / 0.904, 10); // default window of 5
    expect(alerts.length).toBe(alertsBefore);
    expect(await storedDrift(current)).toHaveLength(3);
  });
});
