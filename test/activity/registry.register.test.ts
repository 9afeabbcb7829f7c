import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { closePools, getPool } from '../../activities/store/db.ts';
import { ModelRegistryError, get, list, register } from '../../activities/scoring/registry.ts';
import { loadScorerBySha } from '../../activities/scoring/load-scorer.ts';
import { artifactSha256 } from '../../activities/scoring/artifact-digest.ts';
import { ONNX_FIXTURES, committedPredictions, logregAs, onnxSidecarAs, onnxVariant, readBytes, sampleInputs, uniqueName, xgboostAs } from '../helpers/committed-models.ts';

afterAll(closePools);

const opts = (name: string, version: string, extra: Record<string, unknown> = {}) => ({
  name,
  version,
  format: 'logreg-json' as const,
  featureSetVersion: '1.0.0',
  metrics: { auc: 0.76 },
  trainedAt: '2026-11-01T00:00:00Z',
  owner: 'tests',
  ...extra,
});

/** Rows for a digest and a name, to prove a refusal left nothing behind. */
async function traces(sha256: string, name: string) {
  const db = getPool();
  const a = await db.query('SELECT 1 FROM model_artifact WHERE sha256 = $1', [sha256]);
  const s = await db.query('SELECT 1 FROM model_artifact_sidecar WHERE sha256 = $1', [sha256]);
  const v = await db.query('SELECT 1 FROM model_version WHERE model_name = $1', [name]);
  return { artifacts: a.rowCount, sidecars: s.rowCount, versions: v.rowCount };
}

async function refusal(p: Promise<unknown>): Promise<ModelRegistryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelRegistryError);
  return err as ModelRegistryError;
}

describe('register', () => {
  it('stores the artifact by sha256 and the version as a candidate; the same bytes again are a no-op', async () => {
    const name = uniqueName('reg');
    const bytes = logregAs(name, '1.0.0');
    const first = await register(bytes, opts(name, '1.0.0'));
    expect(first.created).toBe(true);
    expect(first.model).toMatchObject({ name, version: '1.0.0', sha256: artifactSha256(bytes), status: 'candidate', owner: 'tests', metrics: { auc: 0.76 } });
    expect(first.model.trainedAt).toBe('2026-11-01T00:00:00.000Z');
    const again = await register(bytes, opts(name, '1.0.0', { metrics: { auc: 0.5 } }));
    expect(again).toEqual({ model: first.model, created: false });
    expect(await list(name)).toHaveLength(1);
    const stored = await getPool().query<{ size: number; bytes: Buffer }>('SELECT size, bytes FROM model_artifact WHERE sha256 = $1', [first.model.sha256]);
    expect(Buffer.compare(stored.rows[0]!.bytes, Buffer.from(bytes))).toBe(0);
  });

  it('refuses different bytes under an existing name and version, naming both digests, and stores nothing of them', async () => {
    const name = uniqueName('reg');
    const original = await register(logregAs(name, '1.0.0'), opts(name, '1.0.0'));
    const changed = logregAs(name, '1.0.0', (a) => Object.assign(a, { intercept: 0 }));
    const err = await refusal(register(changed, opts(name, '1.0.0')));
    expect(err.code).toBe('VERSION_CONFLICT');
    expect(err.message).toContain(original.model.sha256);
    expect(err.message).toContain(artifactSha256(changed));
    expect((await traces(artifactSha256(changed), name)).artifacts).toBe(0);
    expect((await get(name, '1.0.0'))!.sha256).toBe(original.model.sha256);
  });

  it('lets exactly one of two concurrent registrations of one version win', async () => {
    const name = uniqueName('race');
    const a = logregAs(name, '1.0.0');
    const b = logregAs(name, '1.0.0', (x) => Object.assign(x, { intercept: 0.5 }));
    const results = await Promise.allSettled([register(a, opts(name, '1.0.0')), register(b, opts(name, '1.0.0'))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((lost.reason as ModelRegistryError).code).toBe('VERSION_CONFLICT');
    expect(await list(name)).toHaveLength(1);
  });

  it('refuses tampered bytes (expected sha256 differs) before writing anything', async () => {
    const name = uniqueName('tamper');
    const bytes = logregAs(name, '1.0.0');
    const expected = artifactSha256(logregAs(name, '1.0.0', (a) => Object.assign(a, { intercept: 9 })));
    const err = await refusal(register(bytes, opts(name, '1.0.0', { expectedSha256: expected })));
    expect(err.code).toBe('DIGEST_MISMATCH');
    expect(err.message).toContain(expected);
    expect(err.message).toContain(artifactSha256(bytes));
    expect(await traces(artifactSha256(bytes), name)).toEqual({ artifacts: 0, sidecars: 0, versions: 0 });
  });

  it('refuses malformed JSON and off-schema artifacts, leaving nothing', async () => {
    const name = uniqueName('bad');
    const broken = new TextEncoder().encode('{"format":"logreg-json","model_id":');
    const err = await refusal(register(broken, opts(name, '1.0.0')));
    expect(err.code).toBe('INVALID_ARTIFACT');
    expect(err.message).toMatch(/malformed JSON/);
    const offSchema = logregAs(name, '1.0.0', (a) => Object.assign(a, { coefficients: [1] }));
    expect((await refusal(register(offSchema, opts(name, '1.0.0')))).message).toMatch(/coefficients: has 1 values for 11 features/);
    expect(await traces(artifactSha256(broken), name)).toEqual({ artifacts: 0, sidecars: 0, versions: 0 });
    expect((await traces(artifactSha256(offSchema), name)).artifacts).toBe(0);
  });

  it('refuses an artifact whose declared identity differs from the registration', async () => {
    const name = uniqueName('ident');
    const err = await refusal(register(logregAs(name, '1.0.0'), opts(name, '1.0.1')));
    expect(err.code).toBe('IDENTITY_MISMATCH');
    expect(err.message).toMatch(/declares version "1.0.0" but is being registered with version "1.0.1"/);
    expect((await traces('-', name)).versions).toBe(0);
  });

  it('refuses an ONNX model whose input does not fit the feature set, leaving nothing', async () => {
    const name = uniqueName('onnx');
    const bytes = readBytes(join(ONNX_FIXTURES, 'ten-features.onnx'));
    const err = await refusal(register(bytes, { ...opts(name, '3.0.0'), format: 'onnx', sidecar: onnxSidecarAs(name, '3.0.0') as never }));
    expect(err.code).toBe('INVALID_ARTIFACT');
    expect(err.message).toMatch(/shape \[N, 10\]; the feature set needs \[N, 11\]/);
    expect(await traces(artifactSha256(bytes), name)).toEqual({ artifacts: 0, sidecars: 0, versions: 0 });
    const noSidecar = await refusal(register(onnxVariant(), { ...opts(name, '3.0.0'), format: 'onnx' }));
    expect(noSidecar.message).toMatch(/needs its sidecar/);
  });

  it('registers ONNX with its sidecar and XGBoost JSON, and loads them back by digest with the same predictions', async () => {
    const { vectors } = sampleInputs();
    const name = uniqueName('rt');
    const onnx = onnxVariant();
    const r1 = await register(onnx, { ...opts(name, '3.0.0'), format: 'onnx', sidecar: onnxSidecarAs(name, '3.0.0') as never });
    const scorer = await loadScorerBySha(r1.model.sha256, 'onnx');
    expect(scorer).toMatchObject({ modelId: name, version: '3.0.0', sha256: r1.model.sha256 });
    const expected = committedPredictions('3.0.0-onnx').probabilities;
    (await scorer.score(vectors)).forEach((s, i) => expect(Math.abs(s.probability - expected[i]!)).toBeLessThan(1e-6));

    const r2 = await register(xgboostAs(name, '2.0.0'), { ...opts(name, '2.0.0'), format: 'xgboost-json' });
    const x = await loadScorerBySha(r2.model.sha256, 'xgboost-json');
    const xe = committedPredictions('2.0.0-xgboost-json').probabilities;
    (await x.score(vectors)).forEach((s, i) => expect(Math.abs(s.probability - xe[i]!)).toBeLessThan(1e-6));

    // The same ONNX bytes bound by a different sidecar are refused, and no version is left behind.
    const other = uniqueName('rt');
    const err = await refusal(register(onnx, { ...opts(other, '3.0.0'), format: 'onnx', sidecar: onnxSidecarAs(other, '3.0.0') as never }));
    expect(err.code).toBe('SIDECAR_CONFLICT');
    expect((await traces(r1.model.sha256, other)).versions).toBe(0);
  });
});
