/**
 * Adobe Target single profile update as a real-time destination: one changed decision becomes one
 * profile update keyed by mbox3rdPartyId (the record's customer id). Target updates existing profiles
 * only; a row without a third-party id is rejected (not retryable) rather than sent.
 */
import type { ChunkResult, DestinationAdapter, RowRejection } from '../destinations/adapter.ts';
import { TARGET_PROFILE_KIND, TargetProfileInputError, sendSingleProfileUpdate, type ProfileValue } from '../destinations/adobe-target-profile.ts';

export interface TargetRealtimeConfig {
  baseUrl: string;
  client: string;
  /** Name of the environment variable holding a bearer token, when Target needs one. */
  tokenEnv?: string;
  timeoutMs?: number;
}

/** Pure: the profile attributes a real-time decision writes. */
export function targetAttributes(payload: Record<string, unknown>): Record<string, ProfileValue> {
  const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  return {
    sf_segment: str(payload.segment),
    sf_decision_token: str(payload.decision_token),
    sf_model_version: str(payload.model_version),
    sf_expires_at: str(payload.expires_at),
  };
}

export function createTargetProfileRealtimeAdapter(cfg: TargetRealtimeConfig, deps: { fetch?: typeof fetch; env?: Record<string, string | undefined> } = {}): DestinationAdapter {
  const env = deps.env ?? process.env;
  return {
    kind: TARGET_PROFILE_KIND,
    maxChunkRows: 1,
    async send(rows, ctx): Promise<ChunkResult> {
      const accepted: string[] = [];
      const rejected: RowRejection[] = [];
      const statuses: number[] = [];
      for (const row of rows) {
        const thirdPartyId = row.identifiers.thirdPartyId;
        if (!thirdPartyId) {
          rejected.push({ entityId: row.entityId, reason: 'no third-party id (customer id) for this entity; Target single profile update needs mbox3rdPartyId', retryable: false });
          continue;
        }
        try {
          const r = await sendSingleProfileUpdate({
            baseUrl: cfg.baseUrl,
            client: cfg.client,
            thirdPartyId,
            attributes: targetAttributes(row.payload),
            token: cfg.tokenEnv ? env[cfg.tokenEnv] : undefined,
            signal: ctx.signal,
            fetch: deps.fetch,
            timeoutMs: cfg.timeoutMs ?? 2_000,
          });
          statuses.push(r.status);
          accepted.push(row.entityId);
        } catch (err) {
          if (err instanceof TargetProfileInputError) rejected.push({ entityId: row.entityId, reason: err.message, retryable: false });
          else throw err;
        }
      }
      return { accepted, rejected, receipt: { destination: TARGET_PROFILE_KIND, statuses } };
    },
  };
}
