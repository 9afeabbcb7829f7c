export { activationRun } from './activation-run.ts';
export { exportToDestination } from './export-to-destination.ts';
export { measureOutcomes } from './measure-outcomes.ts';
export { cartAbandonment } from './cart-abandonment.ts';
