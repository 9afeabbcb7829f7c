/**
 * Prometheus metrics of the decision API and event ingest, on a registry of their own (one per API
 * instance, so tests and benches can build several).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const BREAKER_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

export interface OnlineMetrics {
  registry: Registry;
  decisions: Counter<'source' | 'reason'>;
  decisionLatency: Histogram<'source'>;
  breakerState: Gauge;
  events: Counter<'outcome'>;
  realtimePublishes: Counter<'destination' | 'outcome'>;
  eventToPublish: Histogram<'destination'>;
  quarantined: Counter<'boundary'>;
  authFailures: Counter<'reason'>;
}

export function createOnlineMetrics(opts: { defaultMetrics?: boolean } = {}): OnlineMetrics {
  const registry = new Registry();
  // Standard process_* and nodejs_* names, as on the worker's page: stock dashboards read them.
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    decisions: new Counter({
      name: 'scoreflow_decision_requests_total',
      help: 'Decision API answers by source (model: the online store; fallback: the rules policy) and fallback reason.',
      labelNames: ['source', 'reason'],
      registers: [registry],
    }),
    decisionLatency: new Histogram({
      name: 'scoreflow_decision_latency_seconds',
      help: 'Time to answer GET /v1/decisions, from handler start to reply, by source.',
      labelNames: ['source'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
    breakerState: new Gauge({
      name: 'scoreflow_redis_breaker_state',
      help: 'Circuit breaker on the online store: 0 closed, 1 half-open, 2 open.',
      registers: [registry],
    }),
    events: new Counter({
      name: 'scoreflow_events_total',
      help: 'Ingested XDM events by outcome (applied, duplicate, unmapped, stale, invalid).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    realtimePublishes: new Counter({
      name: 'scoreflow_realtime_publishes_total',
      help: 'Changed decisions sent to real-time destinations, by outcome (delivered, rejected, suppressed).',
      labelNames: ['destination', 'outcome'],
      registers: [registry],
    }),
    eventToPublish: new Histogram({
      name: 'scoreflow_event_to_publish_seconds',
      help: 'From receiving an event to the destination accepting the changed decision.',
      labelNames: ['destination'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    quarantined: new Counter({
      name: 'scoreflow_online_quarantined_total',
      help: 'Online blobs refused by the online_decision contract, by boundary (online: publish; read: the API).',
      labelNames: ['boundary'],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'scoreflow_api_auth_failures_total',
      help: 'Requests to /v1/* refused for their API key, by reason (missing_credentials, invalid_authorization, invalid_api_key, insufficient_scope).',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
