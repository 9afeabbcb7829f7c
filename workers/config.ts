/** Where workers and clients meet: Temporal address, namespace, Web UI and the versioned task queue. */
import { DEFAULT_NAMESPACE, temporalSettings } from './temporal-connection.ts';

export const QUEUE_VERSION = 1;
export const TASK_QUEUE = process.env.SCOREFLOW_TASK_QUEUE ?? `scoreflow-activation-v${QUEUE_VERSION}`;
/**
 * Real-time workflows (per-visitor cart abandonment, a 30-second offer) poll a queue of their own,
 * served by a worker tuned for many short tasks, so they never wait behind a 10-minute export.
 */
export const REALTIME_TASK_QUEUE = process.env.SCOREFLOW_REALTIME_TASK_QUEUE ?? `scoreflow-realtime-v${QUEUE_VERSION}`;
/**
 * The namespace of TEMPORAL_NAMESPACE or the active envconfig profile (temporal-connection.ts).
 * A broken config file does not fail the import: connecting reports it (temporalSettings throws).
 */
export const TEMPORAL_NAMESPACE = ((): string => {
  try {
    return temporalSettings().namespace;
  } catch {
    return process.env.TEMPORAL_NAMESPACE || DEFAULT_NAMESPACE;
  }
})();

export const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_TEMPORAL_ADDRESS = `127.0.0.1:${DEFAULT_TEMPORAL_PORT}`;
/** `temporal server start-dev` serves its Web UI on the gRPC port + 1000 unless told otherwise (7233 → 8233). */
export const WEB_UI_PORT_OFFSET = 1000;

type Env = Readonly<Record<string, string | undefined>>;

/** TEMPORAL_ADDRESS, else the active envconfig profile's address, else 127.0.0.1:7233. */
export function temporalAddress(env: Env = process.env): string {
  if (env.TEMPORAL_ADDRESS) return env.TEMPORAL_ADDRESS;
  return temporalSettings(env).address;
}

export interface HostPort {
  host: string;
  port: number;
}

function tcpPort(text: string, what: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65_535)) throw new RangeError(`${what}: "${text}" is not a TCP port (1-65535)`);
  return port;
}

/** `host:port`, `[v6]:port` or a bare host (Temporal's default port 7233 then). Throws a RangeError naming the variable. */
export function parseTemporalAddress(address: string, what = 'TEMPORAL_ADDRESS'): HostPort {
  const s = address.trim();
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  const [host, port] = v6 ? [v6[1]!, v6[2]] : s.includes(':') ? [s.slice(0, s.lastIndexOf(':')), s.slice(s.lastIndexOf(':') + 1)] : [s, undefined];
  if (!host || /[\s/]/.test(host)) throw new RangeError(`${what}="${address}" is not host:port; set it like 127.0.0.1:7233`);
  return { host, port: port === undefined ? DEFAULT_TEMPORAL_PORT : tcpPort(port, `${what}="${address}"`) };
}

const hostInUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** Hosts whose server this machine can start: `scoreflow demo` and `dev` bind 127.0.0.1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The Temporal Web UI's base URL, the one place every printed link starts from: TEMPORAL_UI_URL when
 * set, else the UI a dev server at TEMPORAL_ADDRESS has (same host, gRPC port + 1000), so
 * 127.0.0.1:7233 gives http://127.0.0.1:8233. Throws a RangeError naming the variable when either is malformed.
 */
export function webUiUrl(env: Env = process.env): string {
  const explicit = env.TEMPORAL_UI_URL?.trim();
  if (explicit) {
    let url: URL;
    try {
      url = new URL(explicit);
    } catch {
      throw new RangeError(`TEMPORAL_UI_URL="${explicit}" is not a URL; set it to the Web UI's base URL, e.g. http://127.0.0.1:8233`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`TEMPORAL_UI_URL="${explicit}" must be an http(s) URL, e.g. http://127.0.0.1:8233`);
    return explicit.replace(/\/+$/, '');
  }
  const { host, port } = parseTemporalAddress(temporalAddress(env));
  return `http://${hostInUrl(host)}:${port + WEB_UI_PORT_OFFSET}`;
}

export interface LocalDevServerPlan {
  /** As configured (TEMPORAL_ADDRESS or the default). */
  address: string;
  host: string;
  /** gRPC port the server listens on. */
  port: number;
  /** Web UI port a server started here gets, so that webUiUrl() shows it. */
  uiPort: number;
  uiUrl: string;
  /** Whether the address is this machine, i.e. whether a missing server may be started here. */
  local: boolean;
  /** Whether uiUrl is on this machine too, i.e. shows the UI of a server started here. */
  uiLocal: boolean;
}

/**
 * Where a dev server must listen for TEMPORAL_ADDRESS and webUiUrl() to reach it: the address's port,
 * and the UI port of TEMPORAL_UI_URL when that URL is on this machine, else the gRPC port + 1000.
 * `overrides` (from `scoreflow dev --port/--ui-port`) win over the environment.
 */
export function localDevServerPlan(env: Env = process.env, overrides: { port?: number; uiPort?: number } = {}): LocalDevServerPlan {
  const configured = temporalAddress(env);
  const parsed = parseTemporalAddress(configured);
  const host = overrides.port === undefined ? parsed.host : '127.0.0.1';
  const port = overrides.port ?? parsed.port;
  const address = overrides.port === undefined ? configured : `127.0.0.1:${port}`;
  if (overrides.uiPort !== undefined) {
    return { address, host, port, uiPort: overrides.uiPort, uiUrl: `http://127.0.0.1:${overrides.uiPort}`, local: isLoopbackHost(host), uiLocal: true };
  }
  const uiUrl = webUiUrl({ ...env, TEMPORAL_ADDRESS: address });
  const url = new URL(uiUrl);
  const uiLocal = isLoopbackHost(url.hostname);
  const uiPort = env.TEMPORAL_UI_URL?.trim() && uiLocal ? Number(url.port || (url.protocol === 'https:' ? 443 : 80)) : port + WEB_UI_PORT_OFFSET;
  return { address, host, port, uiPort, uiUrl, local: isLoopbackHost(host), uiLocal };
}

export function runLink(workflowId: string, runId?: string): string {
  const base = `${webUiUrl()}/namespaces/${TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}
