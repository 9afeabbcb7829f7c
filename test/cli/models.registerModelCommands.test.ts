import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closePools, databaseUrl, getPool } from '../../activities/store/db.ts';
import { artifactSha256 } from '../../activities/scoring/artifact-digest.ts';
import { logregAs, uniqueName } from '../helpers/committed-models.ts';
import { runCli } from '../helpers/run-cli.ts';

const dirs: string[] = [];
const RUN = Date.now().toString(36);
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'scoreflow-cli-models-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await closePools();
});

/** A logreg artifact declaring `name`@`version`, written to a file; `tweak` makes different bytes. */
function artifactFile(dir: string, file: string, name: string, version: string, tweak?: (a: Record<string, unknown>) => void) {
  const bytes = logregAs(name, version, tweak);
  const path = join(dir, file);
  writeFileSync(path, bytes);
  return { path, sha256: artifactSha256(bytes) };
}

describe('scoreflow models register / list / promote', () => {
  it('registers a version, is a no-op for the same bytes, and refuses different bytes under that version with exit 1', async () => {
    const dir = tmp();
    const name = uniqueName('cli');
    const a = artifactFile(dir, 'a.json', name, '1.0.0');
    const b = artifactFile(dir, 'b.json', name, '1.0.0', (x) => {
      x.intercept = (x.intercept as number) + 0.01;
    });

    const first = await runCli(['models', 'register', a.path, '--name', name, '--version', '1.0.0', '--format', 'logreg', '--owner', 'ana', '--json']);
    expect(first.code).toBe(0);
    expect(first.json).toMatchObject({ ok: true, created: true, file: 'a.json', model: { name, version: '1.0.0', sha256: a.sha256, format: 'logreg-json', owner: 'ana', status: 'candidate' } });

    const again = await runCli(['models', 'register', a.path, '--name', name, '--version', '1.0.0', '--json']);
    expect(again.code).toBe(0);
    expect(again.json).toMatchObject({ ok: true, created: false, model: { sha256: a.sha256 } });

    const conflict = await runCli(['models', 'register', b.path, '--name', name, '--version', '1.0.0', '--json']);
    expect(conflict.code).toBe(1);
    expect(conflict.json).toEqual({
      ok: false,
      error: 'ModelRegistryError',
      message: `${b.path}: ${name}@1.0.0 is already registered with sha256 ${a.sha256}; these bytes are sha256 ${b.sha256}. Versions are immutable: register the new artifact under a new version.`,
    });
    expect(conflict.stderr).toContain(`scoreflow: ${b.path}: ${name}@1.0.0 is already registered with sha256 ${a.sha256}`);

    const listed = await runCli(['models', 'list', '--name', name, '--json']);
    expect(listed.code).toBe(0);
    expect(listed.json.models.map((m: { version: string; sha256: string }) => [m.version, m.sha256])).toEqual([['1.0.0', a.sha256]]);
  });

  it('refuses an unknown --format before touching the registry', async () => {
    const dir = tmp();
    const a = artifactFile(dir, 'a.json', uniqueName('cli'), '1.0.0');
    const res = await runCli(['models', 'register', a.path, '--format', 'pmml', '--json']);
    expect(res.code).toBe(2);
    expect(res.json).toMatchObject({ ok: false, error: 'UsageError', message: expect.stringMatching(/^--format "pmml": expected logreg, xgboost, onnx or rules/) });
  });

  it('promotes a version to champion, audited, and names the versions when asked for a missing one', async () => {
    const dir = tmp();
    const name = uniqueName('cli');
    await runCli(['models', 'register', artifactFile(dir, 'v1.json', name, '1.0.0').path, '--json']);
    await runCli(['models', 'register', artifactFile(dir, 'v2.json', name, '1.1.0').path, '--json']);
    const p1 = await runCli(['models', 'promote', name, '1.0.0', '--reason', 'first champion', '--operator', 'ana', '--json']);
    expect(p1.json).toMatchObject({ ok: true, changed: true, previousChampion: null, model: { status: 'champion' } });
    const p2 = await runCli(['models', 'promote', name, '1.1.0', '--reason', 'better auc', '--operator', 'ana', '--json']);
    expect(p2.json).toMatchObject({ ok: true, changed: true, previousChampion: '1.0.0' });
    const listed = await runCli(['models', 'list', '--name', name, '--json']);
    expect(listed.json.models.map((m: { version: string; status: string }) => [m.version, m.status])).toEqual([
      ['1.0.0', 'candidate'],
      ['1.1.0', 'champion'],
    ]);
    const audit = await getPool().query("SELECT operator, reason FROM operator_audit WHERE action = 'promote_model' AND payload->>'model' = $1 ORDER BY id", [name]);
    expect(audit.rows).toEqual([
      { operator: 'ana', reason: 'first champion' },
      { operator: 'ana', reason: 'better auc' },
    ]);
    const missing = await runCli(['models', 'promote', name, '9.9.9', '--reason', 'x', '--json']);
    expect(missing.code).toBe(1);
    expect(missing.json.message).toBe(`model ${name} has no version 9.9.9; registered versions: 1.0.0 (candidate, feature set 1.0.0), 1.1.0 (champion, feature set 1.0.0)`);
  });
});

describe('scoreflow models evaluate', () => {
  it("scores a generated feed's visitors against its ground truth in a scratch database that it drops", async () => {
    const dir = tmp();
    const name = uniqueName('cli');
    await runCli(['models', 'register', artifactFile(dir, 'm.json', name, '1.0.0').path, '--json']);
    const feed = join(dir, 'feed');
    const rsid = `clieval${RUN}`;
    const gen = await runCli(['feed', 'generate', '--visitors', '600', '--days', '2', '--seed', '5', '--start-date', '2019-05-01', '--rsid', rsid, '--out', feed, '--json']);
    expect(gen.code).toBe(0);

    const res = await runCli(['models', 'evaluate', name, '1.0.0', '--feed', feed, '--json']);
    expect(res.code).toBe(0);
    const r = res.json;
    expect(r).toMatchObject({
      ok: true,
      model: { name, version: '1.0.0', format: 'logreg-json' },
      feed: { deliveries: [`${rsid}_2019-05-01`, `${rsid}_2019-05-02`], records: gen.json.records, lookbackDays: 30 },
      labels: { column: 'purchased_in_horizon', rows: 600 },
      withoutLabel: 0,
    });
    expect(r.matched + r.withoutFeatures).toBe(600);
    expect(r.matched).toBeGreaterThan(550);
    expect(r.metrics.n).toBe(r.matched);
    // Features carry signal about the true propensity: better than chance, not perfect.
    expect(r.metrics.auc).toBeGreaterThan(0.55);
    expect(r.metrics.auc).toBeLessThan(1);
    expect(r.metrics.logLoss).toBeGreaterThan(0);
    expect(r.metrics.prevalence).toBeGreaterThan(0);
    expect(r.metrics.calibration).toEqual({ slope: expect.any(Number), intercept: expect.any(Number), ece: expect.any(Number) });

    // Nothing of the feed reached the working database, and the scratch database is gone.
    const { rows } = await getPool().query<{ n: number }>('SELECT count(*)::int AS n FROM feed_delivery WHERE delivery_id LIKE $1', [`${rsid}_%`]);
    expect(rows[0]!.n).toBe(0);
    const db = new URL(databaseUrl()).pathname.slice(1);
    const scratch = await getPool().query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${db}\\_scratch\\_%`]);
    expect(scratch.rows).toEqual([]);
  });

  it('names the registered versions when the version is missing, and exits 1', async () => {
    const res = await runCli(['models', 'evaluate', uniqueName('cli'), '1.0.0', '--feed', tmp(), '--json']);
    expect(res.code).toBe(1);
    expect(res.json).toMatchObject({ ok: false, error: 'ModelRegistryError', message: expect.stringMatching(/has no version 1\.0\.0; registered versions: none/) });
  });
});
