/**
 * NATS JetStream destination (docs/destinations/nats-jetstream.md). Each row is one message on the configured subject,
 * with the header `Nats-Msg-Id` set to the row's idempotency key (row-message-id.ts). Within the
 * stream's duplicate window the server stores a second message with the same id only once and
 * answers it with PubAck.duplicate = true; such rows count as accepted and the receipt reports them
 * as duplicates, so a retried chunk is visible as a redelivery rather than a double publish.
 * The stream is created when missing (subjects = [subject], duplicate window configurable); an
 * existing stream is used as it is, provided it captures the subject.
 */
import { connect, headers as natsHeaders, nanos, type JetStreamClient, type NatsConnection, type NatsError, type StreamConfig } from 'nats';
import { z } from 'zod';
import { logger } from '../observability/logger.ts';
import { DestinationRejectedError, type ChunkResult, type DestinationAdapter, type RowRejection, type SendContext } from './adapter.ts';
import { rowMessageId } from './row-message-id.ts';

export const NATS_KIND = 'nats-jetstream';
const encoder = new TextEncoder();
/** JetStream's "stream not found" API error code. */
const STREAM_NOT_FOUND = 10059;

const Token = z.string().regex(/^[^\s.*>]+$/, 'a subject token without spaces, dots or wildcards');

export const NatsJetStreamConfig = z.object({
  servers: z.union([z.string(), z.array(z.string()).min(1)]).default('127.0.0.1:4222'),
  stream: z.string().regex(/^[A-Za-z0-9_-]+$/, 'a stream name: letters, digits, - and _'),
  subject: z.string().refine((s) => s.split('.').every((t) => Token.safeParse(t).success), 'a literal subject like scoreflow.decisions'),
  /** How long the server remembers message ids (JetStream's default is 2 minutes). Used when creating the stream. */
  duplicateWindowMs: z.int().min(100).default(120_000),
  /** Name of the environment variable holding an auth token, if the server needs one. */
  tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
  /**
   * How long one publish waits for its PubAck. Generous: an exporter on a busy host sees acks queue
   * behind its own window, and a timed-out chunk is re-sent whole (deduplicated by Nats-Msg-Id, but
   * still work). Keep it well under duplicateWindowMs.
   */
  ackTimeoutMs: z.int().positive().default(30_000),
  /** The in-flight window: asynchronous publishes awaiting their PubAck at once. */
  concurrency: z.int().min(1).max(4_096).default(256),
  /** When the window is full, this many of the oldest acks are awaited together before publishing on. */
  ackBatch: z.int().min(1).max(4_096).default(64),
  maxChunkRows: z.int().min(1).max(100_000).default(10_000),
});
export type NatsJetStreamConfig = z.infer<typeof NatsJetStreamConfig>;

export interface NatsReceipt {
  destination: typeof NATS_KIND;
  stream: string;
  subject: string;
  duplicateWindowMs: number;
  published: number;
  duplicates: number;
  /** Positions in the chunk of the rows the server had already stored (never entity ids). */
  duplicateRows: number[];
  firstSeq?: number;
  lastSeq?: number;
}

export interface NatsJetStreamAdapter extends DestinationAdapter {
  readonly kind: typeof NATS_KIND;
  readonly config: NatsJetStreamConfig;
  /** Closes the connection if the adapter opened it. */
  close(): Promise<void>;
}

/** Pure: does a NATS subject filter (with * and >) capture a literal subject? */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

export function createNatsJetStreamAdapter(
  config: z.input<typeof NatsJetStreamConfig>,
  deps: { connection?: NatsConnection; env?: Record<string, string | undefined> } = {},
): NatsJetStreamAdapter {
  const cfg = NatsJetStreamConfig.parse(config);
  const env = deps.env ?? process.env;
  const log = logger().child({ destination: NATS_KIND, stream: cfg.stream });
  let nc: NatsConnection | undefined = deps.connection;
  let ready: Promise<{ js: JetStreamClient; stream: StreamConfig }> | undefined;

  async function open(): Promise<{ js: JetStreamClient; stream: StreamConfig }> {
    if (!nc) {
      const token = cfg.tokenEnv ? env[cfg.tokenEnv] : undefined;
      if (cfg.tokenEnv && !token) throw new DestinationRejectedError(NATS_KIND, 0, `environment variable ${cfg.tokenEnv} (the NATS token) is not set`);
      nc = await connect({ servers: cfg.servers, token, name: 'scoreflow-destination' });
    }
    const jsm = await nc.jetstreamManager();
    let stream: StreamConfig;
    try {
      stream = (await jsm.streams.info(cfg.stream)).config;
    } catch (err) {
      if ((err as NatsError).api_error?.err_code !== STREAM_NOT_FOUND) throw err;
      stream = (await jsm.streams.add({ name: cfg.stream, subjects: [cfg.subject], duplicate_window: nanos(cfg.duplicateWindowMs) })).config;
      log.info({ duplicateWindowMs: cfg.duplicateWindowMs }, 'jetstream stream created');
    }
    if (!(stream.subjects ?? []).some((f) => subjectMatches(f, cfg.subject))) {
      throw new DestinationRejectedError(NATS_KIND, 0, `stream ${cfg.stream} exists but does not capture subject ${cfg.subject}; add the subject to the stream or pick another stream name`);
    }
    return { js: nc.jetstream(), stream };
  }

  return {
    kind: NATS_KIND,
    maxChunkRows: cfg.maxChunkRows,
    config: cfg,
    async send(rows, ctx: SendContext): Promise<ChunkResult> {
      ready ??= open();
      let js: JetStreamClient;
      let stream: StreamConfig;
      try {
        ({ js, stream } = await ready);
      } catch (err) {
        ready = undefined;
        throw err;
      }
      const accepted: string[] = [];
      const rejected: RowRejection[] = [];
      const receipt: NatsReceipt = {
        destination: NATS_KIND,
        stream: cfg.stream,
        subject: cfg.subject,
        duplicateWindowMs: Math.round((stream.duplicate_window ?? 0) / 1e6),
        published: 0,
        duplicates: 0,
        duplicateRows: [],
      };
      let firstSeq = Infinity;
      let lastSeq = -Infinity;
      let failure: unknown;
      // Asynchronous publishes in a bounded window: up to `concurrency` messages await their PubAck
      // at once; when the window is full the oldest `ackBatch` acks are awaited together.
      const window: Promise<void>[] = [];
      const settle = async (n: number) => {
        await Promise.all(window.splice(0, n));
      };
      for (let i = 0; i < rows.length && failure === undefined; i++) {
        const row = rows[i]!;
        const h = natsHeaders();
        h.set('Scoreflow-Op', row.op);
        h.set('Scoreflow-Digest', row.digest);
        const body = JSON.stringify({ entity_id: row.entityId, op: row.op, digest: row.digest, payload: row.payload });
        window.push(
          js.publish(cfg.subject, encoder.encode(body), { msgID: rowMessageId(ctx.idempotencyKey, row), headers: h, timeout: cfg.ackTimeoutMs }).then(
            (ack) => {
              accepted.push(row.entityId);
              if (ack.duplicate) {
                receipt.duplicates++;
                receipt.duplicateRows.push(i);
              } else {
                receipt.published++;
                if (ack.seq < firstSeq) firstSeq = ack.seq;
                if (ack.seq > lastSeq) lastSeq = ack.seq;
              }
            },
            (err: unknown) => {
              failure ??= err;
            },
          ),
        );
        if (window.length >= cfg.concurrency) await settle(Math.min(cfg.ackBatch, window.length));
      }
      await settle(window.length);
      if (failure !== undefined) {
        log.warn({ chunk: ctx.chunkIndex, published: receipt.published, error: (failure as Error).message }, 'jetstream chunk interrupted; the retry re-sends the same Nats-Msg-Ids');
        throw failure;
      }
      receipt.duplicateRows.sort((a, b) => a - b);
      if (receipt.published > 0) {
        receipt.firstSeq = firstSeq;
        receipt.lastSeq = lastSeq;
      }
      log.info({ chunk: ctx.chunkIndex, published: receipt.published, duplicates: receipt.duplicates }, 'jetstream chunk delivered');
      return { accepted, rejected, receipt: { ...receipt } };
    },
    async close() {
      if (nc && !deps.connection) await nc.drain();
      nc = deps.connection;
      ready = undefined;
    },
  };
}
