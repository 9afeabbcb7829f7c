/**
 * Runs the pipeline-file and model-artifact cases of the bad-input corpus in this process.
 * Pipeline files: requirePipeline (what `run` and `schedule` check before anything starts) refuses
 * with exit code 2, the file, the key path and the problem; no file is written next to it and no run
 * of the pipeline is recorded. Model artifacts: registerModelFile (`scoreflow models register`)
 * refuses with the file and the problem, and the registry holds no version of the case's model.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { closePools, getPool } from '../../activities/store/db.ts';
import { registerModelFile, listModels } from '../../activities/scoring/model-operations.ts';
import { ModelRegistryError } from '../../activities/scoring/registry.ts';
import { InvalidPipelineError, requirePipeline } from '../../cli/commands/pipeline.ts';
import { writeTestPipeline } from '../helpers/pipeline.ts';
import { PIPELINE_CASES } from './pipeline.cases.ts';
import { MODEL_CASES } from './model.cases.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await closePools();
});
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe(`bad-input corpus: pipeline files (${PIPELINE_CASES.length} cases)`, () => {
  it.each(PIPELINE_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const name = `corpus-${randomBytes(4).toString('hex')}`;
    const p = writeTestPipeline({}, name);
    dirs.push(p.dir);
    const cfg = JSON.parse(JSON.stringify((await import('yaml')).parse((await import('node:fs')).readFileSync(p.path, 'utf8')))) as Record<string, any>;
    const edited = c.edit(cfg);
    const file = join(p.dir, `pipeline.${c.ext ?? 'yaml'}`);
    rmSync(p.path);
    if (!c.noFile) {
      const body = edited ?? cfg;
      writeFileSync(file, typeof body === 'string' ? body : c.ext === 'json' ? JSON.stringify(body) : stringify(body));
    }
    const before = readdirSync(p.dir).sort();
    const saved = Object.fromEntries(Object.keys(c.env ?? {}).map((k) => [k, process.env[k]]));
    Object.assign(process.env, c.env ?? {});
    let err: unknown;
    try {
      await requirePipeline(file, 'nothing started');
    } catch (e) {
      err = e;
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    expect(err).toBeInstanceOf(InvalidPipelineError);
    const e = err as InvalidPipelineError;
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(file);
    const problem = e.validation.problems.find((x) => x.path === c.path);
    expect(problem, `problems: ${JSON.stringify(e.validation.problems)}`).toBeDefined();
    expect(problem!.message).toMatch(c.reason);
    expect(e.message).toMatch(new RegExp(`${escapeRe(c.path)}: .*${c.reason.source}`, c.reason.flags));
    // Nothing written, nothing started.
    expect(readdirSync(p.dir).sort()).toEqual(before);
    const runs = await getPool().query('SELECT count(*)::int AS n FROM activation_run WHERE pipeline = $1', [name]);
    expect(runs.rows[0].n).toBe(0);
  });
});

describe(`bad-input corpus: model artifacts (${MODEL_CASES.length} cases)`, () => {
  it.each(MODEL_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = mkdtempSync(join(tmpdir(), 'scoreflow-corpus-model-'));
    dirs.push(dir);
    const model = `corpus-${randomBytes(4).toString('hex')}`;
    const { path, opts } = await c.build(dir, model);
    const before = readdirSync(dir).sort();
    const err = await registerModelFile(path, { name: model, ...(opts ?? {}) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ModelRegistryError);
    const e = err as ModelRegistryError;
    expect(e.code).toBe(c.code);
    expect(e.message).toContain(c.file ?? path.split('/').pop()!);
    expect(e.message).toMatch(c.reason);
    expect((await listModels(model)).map((m) => m.version)).toEqual(c.remaining ?? []);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});
