import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getPool } from '../../activities/store/db.ts';
import { runGatesActivity } from '../../activities/gates/gate-activity.ts';
import { writeRunReportActivity } from '../../activities/report/write-run-report.ts';
import { makeFeatures, makeScores, seedRun, seedSnapshot, uniqueId } from '../helpers/gate-fixtures.ts';
import { visitInChromium } from '../helpers/headless-chromium.ts';

async function seedLedger(runId: string, entities: string[]): Promise<void> {
  const rows: [string, string, string][] = [];
  entities.forEach((e, i) => {
    rows.push([e, '', 'generated']);
    if (i % 10 === 0) return rows.push([e, 'outbox', 'suppressed']);
    rows.push([e, 'outbox', 'exported'], [e, 'outbox', 'delivered']);
    if (i % 2) return;
    rows.push([e, 'google-ads', 'exported']);
    rows.push([e, 'google-ads', i % 8 === 0 ? 'rejected' : 'accepted']);
    if (i % 8 !== 0) rows.push([e, 'google-ads', 'delivered']);
  });
  await getPool().query(
    `INSERT INTO ledger_event (run_id, entity_id, destination, stage) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])`,
    [runId, rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
  );
  await getPool().query(
    `INSERT INTO destination_export (run_id, destination, kind, mapping_version, rows, location) VALUES ($1, 'outbox', 'file', '1', $2, '/outbox/x.csv')`,
    [runId, rows.filter((r) => r[1] === 'outbox' && r[2] === 'exported').length],
  );
}

describe('writeRunReportActivity', () => {
  it('writes <outDir>/<runId>/report.html from the database, and it renders in Chromium with its charts', async () => {
    const pipeline = uniqueId('h8-report');
    const base = { runId: uniqueId('base'), snapshotId: uniqueId('snap-base'), features: makeFeatures(800, 11), scores: makeScores(800, 12) };
    await seedSnapshot(base.snapshotId, base.features);
    await seedRun({ ...base, pipeline, status: 'COMPLETED', startedAt: '2026-02-01T00:00:00Z' });
    const runId = `${uniqueId('cur')}/cycle:1`; // a workflow id with characters a folder must not carry
    const cur = { runId, snapshotId: uniqueId('snap-cur'), features: makeFeatures(800, 13, { shift: 40 }), scores: makeScores(800, 14, (u) => Math.min(1, u * 1.3)) };
    await seedSnapshot(cur.snapshotId, cur.features);
    await seedRun({ ...cur, pipeline, status: 'COMPLETED' });
    await runGatesActivity({ runId, pipeline, snapshotId: cur.snapshotId, baselineRunId: base.runId });
    await seedLedger(runId, cur.features.map((f) => f.visitor_id));
    const config = { name: pipeline, destinations: [{ name: 'outbox', kind: 'file', decision: { point: 'onsite.hero-banner', owner: 'growth-team', latencyBudget: '6h' } }] };
    await getPool().query('UPDATE activation_run SET pipeline_config = $2 WHERE run_id = $1', [runId, JSON.stringify(config)]);

    const outDir = await mkdtemp(join(tmpdir(), 'h8-report-'));
    const { path } = await writeRunReportActivity({ runId, outDir });
    expect(path).toBe(join(outDir, runId.replace(/[^A-Za-z0-9._-]/g, '_'), 'report.html'));
    const again = await writeRunReportActivity({ runId, outDir });
    expect(again.path).toBe(path);

    const html = await readFile(path, 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\//i);
    // Who owns the decision, from the run's pipeline snapshot.
    expect(html).toContain('<tr><td>outbox</td><td>file</td><td>onsite.hero-banner</td><td>growth-team</td><td>6h</td></tr>');
    const visit = await visitInChromium({ url: pathToFileURL(path).href }, 'run-report.writeRunReportActivity.png', async (page) => ({
      svgs: await page.locator('svg.chart').count(),
      baselineBars: await page.locator('#scores rect.bar-baseline').count(),
      currentBars: await page.locator('#scores rect.bar-current').count(),
      psiBars: await page.locator('#psi rect.bar-psi').count(),
      funnels: await page.locator('#funnel figcaption').allTextContents(),
      gateRows: await page.locator('#gates tbody tr').count(),
      failRows: await page.locator('#gates tbody tr.fail').count(),
      title: await page.title(),
    }));
    expect(visit.consoleErrors).toEqual([]);
    expect(visit.pageErrors).toEqual([]);
    expect(visit.requests).toEqual([]);
    const gates = await getPool().query<{ n: number; fails: number; psi: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'fail')::int AS fails, count(*) FILTER (WHERE gate = 'featurePsi' AND value IS NOT NULL)::int AS psi
       FROM gate_result WHERE run_id = $1`,
      [runId],
    );
    expect(visit.result).toMatchObject({
      svgs: 5, // histogram, deciles, feature PSI, two funnels
      baselineBars: 20 + 11,
      currentBars: 20 + 11,
      psiBars: gates.rows[0]!.psi,
      funnels: ['google-ads', 'outbox'],
      gateRows: gates.rows[0]!.n,
      failRows: gates.rows[0]!.fails,
      title: `Scoreflow run ${runId}`,
    });
    expect(gates.rows[0]!.fails).toBeGreaterThan(0); // the shifted run fails scorePsi / featurePsi(monetary)
    expect(html).toMatch(/google-ads[\s\S]*accepted/);
  });
});
