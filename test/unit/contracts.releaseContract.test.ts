import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContractReleaseConflict, releaseContract } from '../../activities/contracts/release.ts';
import { readLatestReleased, readReleasedVersions } from '../../activities/contracts/released-snapshots.ts';
import { defineContract, reviseContract } from '../../contracts/contract.ts';
import { contractJsonSchema, serializeJsonSchema } from '../../contracts/json-schema.ts';

const toy = defineContract({
  name: 'toy',
  version: '1.0.0',
  owner: 'team-toy',
  description: 'A toy.',
  freshness: { cadence: 'PT15M', maxAgeHours: 24 },
  changelog: [{ version: '1.0.0', date: '2026-11-28', changes: ['First.'] }],
  schema: z.object({ id: z.string() }),
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sf-contracts-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('releaseContract', () => {
  it('writes the snapshot once, then leaves identical content alone', async () => {
    const first = await releaseContract(toy, dir);
    expect(first.status).toBe('written');
    expect(first.file).toBe(join(dir, 'toy', '1.0.0.schema.json'));
    expect(readFileSync(first.file, 'utf8')).toBe(serializeJsonSchema(contractJsonSchema(toy)));
    expect((await releaseContract(toy, dir)).status).toBe('unchanged');
  });

  it('refuses to overwrite a released version with different content, and keeps the old bytes', async () => {
    await releaseContract(toy, dir);
    const before = readFileSync(join(dir, 'toy', '1.0.0.schema.json'), 'utf8');
    const changed = defineContract({ ...toy, description: 'A toy, reworded.', schema: toy.schema });
    await expect(releaseContract(changed, dir)).rejects.toThrow(ContractReleaseConflict);
    await expect(releaseContract(changed, dir)).rejects.toThrow(/already holds a different toy 1\.0\.0: .*Bump the contract version/);
    expect(readFileSync(join(dir, 'toy', '1.0.0.schema.json'), 'utf8')).toBe(before);
  });

  it('keeps every version and reads the latest by semver order', async () => {
    await releaseContract(toy, dir);
    await releaseContract(reviseContract(toy, { version: '1.10.0', date: '2026-12-02', changes: ['b'] }), dir);
    await releaseContract(reviseContract(toy, { version: '1.2.0', date: '2026-12-01', changes: ['a'] }), dir);
    expect((await readReleasedVersions(dir, 'toy')).map((s) => s.version)).toEqual(['1.0.0', '1.2.0', '1.10.0']);
    expect((await readLatestReleased(dir, 'toy'))?.version).toBe('1.10.0');
    expect(await readLatestReleased(dir, 'never_released')).toBeNull();
  });

  it('refuses a snapshot whose metadata disagrees with its file name', async () => {
    await releaseContract(toy, dir);
    writeFileSync(join(dir, 'toy', '2.0.0.schema.json'), readFileSync(join(dir, 'toy', '1.0.0.schema.json')));
    await expect(readReleasedVersions(dir, 'toy')).rejects.toThrow(/declares toy@1\.0\.0; its path says toy@2\.0\.0/);
  });
});
