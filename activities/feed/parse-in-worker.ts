/**
 * Runs parseDataFiles in a worker thread, so gunzip and parsing (worker) overlap PostgreSQL's
 * COPY (parent writes, server parses and inserts). Same contract as parseDataFiles: the sink's
 * hits() is awaited chunk by chunk, errors come back as the same error classes.
 *
 * From source, the worker is TypeScript; it is started through a tiny bootstrap that registers tsx's ESM
 * loader inside the thread (worker threads do not inherit the parent's module hooks on Node 20).
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ParseDataFilesInput, ParseOutcome, ParseSink } from './parse-data-files.ts';
import type { ParentMessage, WorkerMessage } from './parse-worker-protocol.ts';
import { InvalidFeedError } from './invalid-feed-error.ts';

/** tsx's ESM API, resolved from this file (not from the process's working directory). */
function tsxApiUrl(): string {
  try {
    if (typeof import.meta.resolve === 'function') return import.meta.resolve('tsx/esm/api');
  } catch {
    // fall through to require.resolve (runners without import.meta.resolve)
  }
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href;
}

/** True when this module runs from the JavaScript build (dist/), false when loaded as TypeScript through tsx. */
const COMPILED = import.meta.url.endsWith('.js');

function startWorker(input: ParseDataFilesInput): Worker {
  // The build loads its compiled sibling directly; the source needs tsx's loader in the thread.
  if (COMPILED) return new Worker(new URL('./parse-worker.js', import.meta.url), { workerData: input });
  const target = new URL('./parse-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsxApiUrl())}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`;
  return new Worker(boot, { eval: true, workerData: input });
}

export async function parseInWorker(input: ParseDataFilesInput, sink: ParseSink): Promise<ParseOutcome> {
  const worker = startWorker(input);
  try {
    return await new Promise<ParseOutcome>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      // Chunks are handled strictly in arrival order; hits are written one after another.
      let queue: Promise<void> = Promise.resolve();
      worker.on('message', (m: WorkerMessage) => {
        queue = queue.then(async () => {
          if (settled) return;
          switch (m.type) {
            case 'hits': {
              await sink.hits(Buffer.from(m.buffer, m.offset, m.length));
              const credit: ParentMessage = { type: 'credit', n: 1 };
              worker.postMessage(credit);
              return;
            }
            case 'products':
              await sink.products(Buffer.from(m.buffer, m.offset, m.length));
              return;
            case 'quarantine':
              await sink.quarantine(Buffer.from(m.buffer, m.offset, m.length));
              return;
            case 'progress':
              sink.progress?.({ file: m.file, records: m.records });
              return;
            case 'done':
              settled = true;
              resolve(m.outcome);
              return;
            case 'error': {
              const err = m.name === 'InvalidFeed' ? new InvalidFeedError(m.message, m.fileName) : Object.assign(new Error(m.message), { name: m.name });
              if (m.stack && m.name !== 'InvalidFeed') err.stack = m.stack;
              fail(err);
              return;
            }
          }
        }).catch((err: Error) => fail(err));
      });
      worker.on('error', (err) => fail(err));
      worker.on('exit', (code) => {
        void queue.then(() => fail(new Error(`the feed parse worker exited (code ${code}) before finishing`)));
      });
    });
  } finally {
    await worker.terminate();
  }
}
