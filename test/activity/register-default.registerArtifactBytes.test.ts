import { afterAll, describe, expect, it } from 'vitest';
import { closePools } from '../../activities/store/db.ts';
import { registerArtifactBytes } from '../../activities/scoring/register-default.ts';
import { artifactSha256 } from '../../activities/scoring/artifact-digest.ts';
import { ARTIFACTS, readBytes } from '../helpers/committed-models.ts';

afterAll(closePools);

describe('registerArtifactBytes', () => {
  it("registers a pipeline's default artifact on first use and returns the same row every time", async () => {
    const bytes = readBytes(ARTIFACTS.logreg);
    const row = await registerArtifactBytes(bytes, 'purchase-propensity', undefined, ARTIFACTS.logreg, '1.0.0');
    expect(row).toMatchObject({ model_name: 'purchase-propensity', version: '1.0.0', sha256: artifactSha256(bytes), format: 'logreg-json', feature_set_version: '1.0.0' });
    expect(row.metrics.calibration?.slope).toBeGreaterThan(0.5);
    expect(await registerArtifactBytes(bytes, 'purchase-propensity', undefined, ARTIFACTS.logreg)).toEqual(row);
  });

  it('takes the rules policy version from the policy file', async () => {
    const row = await registerArtifactBytes(readBytes(ARTIFACTS.rules), 'rules-fallback', 'rules', ARTIFACTS.rules);
    expect(row).toMatchObject({ model_name: 'rules-fallback', version: '1.0.0', format: 'rules' });
  });
});
