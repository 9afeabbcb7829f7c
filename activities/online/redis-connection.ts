/**
 * Connections to the Redis online store. Commands fail fast instead of queueing: a request path
 * must fall back within its latency budget rather than wait for a reconnect.
 */
import { Redis } from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export function redisUrl(): string {
  return process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
}

export interface OnlineRedisOptions {
  /** Per-command timeout, a backstop (default 1000 ms); the decision path sets its own tighter deadline. */
  commandTimeoutMs?: number;
  /** Queue commands while (re)connecting instead of failing them (batch paths only). */
  offlineQueue?: boolean;
  connectionName?: string;
  /** Send the commands issued in one event-loop tick as one write (default true): fewer syscalls under load. */
  autoPipelining?: boolean;
}

export function createOnlineRedis(url = redisUrl(), opts: OnlineRedisOptions = {}): Redis {
  const redis = new Redis(url, {
    connectionName: opts.connectionName ?? 'scoreflow-online',
    commandTimeout: opts.commandTimeoutMs ?? 1_000,
    connectTimeout: 1_000,
    enableOfflineQueue: opts.offlineQueue ?? false,
    maxRetriesPerRequest: opts.offlineQueue ? 3 : 0,
    // Keep trying to reconnect, every 50 ms at first and at most every 500 ms.
    retryStrategy: (times) => Math.min(50 * times, 500),
    lazyConnect: false,
    enableAutoPipelining: opts.autoPipelining ?? true,
  });
  // Errors surface on the commands; the connection event would otherwise be an unhandled 'error'.
  redis.on('error', () => {});
  return redis;
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export async function redisReady(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis at ${redis.options.host}:${redis.options.port} is not reachable after ${timeoutMs} ms; start it or set REDIS_URL`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}
