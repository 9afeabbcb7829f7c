import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closePools } from '../../activities/store/db.ts';
import { inferFormat, listModels, registerModelFile } from '../../activities/scoring/model-operations.ts';
import { ModelRegistryError } from '../../activities/scoring/registry.ts';
import { artifactSha256 } from '../../activities/scoring/artifact-digest.ts';
import { ARTIFACTS, MODELS_DIR, logregAs, onnxSidecarAs, onnxVariant, readBytes, readJson, uniqueName } from '../helpers/committed-models.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'scoreflow-models-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await closePools();
});

describe('registerModelFile', () => {
  it('registers the committed artifacts with the metrics, owner and digest their training metadata records', async () => {
    for (const [path, version] of [
      [ARTIFACTS.logreg, '1.0.0'],
      [ARTIFACTS.xgboost, '2.0.0'],
      [ARTIFACTS.onnx, '3.0.0'],
    ] as const) {
      const meta = readJson<{ sha256: string; metrics: { auc: number }; owner: string }>(join(MODELS_DIR, 'purchase-propensity', `${version}.metadata.json`));
      const { model } = await registerModelFile(path);
      expect(model).toMatchObject({ name: 'purchase-propensity', version, sha256: meta.sha256, owner: meta.owner });
      expect(model.metrics.auc).toBe(meta.metrics.auc);
      expect(model.trainedAt).toBe('2026-11-01T00:00:00.000Z');
    }
    const rules = await registerModelFile(ARTIFACTS.rules);
    expect(rules.model).toMatchObject({ name: 'rules-fallback', version: '1.0.0', format: 'rules' });
    const listed = await listModels('purchase-propensity');
    expect(listed.map((m) => m.version)).toEqual(expect.arrayContaining(['1.0.0', '2.0.0', '3.0.0']));
  });

  it('refuses an artifact whose bytes differ from the digest in its training metadata', async () => {
    const dir = tmp();
    const name = uniqueName('file');
    const bytes = logregAs(name, '1.0.0');
    writeFileSync(join(dir, 'model.json'), bytes);
    copyFileSync(join(MODELS_DIR, 'purchase-propensity', '1.0.0.metadata.json'), join(dir, '1.0.0.metadata.json'));
    const err = await registerModelFile(join(dir, 'model.json')).catch((e: unknown) => e);
    expect((err as ModelRegistryError).code).toBe('DIGEST_MISMATCH');
    expect((err as Error).message).toContain(artifactSha256(bytes));
    expect(await listModels(name)).toEqual([]);
  });

  it('finds an ONNX sidecar next to the file, and refuses an ONNX file without one', async () => {
    const dir = tmp();
    const name = uniqueName('file');
    writeFileSync(join(dir, 'm.onnx'), onnxVariant());
    await expect(registerModelFile(join(dir, 'm.onnx'))).rejects.toThrow(/needs its sidecar/);
    writeFileSync(join(dir, 'm.onnx.meta.json'), JSON.stringify(onnxSidecarAs(name, '3.0.0')));
    const { model, created } = await registerModelFile(join(dir, 'm.onnx'), { owner: 'ana' });
    expect(created).toBe(true);
    expect(model).toMatchObject({ name, version: '3.0.0', format: 'onnx', owner: 'ana', metrics: {} });
  });
});

describe('inferFormat', () => {
  it('tells the formats apart by file name and content', () => {
    expect(inferFormat('x.onnx', new Uint8Array())).toBe('onnx');
    expect(inferFormat(ARTIFACTS.xgboost, readBytes(ARTIFACTS.xgboost))).toBe('xgboost-json');
    expect(inferFormat(ARTIFACTS.logreg, readBytes(ARTIFACTS.logreg))).toBe('logreg-json');
    expect(inferFormat(ARTIFACTS.rules, readBytes(ARTIFACTS.rules))).toBe('rules');
    expect(() => inferFormat('x.json', new TextEncoder().encode('{"a":1}'))).toThrow(/cannot tell the artifact format/);
    expect(() => inferFormat('x.json', new TextEncoder().encode('{'))).toThrow(/malformed JSON/);
  });
});
