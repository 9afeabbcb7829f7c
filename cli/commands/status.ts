/** `scoreflow status --run ID` and `scoreflow trace --entity ID | --customer ID`: what happened, from the ledger. */
import { createHash } from 'node:crypto';
import { getPool } from '../../activities/store/db.ts';
import { destinationOwnership, type DestinationOwnership } from '../../contracts/pipeline-config.ts';
import { connectClient } from '../../workers/client.ts';
import { statusQuery, type RunStatusView } from '../../workflows/messages.ts';

export interface FunnelRow {
  destination: string;
  generated: number;
  exported: number;
  accepted: number;
  rejected: number;
  delivered: number;
  removed: number;
  suppressed: number;
  outcome: number;
}

export async function runFunnel(runIds: string[]): Promise<FunnelRow[]> {
  const { rows } = await getPool().query<{ destination: string; stage: string; n: number }>(
    `SELECT destination, stage, count(*)::int AS n FROM ledger_event WHERE run_id = ANY($1) GROUP BY destination, stage`,
    [runIds],
  );
  const generated = rows.filter((r) => r.destination === '' && r.stage === 'generated').reduce((a, r) => a + r.n, 0);
  const dests = [...new Set(rows.map((r) => r.destination).filter((d) => d !== ''))].sort();
  return dests.map((destination) => {
    const get = (stage: string) => rows.find((r) => r.destination === destination && r.stage === stage)?.n ?? 0;
    return {
      destination,
      generated,
      exported: get('exported'),
      accepted: get('accepted'),
      rejected: get('rejected'),
      delivered: get('delivered'),
      removed: get('removed'),
      suppressed: get('suppressed'),
      outcome: get('outcome'),
    };
  });
}

export async function runStatus(
  runId: string,
): Promise<{
  workflow: RunStatusView | null;
  run: Record<string, unknown> | null;
  gates: Record<string, unknown>[];
  funnel: FunnelRow[];
  cycles: string[];
  ownership: DestinationOwnership[];
  /** Why the workflow's live state is missing when Temporal could not be reached: the rest is the database's. */
  temporalError?: string;
}> {
  const pool = getPool();
  const run = (await pool.query('SELECT * FROM activation_run WHERE run_id = $1', [runId])).rows[0] ?? null;
  const cycleRows = await pool.query<{ run_id: string }>('SELECT run_id FROM activation_run WHERE run_id = $1 OR parent_run_id = $1 ORDER BY started_at', [runId]);
  const cycles = cycleRows.rows.map((r) => r.run_id);
  // `measured: false`: the gate could not measure (no baseline, no rows); `status` shows it as SKIP.
  const gates = (await pool.query('SELECT run_id, gate, subject, status, value, warn_at, fail_at, detail, value IS NOT NULL AS measured FROM gate_result WHERE run_id = ANY($1) ORDER BY run_id, gate, subject', [cycles.length ? cycles : [runId]])).rows;
  let workflow: RunStatusView | null = null;
  // Set when Temporal could not be asked at all (as opposed to not knowing the run).
  let temporalError: string | undefined;
  let client: Awaited<ReturnType<typeof connectClient>> | undefined;
  try {
    client = await connectClient();
  } catch (err) {
    temporalError = (err as Error).message;
  }
  if (client) {
    try {
      workflow = await client.client.workflow.getHandle(runId).query(statusQuery);
    } catch {
      workflow = null; // the run's history may be gone (retention) or it never ran; the database still answers
    } finally {
      await client.close();
    }
  }
  const funnel = await runFunnel(cycles.length ? cycles.slice(-1) : [runId]);
  if (!run && !workflow) {
    if (temporalError) throw new Error(`no run ${runId} in the database, and Temporal could not be asked: ${temporalError}`);
    throw new Error(`no run ${runId} in the database or on Temporal; list runs in the Web UI or pass the workflow id printed by "scoreflow run"`);
  }
  // Who owns each destination's decision: from the pipeline snapshot the run (or its latest cycle) kept.
  const snapshot = (
    await pool.query<{ pipeline_config: Parameters<typeof destinationOwnership>[0] }>(
      'SELECT pipeline_config FROM activation_run WHERE run_id = ANY($1) AND pipeline_config IS NOT NULL ORDER BY started_at DESC LIMIT 1',
      [[runId, ...cycles]],
    )
  ).rows[0];
  return { workflow, run, gates, funnel, cycles, ownership: destinationOwnership(snapshot?.pipeline_config), ...(temporalError ? { temporalError } : {}) };
}

export function formatFunnel(funnel: FunnelRow[]): string {
  if (funnel.length === 0) return '  (no destination deliveries recorded)';
  const head = ['destination', 'generated', 'exported', 'accepted', 'rejected', 'delivered', 'removed', 'suppressed'];
  const lines = funnel.map((f) => [f.destination, f.generated, f.exported, f.accepted, f.rejected, f.delivered, f.removed, f.suppressed].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cols: string[]) => '  ' + cols.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [fmt(head), ...lines.map(fmt)].join('\n');
}

export function formatOwnership(rows: DestinationOwnership[]): string {
  if (rows.length === 0) return '  (no pipeline snapshot recorded for this run)';
  const head = ['destination', 'decision point', 'owner', 'latency budget'];
  const lines = rows.map((r) => [r.destination, r.point ?? '-', r.owner ?? '(not declared)', r.latencyBudget ?? '-']);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cols: string[]) => '  ' + cols.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(head), ...lines.map(fmt)].join('\n');
}

export async function traceEntity(entityId: string): Promise<{ entityId: string; records: Record<string, unknown>[]; ledger: Record<string, unknown>[] }> {
  const pool = getPool();
  const records = (
    await pool.query(
      `SELECT run_id, pipeline, model_version, score, segment, eligible, holdout_arm, expires_at, published_at
       FROM activation_record WHERE entity_id = $1 ORDER BY published_at`,
      [entityId],
    )
  ).rows;
  const ledger = (await pool.query('SELECT run_id, destination, stage, detail, at FROM ledger_event WHERE entity_id = $1 ORDER BY at, run_id, destination', [entityId])).rows;
  return { entityId, records, ledger };
}

/** A short sha256 of an identifier (12 hex, as `scoreflow verify` names members): stable, comparable, not the id. */
export function idHash(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex').slice(0, 12);
}

const IDENTIFIER_KEYS = new Set(['entity_id', 'entityId', 'visitor_id', 'visitorId', 'customer_id', 'customerId', 'ecid', 'mcvisid', 'email', 'phone', 'identifiers', 'identifier', 'payload', 'record']);

/** A ledger detail without identifier fields (they are dropped, never printed). */
function scrubDetail(detail: unknown): unknown {
  if (Array.isArray(detail)) return detail.map(scrubDetail);
  if (typeof detail !== 'object' || detail === null) return detail;
  return Object.fromEntries(Object.entries(detail as Record<string, unknown>).filter(([k]) => !IDENTIFIER_KEYS.has(k)).map(([k, v]) => [k, scrubDetail(v)]));
}

export interface CustomerTrace {
  /** sha256 (12 hex) of the customer id: the id itself is never returned. */
  customer: string;
  entities: {
    /** sha256 (12 hex) of the entity (visitor key). */
    entity: string;
    records: { run_id: string; pipeline: string; model_version: string; score: number; segment: string; eligible: boolean; holdout_arm: string; expires_at: string; published_at: string }[];
    ledger: { run_id: string; destination: string; stage: string; detail: unknown; at: string }[];
  }[];
}

/**
 * One customer's history: the identity map of the canonical records (record.identity.customer_id →
 * entity) gives the customer's entities (visitor keys), then each entity's records and ledger, with
 * every identifier hashed.
 */
export async function traceCustomer(customerId: string): Promise<CustomerTrace> {
  const pool = getPool();
  const { rows: ents } = await pool.query<{ entity_id: string }>(
    `SELECT entity_id FROM activation_record WHERE record->'identity'->>'customer_id' = $1 GROUP BY entity_id ORDER BY min(published_at), entity_id`,
    [customerId],
  );
  const entities: CustomerTrace['entities'] = [];
  for (const { entity_id } of ents) {
    const t = await traceEntity(entity_id);
    entities.push({
      entity: idHash(entity_id),
      records: t.records.map((r) => ({
        run_id: String(r.run_id),
        pipeline: String(r.pipeline),
        model_version: String(r.model_version),
        score: Number(r.score),
        segment: String(r.segment),
        eligible: Boolean(r.eligible),
        holdout_arm: String(r.holdout_arm),
        expires_at: new Date(r.expires_at as string).toISOString(),
        published_at: new Date(r.published_at as string).toISOString(),
      })),
      ledger: t.ledger.map((l) => ({ run_id: String(l.run_id), destination: String(l.destination), stage: String(l.stage), detail: scrubDetail(l.detail), at: new Date(l.at as string).toISOString() })),
    });
  }
  return { customer: idHash(customerId), entities };
}
