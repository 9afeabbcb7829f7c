/**
 * Redis key layout of the online store. Every per-entity key carries the entity id as a hash tag
 * (`{<entity>}`), so an entity's keys share a cluster slot and one Lua script may touch them all.
 *   <ns>:{<entity>}:d         the decision blob (contracts/online-decision.ts), PXAT expires_at
 *   <ns>:{<entity>}:f         real-time feature counters since the blob's cycle (hash)
 *   <ns>:{<entity>}:e:<id>    event dedup marker (SET NX, TTL)
 *   <ns>:ecid:<ecid>          ECID → entity id map (written by publishOnlineActivity)
 */
export const DEFAULT_ONLINE_NAMESPACE = 'sf';

export interface OnlineKeys {
  readonly namespace: string;
  decision(entityId: string): string;
  features(entityId: string): string;
  eventSeen(entityId: string, eventId: string): string;
  ecid(ecid: string): string;
}

export function onlineKeys(namespace = DEFAULT_ONLINE_NAMESPACE): OnlineKeys {
  if (!/^[A-Za-z0-9_.-]+$/.test(namespace)) throw new RangeError(`online store namespace "${namespace}" must be letters, digits, dot, dash or underscore`);
  return {
    namespace,
    decision: (e) => `${namespace}:{${e}}:d`,
    features: (e) => `${namespace}:{${e}}:f`,
    eventSeen: (e, id) => `${namespace}:{${e}}:e:${id}`,
    ecid: (ecid) => `${namespace}:ecid:${ecid}`,
  };
}
