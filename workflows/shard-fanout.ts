/**
 * Shard fan-out for the activation workflows: one activity per entity-hash shard of the run
 * (pipeline `scale.shards`), run in parallel so more worker processes finish a cycle sooner, and
 * their results summed. With one shard the single call carries no `shard` field, exactly as before
 * shards existed, so recorded histories replay unchanged.
 */
import { shardsOf, type Shard } from '../activities/store/shard.ts';

export async function fanOut<T>(shards: number | undefined, call: (shard: Shard | undefined) => Promise<T>): Promise<T[]> {
  return Promise.all(shardsOf(shards).map((s) => call(s)));
}

export function sumScores<T extends { scored: number; eligible: number; segments: Record<string, number> }>(parts: T[]): T {
  if (parts.length === 1) return parts[0]!;
  const segments: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.segments)) segments[k] = (segments[k] ?? 0) + v;
  return { ...parts[0]!, scored: parts.reduce((a, p) => a + p.scored, 0), eligible: parts.reduce((a, p) => a + p.eligible, 0), segments };
}

export function sumPublished<T extends { published: number; quarantined: number; control: number; alreadyPublished: boolean }>(parts: T[]): T {
  if (parts.length === 1) return parts[0]!;
  return {
    ...parts[0]!,
    published: parts.reduce((a, p) => a + p.published, 0),
    quarantined: parts.reduce((a, p) => a + p.quarantined, 0),
    control: parts.reduce((a, p) => a + p.control, 0),
    alreadyPublished: parts.every((p) => p.alreadyPublished),
  };
}

type ExportFigures = { destination: string; kind: string; rows: number; location?: string; adds?: number; updates?: number; removes?: number; rejected?: number };

export function sumExports<T extends ExportFigures>(parts: T[]): T {
  if (parts.length === 1) return parts[0]!;
  const add = (k: 'adds' | 'updates' | 'removes' | 'rejected') => (parts.some((p) => p[k] !== undefined) ? parts.reduce((a, p) => a + (p[k] ?? 0), 0) : undefined);
  return { ...parts[0]!, rows: parts.reduce((a, p) => a + p.rows, 0), adds: add('adds'), updates: add('updates'), removes: add('removes'), rejected: add('rejected') };
}
