/**
 * Replays committed histories of activationRun (recorded on a dev server with a real worker by
 * scripts/record-history.ts: a rollback window with a refused and an accepted rollback; a run paused
 * and resumed, rolled back to the rules and approved past a failed gate) against the workflows the
 * worker bundles, so a change that breaks determinism fails here before it breaks running workflows.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { WORKFLOWS_PATH } from '../../workers/worker.ts';

interface HistoryEvent {
  eventType: string;
  markerRecordedEventAttributes?: { markerName: string; details?: Record<string, unknown> };
  workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest: { input: { name: string } } };
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
  workflowExecutionSignaledEventAttributes?: { signalName: string };
}

/** The JSON form Temporal's CLI and Web UI export; runReplayHistory converts it. */
const history = (name: string) => JSON.parse(readFileSync(new URL(`./histories/${name}.json`, import.meta.url), 'utf8')) as { events: HistoryEvent[] };

const signals = (h: { events: HistoryEvent[] }) => h.events.flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []);
const updates = (h: { events: HistoryEvent[] }) => h.events.flatMap((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest.input.name ?? []);
const patchMarkers = (h: { events: HistoryEvent[] }) => h.events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
/** The patch ids of a history's markers, in order. */
const patchIds = (h: { events: HistoryEvent[] }) =>
  patchMarkers(h).map((e) => {
    const payload = (e.markerRecordedEventAttributes!.details as { 'patch-data': { payloads: { data: string }[] } })['patch-data'].payloads[0]!;
    return (JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as { id: string }).id;
  });

describe('activationRun replay', () => {
  it('the committed histories cover the operator paths they are named for', () => {
    const rollback = history('activation-run-rollback');
    expect(signals(rollback)).toEqual(['rollback', 'rollback']);
    expect(rollback.events.filter((e) => e.eventType === 'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED')).toHaveLength(2);
    expect(rollback.events.at(-1)!.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    const paused = history('activation-run-paused');
    expect(signals(paused)).toEqual(['pause', 'resume', 'rollback', 'approve']);
    expect(paused.events.at(-1)!.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  });

  it('the previous release\'s histories carry no operator-control-v2 marker (they replay on legacy v1); the new ones do, with updates', () => {
    expect(patchMarkers(history('activation-run-rollback'))).toHaveLength(0);
    expect(patchMarkers(history('activation-run-paused'))).toHaveLength(0);
    // v2.0: recorded before issue 12's patches (still running executions replay them without those steps).
    for (const name of ['activation-run-v2.0-rollback', 'activation-run-v2.0-paused']) {
      const h = history(name);
      expect(patchIds(h)).toEqual(['operator-control-v2']);
      expect(h.events.at(-1)!.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    }
    // v2: the current code, which records the deliveries each pipeline took up.
    for (const name of ['activation-run-v2-rollback', 'activation-run-v2-paused']) {
      const h = history(name);
      expect(patchIds(h)).toEqual(['operator-control-v2', 'pipeline-deliveries']);
      expect(h.events.some((e) => e.activityTaskScheduledEventAttributes?.activityType.name === 'markDeliveriesTakenActivity')).toBe(true);
      expect(h.events.at(-1)!.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    }
    // The refused rollback (9.9.9) and the accepted one are both signals; only the accepted one moved the run on.
    expect(signals(history('activation-run-v2-rollback'))).toEqual(['rollback', 'rollback']);
    // Updates enter history only when their validator accepted them.
    expect(updates(history('activation-run-v2-paused'))).toEqual(['rollbackUpdate', 'approveUpdate']);
  });

  // The recorded workflow ids: child workflow ids derive from them, so replay needs the same.
  for (const [name, workflowId] of [
    ['activation-run-rollback', 'replay.activation-run.rollback'],
    ['activation-run-paused', 'replay.activation-run.paused'],
    ['activation-run-v2-rollback', 'replay.activation-run.v2.rollback'],
    ['activation-run-v2-paused', 'replay.activation-run.v2.paused'],
    ['activation-run-v2.0-rollback', 'replay.activation-run.v2.rollback'],
    ['activation-run-v2.0-paused', 'replay.activation-run.v2.paused'],
  ] as const) {
    it(`replays ${name} without nondeterminism`, async () => {
      await expect(Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history(name), workflowId)).resolves.toBeUndefined();
    }, 60_000);
  }

  it('fails with a DeterminismViolationError when the history and the code disagree', async () => {
    // The first activity the history scheduled is renamed: the code schedules loadPipelineActivity there.
    const altered = history('activation-run-rollback');
    const first = altered.events.find((e) => e.activityTaskScheduledEventAttributes)!;
    expect(first.activityTaskScheduledEventAttributes!.activityType.name).toBe('loadPipelineActivity');
    first.activityTaskScheduledEventAttributes!.activityType.name = 'loadPipelineConfigActivity';
    await expect(Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, altered, 'replay.activation-run.rollback')).rejects.toBeInstanceOf(DeterminismViolationError);
  }, 60_000);
});
