/**
 * The model the real-time path re-scores with, in-process: the pipeline's champion as the scoring
 * registry resolves it (pipeline champion pointer, registry champion, else the pipeline's default
 * artifact), loaded once. Any `Scorer` fits, so tests inject a small one.
 */
import { readFileSync } from 'node:fs';
import { ArtifactFormat } from '../../contracts/model-artifact.ts';
import type { Scorer } from '../scoring/scorer.ts';
import { loadScorer, loadScorerBySha } from '../scoring/load-scorer.ts';
import { loadPipelineConfig } from '../run/pipeline.ts';

export type OnlineScorer = Pick<Scorer, 'modelId' | 'version' | 'score'> & { policy?: 'model' | 'rules' };

/**
 * Resolves and loads the pipeline's champion. When the registry (PostgreSQL) cannot be reached, the
 * pipeline's default artifact is loaded from disk instead, and `source` says so.
 */
/**
 * Where the served model came from, in the words `scoreflow models status` uses: the pipeline pin,
 * the registry champion, or the pipeline's defaultArtifact (registered on first use);
 * `default-artifact-offline` when the registry could not be reached and the file was loaded instead.
 */
export type ServedModelSource = 'pin' | 'registry-champion' | 'default-artifact' | 'default-artifact-offline';

export async function loadChampionScorer(pipelinePath: string): Promise<{ scorer: OnlineScorer; source: ServedModelSource; registryError?: string }> {
  try {
    // Loaded on demand: the registry path needs PostgreSQL, the default artifact does not.
    const { nextModel, resolveModelActivity } = await import('../scoring/resolve-model.ts');
    const next = await nextModel({ pipelinePath });
    const m = await resolveModelActivity({ pipelinePath });
    const scorer = await loadScorerBySha(m.sha256, m.format);
    // nextModel and resolveModelActivity make the same choice (chooseModel); 'none' cannot resolve.
    const source: ServedModelSource = next.source === 'none' ? 'registry-champion' : next.source;
    return { scorer: Object.assign(scorer, { policy: m.policy }), source };
  } catch (err) {
    const cfg = loadPipelineConfig(pipelinePath);
    if (!cfg.model.defaultArtifact) throw err;
    const bytes = readFileSync(cfg.model.defaultArtifact);
    const format = ArtifactFormat.parse((JSON.parse(bytes.toString('utf8')) as { format?: unknown }).format);
    const scorer = await loadScorer(bytes, format);
    return { scorer: Object.assign(scorer, { policy: 'model' as const }), source: 'default-artifact-offline', registryError: (err as Error).message };
  }
}
