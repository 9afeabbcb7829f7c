/**
 * The online store's Lua scripts. Each runs atomically in Redis, so a reader never observes half of
 * an update: a cycle's blob replaces the previous one in one SET, an event's dedup marker and its
 * counter increments land together, and a real-time rewrite only applies to the blob it was computed
 * from (compare-and-set).
 */
import { createHash } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';

export class LuaScript {
  readonly sha: string;
  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script, loading it when the server does not know it yet (first use, or after a restart). */
  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }

  /** Makes sure the server has the script, so `queue` can use EVALSHA in a pipeline. */
  async load(redis: Redis): Promise<void> {
    await redis.script('LOAD', this.source);
  }

  queue(pipeline: ChainableCommander, keys: string[], args: (string | number)[]): void {
    pipeline.evalsha(this.sha, keys.length, ...keys, ...args);
  }
}

/**
 * Publish one cycle's blob. KEYS: decision, features. ARGV: blob, expires_at (Unix ms), cycle_at, source_cycle.
 * Returns 1 written, 0 skipped (a later cycle is already there), 2 unchanged (this cycle is already
 * there, possibly rewritten by a real-time event since: a retried publish must not undo that).
 * Writing a new cycle drops the real-time counters of the previous one.
 */
export const publishBlobScript = new LuaScript(
  'publishBlob',
  `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, obj = pcall(cjson.decode, cur)
  if ok and type(obj) == 'table' then
    local at = tonumber(obj['cycle_at'])
    if at and at > tonumber(ARGV[3]) then return 0 end
    if at and at == tonumber(ARGV[3]) and obj['source_cycle'] == ARGV[4] then return 2 end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
redis.call('DEL', KEYS[2])
return 1
`,
);

/**
 * Apply one event. KEYS: dedup marker, features, decision. ARGV: dedup TTL s, features TTL ms,
 * event time ms, purchase (0|1), then field/increment pairs.
 * Returns {0} for an event already seen (nothing changed), else {1, blob or '', counters...}.
 */
export const ingestEventScript = new LuaScript(
  'ingestEvent',
  `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return {0} end
for i = 5, #ARGV, 2 do
  redis.call('HINCRBYFLOAT', KEYS[2], ARGV[i], ARGV[i + 1])
end
local t = tonumber(ARGV[3])
local last = tonumber(redis.call('HGET', KEYS[2], 'last_event_ms') or '0')
if t > last then redis.call('HSET', KEYS[2], 'last_event_ms', ARGV[3]) end
if ARGV[4] == '1' then
  local lp = tonumber(redis.call('HGET', KEYS[2], 'last_purchase_ms') or '0')
  if t > lp then redis.call('HSET', KEYS[2], 'last_purchase_ms', ARGV[3]) end
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {1, redis.call('GET', KEYS[3]) or '', redis.call('HGETALL', KEYS[2])}
`,
);

/** Compare-and-set a blob. KEYS: decision. ARGV: expected current value, new value, expires_at (Unix ms). Returns 1 or 0. */
export const casBlobScript = new LuaScript(
  'casBlob',
  `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
return 1
`,
);
