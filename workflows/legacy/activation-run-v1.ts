/**
 * FROZEN: activationRun as released before operator control v2 (see ../activation-run.ts). It stays
 * so that executions started by the previous release (paused runs, open rollback windows) keep
 * replaying and finish on the new worker: activationRun dispatches here when its history has no
 * `operator-control-v2` patch marker. Never change its command sequence; delete it (and deprecate
 * the patch) once no execution of the previous release is open.
 *
 * activationRun v1: one micro-batch cycle. ingest → features → score → gate → publish → export.
 * Rows never pass through Temporal: activities exchange batch ids, snapshot ids and counts.
 * Deterministic only: activities are imported as types.
 */
import {
  ActivityFailure,
  condition,
  executeChild,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  ParentClosePolicy,
  startChild,
} from '@temporalio/workflow';
import type * as activities from '../../activities/index.ts';
import type { RollbackTarget } from './messages-v1.ts';
import {
  QUERY_DESCRIPTIONS,
  SIGNAL_DESCRIPTIONS,
  abortSignal,
  approveSignal,
  pauseSignal,
  resumeSignal,
  rollbackSignal,
  statusQuery,
} from './messages-v1.ts';
import { RunState } from './run-state-v1.ts';
import { GateStatusKey, ModelVersionKey, PipelineKey, RunStatusKey } from '../search-attributes.ts';
import { exportToDestination } from '../export-to-destination.ts';
import { measureOutcomes } from '../measure-outcomes.ts';
import { durationMs } from '../../contracts/pipeline-config.ts';

const NON_RETRYABLE = ['InvalidFeed', 'ContractViolation', 'GateFailed', 'DestinationRejected', 'InvalidPipelineConfig', 'InvalidModel', 'InvalidRollbackTarget'];

const acts = proxyActivities<typeof activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE },
});

export interface ActivationRunInput {
  /** Pipeline config file (YAML or JSON), resolved by the worker. */
  pipelinePath: string;
  /** Ingest complete deliveries from this folder instead of the pipeline's inbox. */
  feedDir?: string;
  /** Score this run with a given version or the rules policy instead of the pipeline's champion. */
  model?: RollbackTarget;
  /** Roll back the named earlier run: re-score its feature snapshot with `model`, publish, and send deltas. */
  rollbackOf?: string;
  /** Operator and reason of a rollback run started from the terminal (`scoreflow rollback`); audited. */
  rollbackReason?: { operator: string; reason: string };
  /** How long a run paused for an operator waits before it ends as ABORTED ("0s" = indefinitely). */
  pauseTimeout?: string;
  /** How long a completed run stays open for a `rollback` signal. Default "0s". */
  rollbackWindow?: string;
  /** Start measureOutcomes for this run with this attribution window (e.g. "7d"; tests use "200ms"). */
  attributionWindow?: string;
  /** Extra inbox for outcome deliveries (defaults to the feed folder). */
  outcomeFeedDir?: string;
  /** Data-time outcome window in days for measureOutcomes (default: the score's horizon). */
  outcomeWindowDays?: number;
}

export interface ActivationRunResult {
  runId: string;
  status: string;
  counts: Record<string, number>;
  cycles: string[];
  exports: { destination: string; cycleRunId: string; rows: number; location?: string }[];
  reportPath?: string;
}

export async function activationRunV1(input: ActivationRunInput): Promise<ActivationRunResult> {
  const info = workflowInfo();
  const runId = info.workflowId;
  const state = new RunState(runId, 'unknown', () => new Date().toISOString());

  setHandler(pauseSignal, (p) => state.onPause(p), { description: SIGNAL_DESCRIPTIONS.pause });
  setHandler(resumeSignal, (p) => state.onResume(p), { description: SIGNAL_DESCRIPTIONS.resume });
  setHandler(approveSignal, (p) => state.onApprove(p), { description: SIGNAL_DESCRIPTIONS.approve });
  setHandler(abortSignal, (p) => state.onAbort(p), { description: SIGNAL_DESCRIPTIONS.abort });
  setHandler(rollbackSignal, (p) => state.onRollback(p), { description: SIGNAL_DESCRIPTIONS.rollback });
  setHandler(statusQuery, () => state.view, { description: QUERY_DESCRIPTIONS.status });

  const pauseTimeoutMs = input.pauseTimeout ? durationMs(input.pauseTimeout) : 0;

  const setStatus = async (status: typeof state.view.status, stage?: string) => {
    state.view.status = status;
    if (stage) state.view.stage = stage;
    upsertSearchAttributes([{ key: RunStatusKey, value: status }]);
    await flushAudit();
    await acts.recordRunActivity({ runId, pipeline: state.view.pipeline, status, stage: state.view.stage, counts: state.view.counts });
  };

  const flushAudit = async () => {
    if (state.unaudited.length === 0) return;
    const batch = state.unaudited.splice(0);
    await acts.auditActivity({ runId, pipeline: state.view.pipeline, actions: batch });
  };

  /** Waits for an operator decision (approve/resume, abort, rollback) after a failure. */
  const awaitDecision = async (reason: string, gateFailed: boolean) => {
    state.view.pausedReason = reason;
    state.awaitingDecision = true;
    state.decision = null;
    state.view.status = 'PAUSED';
    upsertSearchAttributes([
      { key: RunStatusKey, value: 'PAUSED' },
      ...(gateFailed ? [{ key: GateStatusKey, value: 'FAILED' }] : []),
    ]);
    await acts.recordRunActivity({ runId, pipeline: state.view.pipeline, status: 'PAUSED', stage: state.view.stage, counts: state.view.counts, pausedReason: reason });
    await acts.alertActivity({ runId, pipeline: state.view.pipeline, text: `Scoreflow run ${runId} paused: ${reason}`, kind: gateFailed ? 'gate_failed' : 'stage_failed' });
    // Fixed in place (issue 11): condition(fn, undefined) resolves to undefined, which read as a
    // timeout and aborted every default-settings run on approve. Without a timeout, a decision is
    // the only way out. The command sequence of every recorded history is unchanged.
    const decided = pauseTimeoutMs > 0 ? await condition(() => state.decision !== null, pauseTimeoutMs) : (await condition(() => state.decision !== null), true);
    state.awaitingDecision = false;
    state.view.pausedReason = null;
    await flushAudit();
    if (!decided) return { kind: 'abort' as const, operator: 'system', reason: `no operator decision within ${input.pauseTimeout}` };
    const d = state.decision!;
    if (d.kind !== 'abort') await setStatus('RUNNING');
    return d;
  };

  /** Runs a stage; when it fails after its retries, pauses for an operator: resume retries, abort ends. */
  async function stage<T>(name: string, fn: () => Promise<T>): Promise<T | 'aborted'> {
    for (;;) {
      if (state.aborted) return 'aborted';
      if (state.pauseRequested) {
        state.view.pausedReason = 'paused by operator';
        await setStatus('PAUSED');
        await condition(() => !state.pauseRequested || state.aborted !== null);
        state.view.pausedReason = null;
        if (state.aborted) return 'aborted';
        await setStatus('RUNNING');
      }
      state.view.stage = name;
      try {
        return await fn();
      } catch (err) {
        const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
        const message = cause instanceof Error ? cause.message : String(cause);
        log.warn('stage failed; pausing for an operator', { runId, stage: name, error: message });
        const d = await awaitDecision(`stage ${name} failed: ${message}`, false);
        if (d.kind === 'abort') {
          state.aborted = { operator: d.operator, reason: d.reason };
          return 'aborted';
        }
        // approve/resume retries the stage; a rollback is taken up after the stage succeeds
        if (d.kind === 'rollback') state.pendingRollback = d.payload;
      }
    }
  }

  const finish = async (status: 'COMPLETED' | 'ABORTED' | 'NO_DATA', reportPath?: string): Promise<ActivationRunResult> => {
    await setStatus(status, status === 'COMPLETED' ? 'done' : state.view.stage);
    return {
      runId,
      status,
      counts: state.view.counts,
      cycles: state.view.cycles.map((c) => c.runId),
      exports: state.view.exports,
      reportPath,
    };
  };

  // ---- pipeline and input ----
  const cfgOrAbort = await stage('load-pipeline', () => acts.loadPipelineActivity({ pipelinePath: input.pipelinePath }));
  if (cfgOrAbort === 'aborted') return finish('ABORTED');
  const cfg = cfgOrAbort;
  state.view.pipeline = cfg.name;
  upsertSearchAttributes([
    { key: PipelineKey, value: cfg.name },
    { key: RunStatusKey, value: 'RUNNING' },
    { key: GateStatusKey, value: 'NOT_RUN' },
  ]);
  await acts.recordRunActivity({ runId, pipeline: cfg.name, status: 'RUNNING', stage: 'discover', counts: {} });

  let cycleNo = 0;
  let snapshotId: string;
  let deliveryIds: string[] = [];
  let feedMaxHitTime: string | undefined;
  if (input.rollbackOf) {
    const prior = await stage('load-prior-run', () => acts.priorRunActivity({ runId: input.rollbackOf! }));
    if (prior === 'aborted') return finish('ABORTED');
    snapshotId = prior.snapshotId;
    deliveryIds = prior.deliveryIds;
    if (input.model && input.rollbackReason) {
      const ok = await applyRollback(input.model, input.rollbackReason.operator, input.rollbackReason.reason, snapshotId);
      if (!ok) {
        state.view.pausedReason = null;
        return finish('ABORTED');
      }
    }
  } else {
    const feedDir = input.feedDir ?? cfg.inbox;
    const found = await stage('discover', () => acts.discoverDeliveriesActivity({ dir: feedDir }));
    if (found === 'aborted') return finish('ABORTED');
    if (found.deliveries.length === 0) {
      state.setCounts({ deliveries: 0 });
      return finish('NO_DATA');
    }
    for (const d of found.deliveries) {
      const res = await stage('ingest', () =>
        acts.ingestFeedActivity({
          dir: feedDir,
          manifestFile: d.manifestFile,
          customerIdColumn: cfg.feed.customerIdColumn,
          consentColumn: cfg.consent.source === 'feed_column' ? cfg.consent.column : undefined,
          maxQuarantineShare: cfg.feed.maxQuarantineShare,
        }),
      );
      if (res === 'aborted') return finish('ABORTED');
      deliveryIds.push(res.deliveryId);
      state.addCounts({ records: res.records, loaded: res.loaded, excluded: res.excluded, quarantined: res.quarantined, visitors: res.visitors, pageViews: res.pageViews, orders: res.orders });
    }
    const ids = await stage('identity-sources', () =>
      acts.loadIdentitySourcesActivity({ dir: feedDir, crmExtract: cfg.feed.crmExtract, crmNamespace: cfg.feed.crmNamespace, cmpFile: cfg.consent.source === 'cmp_file' ? cfg.consent.file : undefined }),
    );
    if (ids === 'aborted') return finish('ABORTED');
    state.setCounts({ crmCustomers: ids.crmCustomers, cmpConsents: ids.cmpConsents });
    const snap = await stage('features', () => acts.extractFeaturesActivity({ deliveryIds, lookbackDays: cfg.features.lookbackDays }));
    if (snap === 'aborted') return finish('ABORTED');
    snapshotId = snap.snapshotId;
    feedMaxHitTime = snap.asOf;
    state.setCounts({ features: snap.entities });
  }

  // ---- cycles: the first, then one per rollback ----
  let target: RollbackTarget | undefined = input.model;
  let cycleId = input.rollbackOf ? `${runId}` : runId;
  let rollbackOf: string | null = input.rollbackOf ?? null;
  let reportPath: string | undefined;

  for (;;) {
    const model = await stage('resolve-model', () => acts.resolveModelActivity({ pipelinePath: input.pipelinePath, target }));
    if (model === 'aborted') return finish('ABORTED');
    state.view.model = { name: model.modelName, version: model.version, policy: model.policy, sha256: model.sha256 };
    upsertSearchAttributes([{ key: ModelVersionKey, value: model.policy === 'rules' ? `rules:${model.version}` : model.version }]);
    state.view.cycles.push({ runId: cycleId, rollbackOf, model: model.policy === 'rules' ? `rules:${model.version}` : `${model.modelName}@${model.version}` });

    const scored = await stage('score', () => acts.scoreActivity({ runId: cycleId, parentRunId: runId, pipelinePath: input.pipelinePath, snapshotId, model, rollbackOf }));
    if (scored === 'aborted') return finish('ABORTED');
    state.setCounts({ scored: scored.scored });

    const gate = await stage('gate', () => acts.gateCycleActivity({ runId: cycleId, pipelinePath: input.pipelinePath, snapshotId, feedMaxHitTime, actionTime: new Date().toISOString() }));
    if (gate === 'aborted') return finish('ABORTED');
    state.setGate(gate.status, gate.results);
    upsertSearchAttributes([{ key: GateStatusKey, value: gate.status === 'fail' ? 'FAILED' : gate.status === 'warn' ? 'WARNED' : 'PASSED' }]);

    if (gate.status === 'fail') {
      const failed = gate.results.filter((r) => r.status === 'fail').map((r) => `${r.gate}${r.subject ? `(${r.subject})` : ''}: ${r.detail}`);
      const d = await awaitDecision(`gate failed: ${failed.join('; ')}`, true);
      if (d.kind === 'abort') {
        state.aborted = { operator: d.operator, reason: d.reason };
        await acts.recordRunActivity({ runId: cycleId, pipeline: cfg.name, status: 'ABORTED', stage: 'gate', counts: {} });
        return finish('ABORTED');
      }
      if (d.kind === 'rollback') {
        const ok = await applyRollback(d.payload.to, d.payload.operator, d.payload.reason, snapshotId);
        if (!ok) continue; // invalid target: recorded; re-gate the same cycle
        rollbackOf = cycleId;
        cycleId = `${runId}.rollback-${++cycleNo}`;
        target = d.payload.to;
        continue;
      }
      state.view.gate.overriddenBy = { operator: d.operator, reason: d.reason };
      upsertSearchAttributes([{ key: GateStatusKey, value: 'OVERRIDDEN' }]);
    }

    const published = await stage('publish', () => acts.publishCanonicalActivity({ runId: cycleId, parentRunId: runId, pipelinePath: input.pipelinePath, snapshotId, model, rollbackOf }));
    if (published === 'aborted') return finish('ABORTED');
    state.setCounts({ published: published.published, contractQuarantined: published.quarantined });

    if (cfg.online.enabled) {
      const online = await stage('publish-online', () => acts.publishOnlineActivity({ runId: cycleId, namespace: cfg.online.namespace }));
      if (online === 'aborted') return finish('ABORTED');
      state.setCounts({ publishedOnline: online.written + online.unchanged });
    }

    const exported = await stage('export', async () => {
      const results = await Promise.all(
        cfg.destinations.map((dest) =>
          executeChild(exportToDestination, {
            workflowId: `${cycleId}.export.${dest.name}`,
            args: [{ runId: cycleId, pipelinePath: input.pipelinePath, destination: dest.name }],
          }),
        ),
      );
      return results;
    });
    if (exported === 'aborted') return finish('ABORTED');
    let exportedRows = 0;
    for (const e of exported) {
      state.view.exports.push({ destination: e.destination, cycleRunId: cycleId, rows: e.rows, location: e.location });
      exportedRows += e.rows;
    }
    state.setCounts({ exported: exportedRows });

    // Activation drift: match and acceptance rates per destination against their trailing average.
    const drift = await stage('activation-drift', () => acts.activationDriftActivity({ runId: cycleId, pipelinePath: input.pipelinePath }));
    if (drift === 'aborted') return finish('ABORTED');
    if (drift.alert) log.warn('activation drift alert', { runId, cycleId, declined: drift.results.filter((r) => r.status !== 'pass').map((r) => `${r.gate}:${r.subject}`) });

    const report = await stage('report', () => acts.runReportActivity({ runId: cycleId }));
    if (report !== 'aborted') reportPath = report.path;

    if (input.attributionWindow && !rollbackOf) {
      await startChild(measureOutcomes, {
        workflowId: `${runId}.measure`,
        args: [{ runId, pipelinePath: input.pipelinePath, attributionWindow: input.attributionWindow, feedDir: input.outcomeFeedDir ?? input.feedDir ?? cfg.inbox, windowDays: input.outcomeWindowDays }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    }

    await acts.recordRunActivity({ runId: cycleId, pipeline: cfg.name, status: 'COMPLETED', stage: 'done', counts: state.view.counts });

    // Stay open for a rollback during the rollback window. A rollback to an invalid target is refused
    // (listed in `status`) and the window stays open for a valid one until it ends.
    const windowEnds = Date.now() + (input.rollbackWindow ? durationMs(input.rollbackWindow) : 0);
    let accepted: RollbackTarget | null = null;
    for (;;) {
      if (!state.pendingRollback && !state.aborted && Date.now() < windowEnds) {
        state.acceptingRollback = true;
        state.view.stage = 'rollback-window';
        await condition(() => state.pendingRollback !== null || state.aborted !== null, windowEnds - Date.now());
      }
      const rb = state.pendingRollback;
      state.pendingRollback = null;
      if (!rb || state.aborted) break;
      await flushAudit();
      if (await applyRollback(rb.to, rb.operator, rb.reason, snapshotId)) {
        accepted = rb.to;
        break;
      }
    }
    if (accepted) {
      rollbackOf = cycleId;
      cycleId = `${runId}.rollback-${++cycleNo}`;
      target = accepted;
      continue;
    }
    state.acceptingRollback = false;
    return finish('COMPLETED', reportPath);
  }

  async function applyRollback(to: RollbackTarget, operator: string, reason: string, snapshot: string): Promise<boolean> {
    const check = await acts.validateRollbackTargetActivity({ pipelinePath: input.pipelinePath, to, snapshotId: snapshot });
    if (!check.ok) {
      state.rejectSignal('rollback', check.error);
      log.warn('rollback rejected', { runId, error: check.error });
      return false;
    }
    await acts.setChampionActivity({ pipelinePath: input.pipelinePath, to, operator, reason, runId, idempotencyKey: `${runId}:champion:${cycleNo + 1}` });
    return true;
  }
}

