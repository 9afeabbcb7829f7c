import { randomUUID } from 'node:crypto';
import { connect, nanos, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DestinationRejectedError, type DeliveryRow, type SendContext } from '../../activities/destinations/adapter.ts';
import { createNatsJetStreamAdapter, subjectMatches, type NatsReceipt } from '../../activities/destinations/nats-jetstream.ts';
import { rowMessageId } from '../../activities/destinations/row-message-id.ts';

const NATS_URL = process.env.NATS_URL ?? '127.0.0.1:4222';
let nc: NatsConnection;
const streams: string[] = [];
beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
});
afterAll(async () => {
  const jsm = await nc.jetstreamManager();
  for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
  await nc.drain();
});

function names() {
  const id = randomUUID().slice(0, 8);
  const stream = `SF_TEST_${id}`;
  streams.push(stream);
  return { stream, subject: `scoreflow.test.${id}.decisions` };
}

const rows: DeliveryRow[] = Array.from({ length: 4 }, (_, i) => ({
  entityId: `${i}_${i}`,
  op: 'upsert',
  payload: { segment: 'high', score: i / 4 },
  digest: `digest-${i}`,
  identifiers: {},
}));
const ctx = (key: string): SendContext => ({ idempotencyKey: key, chunkIndex: 0, totalChunks: 1 });

describe('NatsJetStreamAdapter.send against the real NATS server', () => {
  it('creates the stream with the configured duplicate window and publishes one message per row with Nats-Msg-Id', async () => {
    const { stream, subject } = names();
    const adapter = createNatsJetStreamAdapter({ servers: NATS_URL, stream, subject, duplicateWindowMs: 30_000 });
    try {
      const result = await adapter.send(rows, ctx('run-1/nats/0'));
      const receipt = result.receipt as unknown as NatsReceipt;
      expect(result.accepted.sort()).toEqual(rows.map((r) => r.entityId));
      expect(receipt).toMatchObject({ published: 4, duplicates: 0, duplicateWindowMs: 30_000, firstSeq: 1, lastSeq: 4 });

      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info(stream);
      expect(info.config.duplicate_window).toBe(nanos(30_000));
      expect(info.state.messages).toBe(4);
      const ids = new Set<string>();
      for (let seq = 1; seq <= 4; seq++) {
        const m = await jsm.streams.getMessage(stream, { seq });
        ids.add(m.header.get('Nats-Msg-Id'));
        const body = m.json<{ entity_id: string; op: string }>();
        expect(m.header.get('Nats-Msg-Id')).toBe(rowMessageId('run-1/nats/0', rows.find((r) => r.entityId === body.entity_id)!));
        expect(m.header.get('Scoreflow-Op')).toBe('upsert');
      }
      expect(ids.size).toBe(4);
    } finally {
      await adapter.close();
    }
  });

  it('lets the server drop a redelivered chunk: same Nats-Msg-Id twice, the stream holds one, the receipt reports duplicates', async () => {
    const { stream, subject } = names();
    const adapter = createNatsJetStreamAdapter({ servers: NATS_URL, stream, subject });
    try {
      await adapter.send(rows, ctx('run-2/nats/0'));
      const again = await adapter.send(rows, ctx('run-2/nats/0'));
      const receipt = again.receipt as unknown as NatsReceipt;
      expect(again.accepted).toHaveLength(4);
      expect(receipt).toMatchObject({ published: 0, duplicates: 4, duplicateRows: [0, 1, 2, 3] });
      const jsm = await nc.jetstreamManager();
      expect((await jsm.streams.info(stream)).state.messages).toBe(4);

      // A single row sent twice in one chunk is stored once too.
      const twice = await adapter.send([rows[0]!, rows[0]!], ctx('run-3/nats/0'));
      expect((twice.receipt as unknown as NatsReceipt)).toMatchObject({ published: 1, duplicates: 1 });
      expect((await jsm.streams.info(stream)).state.messages).toBe(5);
    } finally {
      await adapter.close();
    }
  });

  it('uses an existing stream as it is, and refuses one that does not capture the subject', async () => {
    const { stream, subject } = names();
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: stream, subjects: [`${subject}.other`], duplicate_window: nanos(60_000) });
    const adapter = createNatsJetStreamAdapter({ stream, subject }, { connection: nc });
    const err = await adapter.send(rows, ctx('run-4/nats/0')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationRejectedError);
    expect((err as Error).message).toMatch(/does not capture subject/);
    await adapter.close();
    expect(nc.isClosed()).toBe(false);
  });

  it('matches subject filters with * and >', () => {
    expect(subjectMatches('a.*.c', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.>', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.>', 'a')).toBe(false);
    expect(subjectMatches('a.b', 'a.b.c')).toBe(false);
  });
});
