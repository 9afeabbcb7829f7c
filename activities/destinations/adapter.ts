/**
 * The seam between the shared sync engine and the thin destination adapters.
 * The engine decides WHAT to send (adds, updates, removes, from per-destination state); an adapter
 * only maps, validates and sends one chunk, and reports per-row outcomes.
 */

/** Identifiers resolved for one entity and one destination, already normalized (and hashed where the destination requires). */
export interface ResolvedIdentifiers {
  /** e.g. { thirdPartyId: 'C123' } for Target, { EMAIL: '<sha256>', PHONE: '<sha256>' } for Meta. */
  [key: string]: string | undefined;
}

export interface DeliveryRow {
  entityId: string;
  op: 'upsert' | 'remove';
  /** The destination payload for this row, mapped from the canonical record (attributes, segment, score...). */
  payload: Record<string, unknown>;
  /** sha256 of the canonical JSON of payload + identifiers; the sync engine's change detector. */
  digest: string;
  identifiers: ResolvedIdentifiers;
}

export interface RowRejection {
  entityId: string;
  /** The reason the destination gave, verbatim where possible (never the identifier itself). */
  reason: string;
  retryable: boolean;
}

export interface ChunkResult {
  accepted: string[];
  rejected: RowRejection[];
  /** Destination receipt: batch id, status URL, counts (e.g. Target successfulUpdates/profilesNotFound). */
  receipt: Record<string, unknown>;
}

export interface SendContext {
  /** Stable across retries of the same chunk: derived from run id, destination and chunk number. */
  idempotencyKey: string;
  chunkIndex: number;
  totalChunks: number;
  signal?: AbortSignal;
}

export interface DestinationAdapter {
  readonly kind: string;
  /** Most rows one request may carry (Google 10,000; Meta 10,000; Target bulk 500,000). */
  readonly maxChunkRows: number;
  send(rows: DeliveryRow[], ctx: SendContext): Promise<ChunkResult>;
  /**
   * Read-back for `scoreflow verify`, where the destination's API offers it: one member's attributes
   * as the destination holds them (null: it holds no such profile), or the audience's size.
   */
  fetchProfile?(identifiers: ResolvedIdentifiers, signal?: AbortSignal): Promise<Record<string, string> | null>;
  audienceSize?(signal?: AbortSignal): Promise<AudienceSize>;
}

/** An audience's size as the destination reports it: always a range (an exact count is lower = upper). */
export interface AudienceSize {
  lower: number;
  upper: number;
  /**
   * The destination counts only the members it matched to its own users (Google Customer Match), so
   * it may report as few as this share of what it was sent. Absent: it counts every member it was
   * sent (Meta's approximate count).
   */
  minMatchRate?: number;
  /** The destination has not determined the size yet (Google: both sizes null): there is nothing to compare. */
  undetermined?: boolean;
  /** Which of the destination's figures the range comes from, for the verification's detail. */
  basis?: string;
}

/** Thrown by an adapter when the destination refuses the whole request (400 with a body, bad credentials). Not retryable. */
export class DestinationRejectedError extends Error {
  constructor(
    readonly destination: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DestinationRejected';
  }
}

/** Thrown when the destination asks to slow down (429/503). retryAfterMs honours Retry-After. */
export class DestinationThrottledError extends Error {
  constructor(
    readonly destination: string,
    readonly status: number,
    readonly retryAfterMs: number,
  ) {
    super(`${destination} throttled the request (HTTP ${status}); retry after ${retryAfterMs} ms`);
    this.name = 'DestinationThrottled';
  }
}
