import { extractFeatures, type ExtractFeaturesInput, type FeatureSnapshotRef } from './extract-features.ts';

export async function extractFeaturesActivity(input: ExtractFeaturesInput): Promise<FeatureSnapshotRef> {
  return extractFeatures(input);
}
