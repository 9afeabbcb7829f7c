/**
 * Registers a pipeline's default artifact or rules fallback file on first use (resolve-model.ts),
 * and returns the model_version row. Idempotent: the same file again returns the same row.
 */
import type { ArtifactFormat, ModelMetrics } from '../../contracts/model-artifact.ts';
import { registerModelBytes } from './model-operations.ts';

export interface RegisteredVersionRow {
  model_name: string;
  version: string;
  sha256: string;
  format: ArtifactFormat;
  feature_set_version: string;
  metrics: ModelMetrics & { calibrated?: boolean; calibration?: { slope?: number } };
}

export async function registerArtifactBytes(bytes: Uint8Array, name: string, format: string | undefined, path: string, version?: string): Promise<RegisteredVersionRow> {
  const { model } = await registerModelBytes(new Uint8Array(bytes), path, { name, version, format: format as ArtifactFormat | undefined });
  return {
    model_name: model.name,
    version: model.version,
    sha256: model.sha256,
    format: model.format,
    feature_set_version: model.featureSetVersion,
    metrics: model.metrics,
  };
}
