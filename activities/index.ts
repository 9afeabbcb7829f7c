/** Every activity the worker registers. Workflows import this module as types only. */
export { loadPipelineActivity, snapshotPipelineActivity } from './run/pipeline.ts';
export { recordRunActivity, auditActivity, priorRunActivity } from './run/run-record.ts';
export { loadIdentitySourcesActivity } from './run/identity-sources.ts';
export { discoverDeliveriesActivity, markDeliveriesTakenActivity } from './run/discover-deliveries.ts';
export { ingestFeedActivity } from './feed/activities.ts';
export { extractFeaturesActivity } from './features/activities.ts';
export { resolveModelActivity } from './scoring/resolve-model.ts';
export { scoreActivity } from './scoring/score-activity.ts';
export { validateRollbackTargetActivity, setChampionActivity, rollbackTargetsActivity } from './scoring/rollback-activities.ts';
export { gateCycleActivity, alertActivity, runReportActivity } from './run/gates-and-report.ts';
export { activationDriftActivity } from './gates/activation-drift-activity.ts';
export { verifyCycleActivity } from './destinations/verify-destination.ts';
export { publishCanonicalActivity } from './publish/publish-canonical.ts';
export { exportDestinationActivity } from './destinations/export-activity.ts';
export { expireMembersActivity } from './destinations/expire-members.ts';
export { computeOutcomesActivity } from './measurement/outcomes-activity.ts';
export { publishOnlineActivity } from './online/online-store.ts';
export { cartAbandonmentActivity } from './online/cart-activation.ts';
