/**
 * Worker-thread entry of parse-in-worker.ts: runs parseDataFiles and ships the COPY chunks to
 * the parent, transferring (not copying) their memory. feed_hit chunks are credit-controlled: the
 * worker waits once MAX_IN_FLIGHT chunks are not yet written to PostgreSQL, so a fast parser
 * never piles up memory in front of a slower COPY.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseDataFiles, type ParseDataFilesInput } from './parse-data-files.ts';
import type { ParentMessage, WorkerMessage } from './parse-worker-protocol.ts';
import { MAX_IN_FLIGHT } from './parse-worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('parse-worker.ts runs only as a worker thread (see parse-in-worker.ts)');

let inFlight = 0;
let wake: (() => void) | null = null;
port.on('message', (m: ParentMessage) => {
  if (m.type === 'credit') {
    inFlight -= m.n;
    const w = wake;
    wake = null;
    w?.();
  }
});

function post(msg: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

function ship(kind: 'hits' | 'products' | 'quarantine', chunk: Buffer): void {
  // CopyTextWriter chunks own their ArrayBuffer (allocUnsafe above the pool size), so it can be transferred.
  const own = chunk.byteOffset === 0 && chunk.buffer.byteLength >= chunk.length && chunk.length >= 4096;
  const bytes = own ? chunk : Buffer.from(chunk);
  post({ type: kind, buffer: bytes.buffer as ArrayBuffer, offset: bytes.byteOffset, length: bytes.length }, own ? [bytes.buffer as ArrayBuffer] : []);
}

const input = workerData as ParseDataFilesInput;
parseDataFiles(input, {
  async hits(chunk) {
    ship('hits', chunk);
    inFlight++;
    while (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
  },
  products: (chunk) => ship('products', chunk),
  quarantine: (chunk) => ship('quarantine', chunk),
  progress: (p) => post({ type: 'progress', ...p }),
}).then(
  (outcome) => post({ type: 'done', outcome }),
  (err: Error & { fileName?: string }) => post({ type: 'error', name: err.name, message: err.message, fileName: err.fileName, stack: err.stack }),
);
