/**
 * `scoreflow pipeline validate`: strict, every problem listed with its key path; `run` and
 * `schedule apply` refuse an invalid pipeline before anything starts. Real CLI in a child process,
 * real PostgreSQL (the model registry).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { generateFeed } from '../../tools/feed-generator/generator.ts';
import { closePools, getPool } from '../../activities/store/db.ts';
import { validatePipelineFile } from '../../activities/run/validate-pipeline.ts';
import { pipelineJsonSchemaText } from '../../contracts/pipeline-schema.ts';
import { closest, levenshtein } from '../../contracts/pipeline-issues.ts';
import { startContractServers } from '../../tools/contract-servers/start-all.ts';
import { REPO_ROOT, runCli } from '../helpers/run-cli.ts';
import { writeTestPipeline } from '../helpers/pipeline.ts';

afterAll(async () => {
  await closePools();
});

/** A test pipeline with the raw YAML edited by `edit`. */
function pipelineWith(edit: (cfg: Record<string, any>) => void, name = `pv-${Math.random().toString(36).slice(2, 8)}`) {
  const p = writeTestPipeline({}, name);
  const cfg = parse(readFileSync(p.path, 'utf8')) as Record<string, any>;
  edit(cfg);
  writeFileSync(p.path, stringify(cfg));
  return p;
}

describe('levenshtein / closest', () => {
  it('suggests the closest key only when it is close enough to be a typo', () => {
    expect(levenshtein('holdot', 'holdout')).toBe(1);
    expect(closest('holdot', ['holdout', 'online', 'model'])).toBe('holdout');
    expect(closest('HOLDOUT', ['holdout'])).toBe('holdout');
    expect(closest('zzzzzz', ['holdout', 'online'])).toBeUndefined();
  });
});

describe('scoreflow pipeline validate', () => {
  it('accepts every committed pipeline and the test pipeline, each with the schema modeline', async () => {
    const files = readdirSync(join(REPO_ROOT, 'pipelines')).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const path = join(REPO_ROOT, 'pipelines', f);
      expect(readFileSync(path, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../pipeline.schema.json');
      const v = await validatePipelineFile(path);
      expect(v.problems, f).toEqual([]);
    }
    const res = await runCli(['pipeline', 'validate', writeTestPipeline().path, '--json']);
    expect(res.code).toBe(0);
    expect(res.json).toMatchObject({ ok: true, problems: [], registry: { reachable: true } });
  });

  it('accepts the contract servers\' destinations (what the demo and e2e tests deliver to) with their env set', async () => {
    const servers = await startContractServers({ tag: 'pv' });
    try {
      const p = pipelineWith((c) => c.destinations.push(...servers.destinations()));
      const v = await validatePipelineFile(p.path, { env: { ...process.env, ...servers.env } });
      expect(v.problems).toEqual([]);
      // Without the variables, each destination's credential is named.
      const bare = await validatePipelineFile(p.path, { env: {} });
      expect(bare.problems.map((x) => x.path).sort()).toEqual(
        ['destinations[1].config.tokenEnv', 'destinations[2].config.tokenEnv', 'destinations[2].config.adsApi.developerTokenEnv', 'destinations[3].config.tokenEnv', 'destinations[4].config.secretEnv'].sort(),
      );
      expect(bare.problems[0]!.message).toMatch(/^environment variable SF_\w+_PV is not set/);
    } finally {
      await servers.close();
    }
  });

  it('lists every problem with its key path, suggestions and the valid kinds, and exits 1', async () => {
    const p = pipelineWith((c) => {
      c.holdot = c.holdout;
      delete c.holdout;
      c.feed.maxQuarantinShare = 0.1;
      c.gates = { featureNulRate: { warnAt: 0.1 }, collapse: { minStdDev: -1 } };
      c.rulesGates = { colapse: {} };
      c.destinations.push(
        { name: 'outbox', kind: 'file', outbox: p2(), formats: ['csv'] },
        { name: 'ads', kind: 'google-ads' },
        { name: 'gcm', kind: 'google-customer-match', config: { baseUrl: 'http://127.0.0.1:1', tokenEnv: 'PV_UNSET_TOKEN_VAR', operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1' }, audienceID: '1' } },
        { name: 'hook', kind: 'webhook', config: { url: 'http://127.0.0.1:1/hook', secret: 'literal' } },
      );
    });
    const res = await runCli(['pipeline', 'validate', p.path, '--json']);
    expect(res.code).toBe(1);
    expect(res.json).toMatchObject({ ok: false, error: 'InvalidPipeline', file: p.path });
    expect(res.json.message).toMatch(/^\d+ problems in \S+: .*holdot: unknown key "holdot"; did you mean "holdout"\?/);
    const problems = res.json.problems as { path: string; message: string }[];
    const at = (path: string) => problems.filter((x) => x.path === path).map((x) => x.message);
    expect(at('holdot')).toEqual(['unknown key "holdot"; did you mean "holdout"?']);
    expect(at('feed.maxQuarantinShare')[0]).toMatch(/did you mean "maxQuarantineShare"/);
    expect(at('gates.featureNulRate')[0]).toMatch(/did you mean "featureNullRate"/);
    expect(at('rulesGates.colapse')[0]).toMatch(/did you mean "collapse"/);
    expect(problems.some((x) => x.path.startsWith('gates.collapse'))).toBe(true);
    expect(at('destinations[1].name')[0]).toMatch(/duplicate destination name "outbox" \(also destinations\[0\]\)/);
    expect(at('destinations[2].kind')[0]).toMatch(/unknown kind "google-ads".*valid: file, adobe-target-bulk, google-customer-match, meta-custom-audiences, webhook, nats, nats-jetstream/);
    expect(at('destinations[3].config.audienceID')[0]).toMatch(/did you mean "audienceId"/);
    expect(problems.filter((x) => x.path === 'destinations[3].config.audienceId')).toHaveLength(1); // required, missing
    expect(at('destinations[3].config.tokenEnv')[0]).toMatch(/environment variable PV_UNSET_TOKEN_VAR is not set/);
    expect(at('destinations[4].config.secret').join(' ')).toMatch(/literal credential/);
    expect(at('destinations[4].config.secretEnv')).toHaveLength(1); // required, missing
    expect(problems.length).toBeGreaterThanOrEqual(12);
    // The human output names the file and every problem too.
    const human = await runCli(['pipeline', 'validate', p.path]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`${p.path}: ${problems.length} problem(s)`);
    expect(human.stdout).toContain('holdot: unknown key "holdot"; did you mean "holdout"?');
    // The literal is never printed.
    expect(human.stdout + human.stderr).not.toContain('literal\n');

    function p2() {
      return '/tmp';
    }
  });

  it('checks each destination\'s decision ownership: point, owner and latency budget, naming the key and the rule', async () => {
    const p = pipelineWith((c) => {
      c.destinations[0].decision = { point: 'Hero Banner', owner: ' ', latencyBudget: '200 millis', ownr: 'x' };
    });
    const res = await runCli(['pipeline', 'validate', p.path, '--json']);
    expect(res.code).toBe(1);
    const problems = res.json.problems as { path: string; message: string }[];
    const at = (path: string) => problems.filter((x) => x.path === path).map((x) => x.message).join(' ');
    expect(at('destinations[0].decision.point')).toMatch(/decision point id/);
    expect(at('destinations[0].decision.owner')).toMatch(/name the team or person accountable/);
    expect(at('destinations[0].decision.latencyBudget')).toMatch(/a duration like "500ms"/);
    expect(at('destinations[0].decision.ownr')).toBe('unknown key "ownr" in destinations[0].decision; did you mean "owner"?');
    const ok = pipelineWith((c) => {
      c.destinations[0].decision = { point: 'onsite.hero-banner', owner: 'growth-team', latencyBudget: '200ms' };
    });
    const valid = await runCli(['pipeline', 'validate', ok.path, '--json']);
    expect(valid.code, JSON.stringify(valid.json)).toBe(0);
  });

  it('knows the model registry: an unknown model without a default artifact is refused with the registered names', async () => {
    const p = pipelineWith((c) => {
      c.model = { name: 'purchase-propensityy' };
    });
    // Some model must be registered for the suggestion: register the committed one under its name.
    const reg = await runCli(['models', 'register', join(REPO_ROOT, 'models/purchase-propensity/1.0.0-logreg.json'), '--name', 'purchase-propensity', '--version', '1.0.0', '--json']);
    expect(reg.code, reg.stderr).toBe(0);
    const v = await validatePipelineFile(p.path);
    expect(v.registry.reachable).toBe(true);
    expect(v.problems).toEqual([expect.objectContaining({ path: 'model.name', message: expect.stringMatching(/no model "purchase-propensityy" in the registry; did you mean "purchase-propensity"\?/) })]);

    const q = pipelineWith((c) => {
      c.model = { name: 'purchase-propensity', defaultVersion: '9.9.9' };
    });
    expect((await validatePipelineFile(q.path)).problems).toEqual([expect.objectContaining({ path: 'model.defaultVersion', message: expect.stringMatching(/no version 9\.9\.9 .*registered: .*1\.0\.0/) })]);

    // An unreachable registry is a warning, not a refusal.
    const off = await runCli(['pipeline', 'validate', p.path, '--json'], { env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' } });
    expect(off.code).toBe(0);
    expect(off.json.warnings).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'model.name', message: expect.stringMatching(/model registry not reachable/) })]));
  });

  it('an unreadable file or broken YAML is one problem naming the file', async () => {
    const missing = await runCli(['pipeline', 'validate', '/nonexistent/pipeline.yaml', '--json']);
    expect(missing.code).toBe(1);
    expect(missing.json.problems).toEqual([{ path: '(file)', message: expect.stringMatching(/cannot read the pipeline file \(ENOENT\)/) }]);
    const p = writeTestPipeline();
    writeFileSync(p.path, 'name: [unclosed\n');
    const broken = await runCli(['pipeline', 'validate', p.path, '--json']);
    expect(broken.code).toBe(1);
    expect(broken.json.problems[0].message).toMatch(/^not valid YAML/);
  });

  it('pipeline.schema.json is the schema generated from the zod schema (regenerate: node --import tsx scripts/generate-pipeline-schema.ts)', () => {
    expect(readFileSync(join(REPO_ROOT, 'pipeline.schema.json'), 'utf8')).toBe(pipelineJsonSchemaText());
    const schema = JSON.parse(pipelineJsonSchemaText());
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['holdout', 'operations', 'measurement', 'destinations']));
  });
});

describe('run and schedule apply refuse an invalid pipeline before anything starts', () => {
  it('nothing is ingested and no run or schedule exists; every problem is printed; exit 2', async () => {
    const p = pipelineWith((c) => {
      c.holdot = c.holdout;
      c.destinations.push({ name: 'outbox', kind: 'file', outbox: '/tmp' });
    });
    const rsid = `pvrun${Math.random().toString(36).slice(2, 8)}`;
    await generateFeed({ visitors: 50, days: 1, seed: 3, out: p.inbox, rsid, startDate: '2026-01-05' });
    const run = await runCli(['run', '--pipeline', p.path, '--json']);
    expect(run.code).toBe(2);
    expect(run.json).toMatchObject({ ok: false, error: 'InvalidPipeline' });
    expect(run.json.message).toMatch(/^nothing started: .*2 problem\(s\)/s);
    expect(run.json.message).toContain('holdot: unknown key "holdot"; did you mean "holdout"?');
    expect(run.json.message).toContain('destinations[1].name: duplicate destination name "outbox"');
    const loaded = await getPool().query('SELECT 1 FROM feed_delivery WHERE delivery_id LIKE $1', [`${rsid}%`]);
    expect(loaded.rowCount).toBe(0);
    const runs = await getPool().query('SELECT 1 FROM activation_run WHERE pipeline = $1', [p.name]);
    expect(runs.rowCount).toBe(0);

    const apply = await runCli(['schedule', 'apply', '--pipeline', p.path, '--json']);
    expect(apply.code).toBe(2);
    expect(apply.json.message).toMatch(/^no schedule created or changed: .*holdot/s);
    const described = await runCli(['schedule', 'describe', '--id', `${p.name}.schedule`, '--json']);
    expect(described.code).toBe(2);
    expect(described.json.message).toMatch(/no schedule/);
  });

  it('run --feed /nonexistent is an error (exit 2), not NO_DATA', async () => {
    const p = writeTestPipeline();
    const res = await runCli(['run', '--pipeline', p.path, '--feed', '/nonexistent/feed', '--json']);
    expect(res.code).toBe(2);
    expect(res.json.message).toMatch(/nothing started: --feed "\/nonexistent\/feed": folder \/nonexistent\/feed does not exist/);
  });
});
