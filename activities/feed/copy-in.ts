/**
 * A COPY ... FROM STDIN on one connection as three awaitable steps: write (with backpressure),
 * end (resolves with the row count once PostgreSQL has the rows), abort (CopyFail, so the
 * connection stays usable for ROLLBACK).
 */
import type pg from 'pg';
import { once } from 'node:events';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';

export interface CopyIn {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<number>;
  abort(err: Error): Promise<void>;
}

export function copyIn(client: pg.PoolClient | pg.Client, sql: string): CopyIn {
  const stream: CopyStreamQuery = client.query(copyFrom(sql));
  let failure: Error | null = null;
  stream.on('error', (err: Error) => {
    failure ??= err;
  });
  return {
    async write(chunk) {
      if (failure) throw failure;
      if (!stream.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = () => {
            stream.off('error', onError);
            resolve();
          };
          const onError = (err: Error) => {
            stream.off('drain', onDrain);
            reject(err);
          };
          stream.once('drain', onDrain);
          stream.once('error', onError);
        });
      }
    },
    async end() {
      if (failure) throw failure;
      const done = once(stream, 'finish');
      stream.end();
      await done;
      return stream.rowCount;
    },
    async abort(err) {
      if (stream.destroyed) return;
      const closed = once(stream, 'close').catch(() => {});
      stream.destroy(err);
      await closed;
    },
  };
}
