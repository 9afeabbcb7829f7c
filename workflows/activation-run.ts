/**
 * activationRun: one micro-batch cycle. snapshot pipeline → ingest → features → score → gate →
 * publish → export (one child per destination) → drift → report, then an optional rollback window.
 * Rows never pass through Temporal: activities exchange batch ids, snapshot ids and counts.
 * Deterministic only: activities are imported as types.
 *
 * Operator control (docs/operator-guide.md):
 * - A failed gate, stage or export pauses the run (RunStatus=PAUSED) and waits for a decision with no
 *   time limit unless `pauseTimeout` is set; then it ends ABORTED by `system`, audited.
 * - approve/resume re-run only what failed: a failed stage is retried; a failed export re-runs the
 *   destinations that failed, never the ones that completed; a failed gate is overridden.
 * - rollback re-scores the snapshot as a new cycle; the champion moves only when that cycle passes its
 *   gates or an operator approves it.
 * - Every action is a signal (Web UI) and an update with a validator (CLI); refusals are never audited.
 * - Cancelling the workflow records CANCELLED in activation_run and the RunStatus search attribute.
 *
 * Executions started by the previous release have no `operator-control-v2` marker and replay on the
 * frozen code in legacy/activation-run-v1.ts.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  executeChild,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  currentUpdateInfo,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import type { PipelineConfig } from '../contracts/pipeline-config.ts';
import { durationMs } from '../contracts/pipeline-config.ts';
import { ActivationRunInput as RunInputSchema, describeRunInputIssues, type ActivationRunInput, type RollbackTarget } from '../contracts/run-input.ts';
import {
  QUERY_DESCRIPTIONS,
  SIGNAL_DESCRIPTIONS,
  UPDATE_DESCRIPTIONS,
  abortSignal,
  abortUpdate,
  approveSignal,
  approveUpdate,
  pauseSignal,
  pauseUpdate,
  resumeSignal,
  resumeUpdate,
  rollbackSignal,
  rollbackUpdate,
  statusQuery,
  type RollbackPayload,
  type RunStatusView,
} from './messages.ts';
import { RunState, type Decision } from './run-state.ts';
import { DeliveryIdKey, GateStatusKey, ModelVersionKey, PipelineKey, RunStatusKey } from './search-attributes.ts';
import { currentDetails } from './run-details.ts';
import { exportToDestination, type ExportToDestinationResult } from './export-to-destination.ts';
import { fanOut, sumPublished, sumScores } from './shard-fanout.ts';
import { measureOutcomes } from './measure-outcomes.ts';
import { failureMessage } from './failure-message.ts';
import { activationRunV1 } from './legacy/activation-run-v1.ts';

export type { ActivationRunInput };

/** Marks executions that run this code; those without it replay on legacy/activation-run-v1.ts. */
export const OPERATOR_CONTROL_PATCH = 'operator-control-v2';
/** Marks executions that start outcome measurement from the pipeline's `measurement.attributionWindow`. */
export const LIFT_FROM_PIPELINE_PATCH = 'lift-from-pipeline';
/** Marks executions whose exports retry for the pipeline's `operations.exportRetryFor` when the input gives none. */
export const EXPORT_RETRY_FROM_PIPELINE_PATCH = 'dbfault-export-retry-from-pipeline';
/** Marks executions that run the expiry pass (expireMembersActivity) in a cycle with no new delivery. */
export const EXPIRE_ON_NO_DATA_PATCH = 'expire-on-no-data';
/** Marks executions that record the deliveries they took up per pipeline (pipeline_delivery). */
export const PIPELINE_DELIVERIES_PATCH = 'pipeline-deliveries';
/** Marks executions that run the optional verify stage (round-trip read-back) after exports. */
export const VERIFY_AFTER_EXPORT_PATCH = 'verify-after-export';
/** Operator actions carry the history event they came in (signal ordinal or update id), so the audit records the sender's client identity. */
export const AUDIT_IDENTITY_PATCH = 'access-audit-identity';
/**
 * Marks executions that gate a cycle after publish (before anything is activated), so the
 * contract-violation gate counts what publish quarantined and the destination dry runs see the
 * cycle's records. Executions without it gate before publish.
 */
export const GATE_AFTER_PUBLISH_PATCH = 'fidelity-gate-after-publish';
/** Marks executions that pass the pipeline's `feed.encoding` to ingest (only pipelines that set it). */
export const FEED_ENCODING_PATCH = 'corpus-feed-encoding';

/** The pipeline's feed.encoding for ingest, when it sets one; absent otherwise, so the input stays as before. */
export function feedEncodingInput(encoding: 'auto' | 'utf-8' | 'iso-8859-1' | undefined): { encoding?: 'auto' | 'utf-8' | 'iso-8859-1' } {
  return encoding !== undefined && patched(FEED_ENCODING_PATCH) ? { encoding } : {};
}
/** Marks executions that keep the Web UI's current details up to date and set the DeliveryId search attribute. */
export const VISIBILITY_PATCH = 'visibility-current-details';

const NON_RETRYABLE = ['InvalidFeed', 'ContractViolation', 'DestinationRejected', 'InvalidPipelineConfig', 'InvalidModel', 'InvalidRollbackTarget', 'InvalidInput'];

/** Short bookkeeping: run records, audit, alerts, model resolution. Never heartbeats. */
const book = proxyActivities<typeof activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Long data work: ingest, features, scoring, gates, publish. Heartbeats on an interval (workers/activity-boundary.ts). */
const data = proxyActivities<typeof activities>({
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
});

export interface ActivationRunResult {
  runId: string;
  status: string;
  counts: Record<string, number>;
  cycles: string[];
  exports: { destination: string; cycleRunId: string; rows: number; location?: string }[];
  reportPath?: string;
  pausedReason?: string;
}

export async function activationRun(input: ActivationRunInput): Promise<ActivationRunResult> {
  if (!patched(OPERATOR_CONTROL_PATCH)) return activationRunV1(input);
  return activationRunV2(input);
}

type Stop = { stop: 'ABORTED' | 'CANCELLED' };
const isStop = (x: unknown): x is Stop => typeof x === 'object' && x !== null && 'stop' in x;

async function activationRunV2(rawInput: unknown): Promise<ActivationRunResult> {
  const info = workflowInfo();
  const runId = info.workflowId;
  const state = new RunState(runId, 'unknown', () => new Date().toISOString());
  const visible = patched(VISIBILITY_PATCH);
  /** Current details for the Web UI (no history event); called at every stage, pause and end. */
  const showDetails = () => {
    if (visible) setCurrentDetails(currentDetails(state.view));
  };

  // Runs from before AUDIT_IDENTITY_PATCH audit without the origin of each action (no identity).
  const tagOrigin = patched(AUDIT_IDENTITY_PATCH);
  const signalsSeen: Partial<Record<string, number>> = {};
  for (const [action, signal] of [
    ['pause', pauseSignal],
    ['resume', resumeSignal],
    ['approve', approveSignal],
    ['abort', abortSignal],
    ['rollback', rollbackSignal],
  ] as const) {
    setHandler(
      signal,
      (p: unknown) => {
        // Every delivery counts, refused ones too: the n-th call is the n-th Signaled event of that name.
        const ordinal = (signalsSeen[signal.name] = (signalsSeen[signal.name] ?? 0) + 1);
        state.onSignal(action, p, tagOrigin ? { kind: 'signal', name: signal.name, ordinal } : undefined);
      },
      { description: SIGNAL_DESCRIPTIONS[action] },
    );
  }
  for (const [action, update] of [
    ['pause', pauseUpdate],
    ['resume', resumeUpdate],
    ['approve', approveUpdate],
    ['abort', abortUpdate],
    ['rollback', rollbackUpdate],
  ] as const) {
    setHandler(update, (p: unknown) => state.onUpdate(action, p, tagOrigin ? { kind: 'update', updateId: currentUpdateInfo()!.id } : undefined), {
      validator: (p: unknown) => state.validate(action, p),
      description: UPDATE_DESCRIPTIONS[`${action}Update`],
    });
  }
  setHandler(statusQuery, (): RunStatusView => state.view, { description: QUERY_DESCRIPTIONS.status });

  const parsed = RunInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`activationRun input is invalid: ${describeRunInputIssues(parsed.error)}. Start the run again with corrected input.`, 'InvalidInput');
  }
  const input = parsed.data;
  const pauseTimeoutMs = input.pauseTimeout ? durationMs(input.pauseTimeout) : 0;

  const flushAudit = async () => {
    if (state.unaudited.length === 0) return;
    const batch = state.unaudited.splice(0);
    await book.auditActivity({ runId, pipeline: state.view.pipeline, actions: batch });
  };

  const record = async (extra: { pausedReason?: string } = {}) => {
    await book.recordRunActivity({ runId, pipeline: state.view.pipeline, status: state.view.status, stage: state.view.stage, counts: state.view.counts, ...extra });
  };

  const setStatus = async (status: RunStatusView['status'], stage?: string) => {
    state.view.status = status;
    if (stage) state.view.stage = stage;
    showDetails();
    upsertSearchAttributes([{ key: RunStatusKey, value: status }]);
    await flushAudit();
    await record();
  };

  /** Pauses until an operator decides (or pauseTimeout passes: abort by `system`). */
  const awaitDecision = async (kind: 'gate' | 'stage' | 'export', reason: string): Promise<Decision> => {
    state.awaitDecision(kind, reason);
    showDetails();
    upsertSearchAttributes([{ key: RunStatusKey, value: 'PAUSED' }, ...(kind === 'gate' ? [{ key: GateStatusKey, value: 'FAILED' }] : [])]);
    await record({ pausedReason: reason });
    await book.alertActivity({ runId, pipeline: state.view.pipeline, text: `Scoreflow run ${runId} paused: ${reason}. Send approve, resume, abort or rollback.`, kind: kind === 'gate' ? 'gate_failed' : 'stage_failed' });
    await refreshRollbackTargets();
    let decided = true;
    if (pauseTimeoutMs > 0) decided = await condition(() => state.decision !== null, pauseTimeoutMs);
    else await condition(() => state.decision !== null);
    let d: Decision;
    if (decided) {
      d = state.decision!;
    } else {
      d = { kind: 'abort', operator: 'system', reason: `no operator decision within ${input.pauseTimeout}` };
      state.aborted = { operator: d.operator, reason: d.reason };
      state.unaudited.push({ action: 'abort', operator: 'system', reason: d.reason, payload: { pauseTimeout: input.pauseTimeout }, key: `${runId}:abort:pause-timeout` });
    }
    state.decision = null;
    state.endAwait();
    if (d.kind === 'abort') await flushAudit();
    else await setStatus('RUNNING');
    return d;
  };

  /** An operator's pause request takes effect here, between stages. */
  const honourPause = async (): Promise<Stop | null> => {
    if (state.aborted) return { stop: 'ABORTED' };
    if (!state.pauseRequested) return null;
    state.awaitResume();
    await setStatus('PAUSED');
    await condition(() => !state.pauseRequested || state.aborted !== null);
    state.endAwait();
    if (state.aborted) return { stop: 'ABORTED' };
    await setStatus('RUNNING');
    return null;
  };

  /**
   * Runs a stage; when it fails after its retries, pauses for an operator: approve/resume retries
   * it, abort ends the run, a rollback is taken up once the stage has succeeded.
   */
  async function stage<T>(name: string, fn: () => Promise<T>): Promise<T | Stop> {
    for (;;) {
      const stop = await honourPause();
      if (stop) return stop;
      state.view.stage = name;
      showDetails();
      try {
        return await fn();
      } catch (err) {
        if (isCancellation(err)) throw err;
        const message = failureMessage(err);
        log.warn('stage failed; pausing for an operator', { runId, stage: name, error: message });
        const d = await awaitDecision('stage', `stage ${name} failed: ${message}`);
        if (d.kind === 'abort') return { stop: 'ABORTED' };
        if (d.kind === 'rollback') state.pendingRollback = d.payload;
      }
    }
  }

  let pipeline: PipelineConfig | undefined;
  let snapshotId: string | undefined;

  async function refreshRollbackTargets(): Promise<void> {
    if (!pipeline || !snapshotId) return;
    state.view.rollbackTargets = await book.rollbackTargetsActivity({ pipeline, snapshotId });
  }

  const finish = async (status: 'COMPLETED' | 'ABORTED' | 'NO_DATA', reportPath?: string): Promise<ActivationRunResult> => {
    state.acceptingRollback = false;
    await setStatus(status, status === 'COMPLETED' ? 'done' : state.view.stage);
    return { runId, status, counts: state.view.counts, cycles: state.view.cycles.map((c) => c.runId), exports: state.view.exports, reportPath };
  };

  try {
    return await body();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled from the Web UI or `temporal workflow cancel`: record it even though the scope is cancelled.
    await CancellationScope.nonCancellable(async () => {
      state.view.status = 'CANCELLED';
      showDetails();
      upsertSearchAttributes([{ key: RunStatusKey, value: 'CANCELLED' }]);
      await flushAudit();
      await record();
    });
    throw err;
  }

  async function body(): Promise<ActivationRunResult> {
    // ---- pipeline: loaded, validated and snapshotted once; every activity gets the snapshot ----
    const snap = await stage('load-pipeline', () => book.snapshotPipelineActivity({ runId, pipelinePath: input.pipelinePath }));
    if (isStop(snap)) return finish('ABORTED');
    const cfg = snap.config;
    pipeline = cfg;
    state.view.pipeline = cfg.name;
    state.view.pipelineSha256 = snap.sha256;
    upsertSearchAttributes([
      { key: PipelineKey, value: cfg.name },
      { key: RunStatusKey, value: 'RUNNING' },
      { key: GateStatusKey, value: 'NOT_RUN' },
    ]);

    let deliveryIds: string[] = [];
    let feedMaxHitTime: string | undefined;
    /** The champion move a rollback cycle makes once it has passed its gates or was approved. */
    let pendingChampion: { to: RollbackTarget; operator: string; reason: string } | null = null;

    if (input.rollbackOf) {
      const prior = await stage('load-prior-run', () => book.priorRunActivity({ runId: input.rollbackOf! }));
      if (isStop(prior)) return finish('ABORTED');
      snapshotId = prior.snapshotId;
      deliveryIds = prior.deliveryIds;
      if (visible && deliveryIds.length) upsertSearchAttributes([{ key: DeliveryIdKey, value: deliveryIds[deliveryIds.length - 1]! }]);
      if (input.model && input.rollbackReason) {
        await refreshRollbackTargets();
        const check = state.check('rollback', { to: input.model, ...input.rollbackReason });
        if (!check.ok) throw ApplicationFailure.nonRetryable(`rollback of ${input.rollbackOf}: ${check.error}`, 'InvalidRollbackTarget');
        pendingChampion = { to: input.model, ...input.rollbackReason };
      }
    } else {
      const feedDir = input.feedDir ?? cfg.inbox;
      // New for this pipeline: two pipelines on one inbox each take a delivery up once.
      const found = await stage('discover', () => book.discoverDeliveriesActivity({ dir: feedDir, pipeline: cfg.name }));
      if (isStop(found)) return finish('ABORTED');
      state.setCounts({ deliveries: found.deliveries.length, alreadyLoaded: found.alreadyLoaded });
      if (found.deliveries.length === 0) {
        // No new delivery: still take expired members off every stateful destination.
        if (patched(EXPIRE_ON_NO_DATA_PATCH)) {
          const expired = await stage('expire', () => data.expireMembersActivity({ runId, pipeline: cfg }));
          if (isStop(expired)) return finish('ABORTED');
          state.setCounts({ expiredRemoved: expired.removed });
        }
        return finish('NO_DATA');
      }
      for (const d of found.deliveries) {
        const res = await stage('ingest', () =>
          data.ingestFeedActivity({
            dir: feedDir,
            manifestFile: d.manifestFile,
            customerIdColumn: cfg.feed.customerIdColumn,
            consentColumn: cfg.consent.source === 'feed_column' ? cfg.consent.column : undefined,
            maxQuarantineShare: cfg.feed.maxQuarantineShare,
            ...feedEncodingInput(cfg.feed.encoding),
          }),
        );
        if (isStop(res)) return finish('ABORTED');
        deliveryIds.push(res.deliveryId);
        state.addCounts({ records: res.records, loaded: res.loaded, excluded: res.excluded, quarantined: res.quarantined, visitors: res.visitors, pageViews: res.pageViews, orders: res.orders });
      }
      // The newest delivery this run took up: `DeliveryId = "…"` finds the run of a delivery in the Web UI.
      if (visible && deliveryIds.length) upsertSearchAttributes([{ key: DeliveryIdKey, value: deliveryIds[deliveryIds.length - 1]! }]);
      if (patched(PIPELINE_DELIVERIES_PATCH)) {
        const marked = await stage('mark-deliveries', () => book.markDeliveriesTakenActivity({ pipeline: cfg.name, runId, deliveries: found.deliveries }));
        if (isStop(marked)) return finish('ABORTED');
      }
      const ids = await stage('identity-sources', () =>
        data.loadIdentitySourcesActivity({ dir: feedDir, crmExtract: cfg.feed.crmExtract, crmNamespace: cfg.feed.crmNamespace, cmpFile: cfg.consent.source === 'cmp_file' ? cfg.consent.file : undefined }),
      );
      if (isStop(ids)) return finish('ABORTED');
      state.setCounts({ crmCustomers: ids.crmCustomers, cmpConsents: ids.cmpConsents });
      const feat = await stage('features', () => data.extractFeaturesActivity({ deliveryIds, lookbackDays: cfg.features.lookbackDays }));
      if (isStop(feat)) return finish('ABORTED');
      snapshotId = feat.snapshotId;
      feedMaxHitTime = feat.asOf;
      state.setCounts({ features: feat.entities });
      await refreshRollbackTargets();
    }
    const snapshot = snapshotId;

    // ---- cycles: the first, then one per accepted rollback ----
    let target: RollbackTarget | undefined = input.model;
    let cycleNo = 0;
    let cycleId = runId;
    let rollbackOf: string | null = input.rollbackOf ?? null;
    let reportPath: string | undefined;

    const startRollbackCycle = (p: RollbackPayload) => {
      pendingChampion = { to: p.to, operator: p.operator, reason: p.reason };
      rollbackOf = cycleId;
      cycleId = `${runId}.rollback-${++cycleNo}`;
      target = p.to;
    };

    for (;;) {
      if (state.pendingRollback) {
        const p = state.pendingRollback;
        state.pendingRollback = null;
        if (state.view.cycles.length > 0) startRollbackCycle(p);
        else {
          // Sent before the first cycle scored: the first cycle is scored with the target instead.
          target = p.to;
          pendingChampion = { to: p.to, operator: p.operator, reason: p.reason };
        }
      }
      state.view.exportStatus = {};
      const model = await stage('resolve-model', () => book.resolveModelActivity({ pipeline: cfg, target }));
      if (isStop(model)) return finish('ABORTED');
      const modelLabel = model.policy === 'rules' ? `rules:${model.version}` : model.version;
      state.view.model = { name: model.modelName, version: model.version, policy: model.policy, sha256: model.sha256 };
      upsertSearchAttributes([{ key: ModelVersionKey, value: modelLabel }]);
      state.view.cycles.push({ runId: cycleId, rollbackOf, model: model.policy === 'rules' ? `rules:${model.version}` : `${model.modelName}@${model.version}` });

      const scored = await stage('score', async () => sumScores(await fanOut(cfg.scale?.shards, (shard) => data.scoreActivity({ runId: cycleId, parentRunId: runId, pipeline: cfg, snapshotId: snapshot, model, rollbackOf, ...(shard && { shard }) }))));
      if (isStop(scored)) return finish('ABORTED');
      state.setCounts({ scored: scored.scored });

      // Gates, an operator's decision on a failure, and the champion move of a rollback cycle that passed.
      const gateCycle = async (): Promise<'ok' | 'abort' | 'rollback'> => {
        const gate = await stage('gate', () => data.gateCycleActivity({ runId: cycleId, pipeline: cfg, snapshotId: snapshot, policy: model.policy, feedMaxHitTime, actionTime: new Date().toISOString() }));
        if (isStop(gate)) return 'abort';
        state.setGate(gate.status, gate.results);
        upsertSearchAttributes([{ key: GateStatusKey, value: gate.status === 'fail' ? 'FAILED' : gate.status === 'warn' ? 'WARNED' : 'PASSED' }]);

        if (gate.status === 'fail') {
          const failed = gate.results.filter((r) => r.status === 'fail').map((r) => `${r.gate}${r.subject ? `(${r.subject})` : ''}: ${r.detail}`);
          const d = await awaitDecision('gate', `gate failed: ${failed.join('; ')}`);
          if (d.kind === 'abort') {
            await book.recordRunActivity({ runId: cycleId, pipeline: cfg.name, status: 'ABORTED', stage: 'gate', counts: {} });
            return 'abort';
          }
          if (d.kind === 'rollback') {
            startRollbackCycle(d.payload);
            return 'rollback';
          }
          state.view.gate.overriddenBy = { operator: d.operator, reason: d.reason };
          upsertSearchAttributes([{ key: GateStatusKey, value: 'OVERRIDDEN' }]);
        }

        // The rollback cycle passed its gates (or an operator approved it): now the champion moves.
        if (pendingChampion) {
          const move = pendingChampion;
          const moved = await stage('set-champion', () =>
            book.setChampionActivity({ pipeline: cfg, to: move.to, operator: move.operator, reason: move.reason, runId, idempotencyKey: `${runId}:champion:${cycleId}` }),
          );
          if (isStop(moved)) return 'abort';
          pendingChampion = null;
        }
        return 'ok';
      };
      const gateAfterPublish = patched(GATE_AFTER_PUBLISH_PATCH);
      if (!gateAfterPublish) {
        const g = await gateCycle();
        if (g === 'abort') return finish('ABORTED');
        if (g === 'rollback') continue;
      }

      const published = await stage('publish', async () => sumPublished(await fanOut(cfg.scale?.shards, (shard) => data.publishCanonicalActivity({ runId: cycleId, parentRunId: runId, pipeline: cfg, snapshotId: snapshot, model, rollbackOf, ...(shard && { shard }) }))));
      if (isStop(published)) return finish('ABORTED');
      state.setCounts({ published: published.published, contractQuarantined: published.quarantined });

      if (gateAfterPublish) {
        const g = await gateCycle();
        if (g === 'abort') return finish('ABORTED');
        if (g === 'rollback') continue;
      }

      if (cfg.online.enabled) {
        const online = await stage('publish-online', () => data.publishOnlineActivity({ runId: cycleId, namespace: cfg.online.namespace }));
        if (isStop(online)) return finish('ABORTED');
        state.setCounts({ publishedOnline: online.written + online.unchanged });
      }

      const exported = await exportAll(cfg, cycleId);
      if (isStop(exported)) return finish('ABORTED');
      if (exported === 'rollback') continue;
      let exportedRows = 0;
      for (const e of exported) {
        state.view.exports.push({ destination: e.destination, cycleRunId: cycleId, rows: e.rows, location: e.location });
        exportedRows += e.rows;
      }
      state.setCounts({ exported: exportedRows });

      // Activation drift: match and acceptance rates per destination against their trailing average.
      const drift = await stage('activation-drift', () => data.activationDriftActivity({ runId: cycleId, pipeline: cfg }));
      if (isStop(drift)) return finish('ABORTED');
      if (drift.alert) log.warn('activation drift alert', { runId, cycleId, declined: drift.results.filter((r) => r.status !== 'pass').map((r) => `${r.gate}:${r.subject}`) });

      // Round-trip verification, for destinations whose pipeline entry asks for it: read back a sample.
      if (cfg.destinations.some((d) => d.kind !== 'file' && d.verify) && patched(VERIFY_AFTER_EXPORT_PATCH)) {
        const verified = await stage('verify', () => data.verifyCycleActivity({ runId: cycleId, pipeline: cfg }));
        if (isStop(verified)) return finish('ABORTED');
        if (verified.alert) log.warn('verification mismatch alert', { runId, cycleId, failed: verified.results.filter((r) => r.status === 'fail').map((r) => r.destination) });
      }

      const report = await stage('report', () => data.runReportActivity({ runId: cycleId }));
      if (isStop(report)) return finish('ABORTED');
      reportPath = report.path;

      // Outcome measurement for every run whose input or pipeline names an attribution window.
      // Executions from before LIFT_FROM_PIPELINE_PATCH measured only with an input window.
      const attributionWindow = input.attributionWindow ?? (cfg.measurement?.attributionWindow && patched(LIFT_FROM_PIPELINE_PATCH) ? cfg.measurement.attributionWindow : undefined);
      if (attributionWindow && !rollbackOf) {
        await startChild(measureOutcomes, {
          workflowId: `${runId}.measure`,
          args: [{ runId, pipeline: cfg, attributionWindow, feedDir: input.outcomeFeedDir ?? input.feedDir ?? cfg.inbox, windowDays: input.outcomeWindowDays }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      }

      await book.recordRunActivity({ runId: cycleId, pipeline: cfg.name, status: 'COMPLETED', stage: 'done', counts: state.view.counts });

      // Stay open for a rollback during the rollback window; a rollback already pending is taken now.
      const windowMs = input.rollbackWindow ? durationMs(input.rollbackWindow) : 0;
      if (!state.pendingRollback && !state.aborted && windowMs > 0) {
        state.acceptingRollback = true;
        state.view.stage = 'rollback-window';
        showDetails();
        await refreshRollbackTargets();
        await condition(() => state.pendingRollback !== null || state.aborted !== null, windowMs);
        state.acceptingRollback = false;
      }
      await flushAudit();
      if (state.pendingRollback && !state.aborted) continue;
      return finish('COMPLETED', reportPath);
    }
  }

  /** The run input's exportRetryFor, else the pipeline's operations.exportRetryFor (else the child's default, 15m). */
  function exportRetryFor(cfg: PipelineConfig): string | undefined {
    if (input.exportRetryFor) return input.exportRetryFor;
    return cfg.operations?.exportRetryFor && patched(EXPORT_RETRY_FROM_PIPELINE_PATCH) ? cfg.operations.exportRetryFor : undefined;
  }

  /**
   * Exports the cycle to every destination, one child workflow each, all settled. Destinations that
   * failed pause the run; approve/resume re-runs only those (completed children are never started
   * again), abort ends the run, rollback abandons this cycle's remaining exports for a new cycle.
   */
  async function exportAll(cfg: PipelineConfig, cycleId: string): Promise<ExportToDestinationResult[] | Stop | 'rollback'> {
    const done = new Map<string, ExportToDestinationResult>();
    const status = (state.view.exportStatus ??= {});
    for (const d of cfg.destinations) status[d.name] = { status: 'pending', attempts: 0 };
    for (;;) {
      const stop = await honourPause();
      if (stop) return stop;
      state.view.stage = 'export';
      showDetails();
      const todo = cfg.destinations.filter((d) => !done.has(d.name));
      const settled = await Promise.allSettled(
        todo.map((dest) => {
          status[dest.name]!.attempts++;
          return executeChild(exportToDestination, {
            workflowId: `${cycleId}.export.${dest.name}`,
            args: [{ runId: cycleId, pipeline: cfg, destination: dest.name, retryFor: exportRetryFor(cfg), ...(dest.kind !== 'file' && (cfg.scale?.shards ?? 1) > 1 && { shards: cfg.scale!.shards }) }],
          });
        }),
      );
      const failures: string[] = [];
      settled.forEach((s, i) => {
        const name = todo[i]!.name;
        if (s.status === 'fulfilled') {
          done.set(name, s.value);
          status[name] = { ...status[name]!, status: 'completed', rows: s.value.rows, error: undefined };
        } else {
          if (isCancellation(s.reason)) throw s.reason;
          const error = failureMessage(s.reason);
          status[name] = { ...status[name]!, status: 'failed', error };
          failures.push(`${name}: ${error}`);
        }
      });
      if (failures.length === 0) return cfg.destinations.map((d) => done.get(d.name)!);
      log.warn('export failed; pausing for an operator', { runId, cycleId, failed: failures.length, completed: done.size });
      const d = await awaitDecision('export', `export failed for ${failures.length} of ${cfg.destinations.length} destination(s) (${done.size} completed and kept): ${failures.join('; ')}`);
      if (d.kind === 'abort') return { stop: 'ABORTED' };
      if (d.kind === 'rollback') {
        state.pendingRollback = d.payload;
        return 'rollback';
      }
    }
  }
}
