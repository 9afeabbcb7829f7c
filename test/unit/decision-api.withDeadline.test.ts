import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { StoreDeadlineError, withDeadline } from '../../activities/online/decision-api.ts';

// The echo server runs on its own thread (its own event loop), like Redis: it answers while this
// thread is busy, so the reply waits in the socket buffer.
let server: Worker;
let port: number;
beforeAll(async () => {
  server = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const srv = require('node:net').createServer((s) => s.on('data', (d) => s.write(d)));
     srv.listen(0, '127.0.0.1', () => parentPort.postMessage(srv.address().port));`,
    { eval: true },
  );
  port = await new Promise<number>((r) => server.once('message', r));
});
afterAll(() => server.terminate());

/** A reply over loopback TCP, like a Redis answer: resolves in the poll phase when the bytes are read. */
async function echo(): Promise<{ ask: () => Promise<string>; close: () => void }> {
  const sock: Socket = connect(port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  return {
    ask: () =>
      new Promise<string>((resolve) => {
        sock.once('data', (d) => resolve(d.toString()));
        sock.write('pong');
      }),
    close: () => sock.destroy(),
  };
}

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

/** The naive version: reject straight from the timer. */
function naiveDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))]);
}

describe('withDeadline', () => {
  it('passes a prompt answer through and rejects a missing one after the deadline', async () => {
    await expect(withDeadline(Promise.resolve('ok'), 10)).resolves.toBe('ok');
    await expect(withDeadline(Promise.reject(new Error('refused')), 10)).rejects.toThrow('refused');
    const t0 = performance.now();
    await expect(withDeadline(new Promise(() => {}), 20)).rejects.toBeInstanceOf(StoreDeadlineError);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(19);
  });

  it('does not turn a reply that arrived in time into a timeout when this process stalled past the deadline', async () => {
    const [a, b] = [await echo(), await echo()];
    try {
      // Start from the check phase, so the next loop iteration runs timers before it polls sockets.
      await new Promise((r) => setImmediate(r));
      const naive = naiveDeadline(a.ask(), 5);
      busy(60); // the reply sits in the socket buffer while the timer expires
      await expect(naive).rejects.toThrow('timeout');

      await new Promise((r) => setImmediate(r));
      const ours = withDeadline(b.ask(), 5);
      busy(60);
      await expect(ours).resolves.toBe('pong');
    } finally {
      a.close();
      b.close();
    }
  });
});
