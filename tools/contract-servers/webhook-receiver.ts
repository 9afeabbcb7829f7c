/**
 * A local Standard Webhooks consumer (docs/destinations/webhooks.md) for adapter tests and demos.
 * It verifies each request with the `standardwebhooks` package (an implementation independent of
 * ours), answers 401 to a missing or bad signature or a timestamp outside 5 minutes, and dedupes on
 * webhook-id: the first delivery of an id is applied, later ones are counted as duplicates and
 * acknowledged with 200. `injectFailures(n, status)` makes the next n requests answer 429 or 503
 * with Retry-After before any verification, as a rate limiter in front of a consumer would.
 * `latencyMs` / `setLatency(ms)` make every answer that slow (a request whose client went away
 * meanwhile is still applied, as a real consumer would). `startOutage(ms, status)` makes every request
 * answer 429, 500 or 503 for a while (outage.ts).
 * Standalone: `WEBHOOK_SECRET=whsec_... node --import tsx tools/contract-servers/webhook-receiver.ts`.
 */
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { Webhook } from 'standardwebhooks';
import { Outage, type OutageControl } from './outage.ts';

export interface WebhookReceiverCounts {
  requests: number;
  verified: number;
  badSignature: number;
  unique: number;
  duplicates: number;
  injected: number;
}

export interface RunningWebhookReceiver extends OutageControl {
  url: string;
  counts: WebhookReceiverCounts;
  /** webhook-id → parsed body of its first verified delivery. */
  messages: Map<string, unknown>;
  /** webhook-id → how many verified deliveries it had. */
  deliveries: Map<string, number>;
  /** The next n requests answer `status` with `Retry-After: retryAfterSeconds`. */
  injectFailures(n: number, status?: 429 | 503, retryAfterSeconds?: number): void;
  /** The next n requests answer `status` (a 4xx) with `reason` as the body, after verification. */
  injectRejections(n: number, status: number, reason: string): void;
  /** From now on every request waits `ms` before it is handled. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: { secret: string; port?: number; host?: string; path?: string; latencyMs?: number }): Promise<RunningWebhookReceiver> {
  const wh = new Webhook(options.secret);
  const path = options.path ?? '/webhooks';
  const counts: WebhookReceiverCounts = { requests: 0, verified: 0, badSignature: 0, unique: 0, duplicates: 0, injected: 0 };
  const messages = new Map<string, unknown>();
  const deliveries = new Map<string, number>();
  const failures: { status: number; retryAfter: number }[] = [];
  const rejections: { status: number; reason: string }[] = [];
  let latencyMs = options.latencyMs ?? 0;
  const outage = new Outage();

  const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post(path, async (req, reply) => {
    counts.requests++;
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const down = outage.answer();
    if (down) {
      counts.injected++;
      return reply.code(down.status).headers(down.headers).send({ error: 'receiver unavailable' });
    }
    const failure = failures.shift();
    if (failure) {
      counts.injected++;
      return reply.code(failure.status).header('retry-after', String(failure.retryAfter)).send({ error: 'slow down' });
    }
    const body = typeof req.body === 'string' ? req.body : '';
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    let parsed: unknown;
    try {
      parsed = wh.verify(body, headers);
    } catch (err) {
      counts.badSignature++;
      return reply.code(401).send({ error: (err as Error).message });
    }
    counts.verified++;
    const rejection = rejections.shift();
    if (rejection) return reply.code(rejection.status).type('text/plain').send(rejection.reason);
    const id = headers['webhook-id']!;
    const n = (deliveries.get(id) ?? 0) + 1;
    deliveries.set(id, n);
    if (n === 1) {
      counts.unique++;
      messages.set(id, parsed);
    } else counts.duplicates++;
    return reply.code(200).send({ ok: true, duplicate: n > 1 });
  });

  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  return {
    url: `${address.replace('localhost', '127.0.0.1')}${path}`,
    counts,
    messages,
    deliveries,
    injectFailures(n, status = 503, retryAfterSeconds = 1) {
      for (let i = 0; i < n; i++) failures.push({ status, retryAfter: retryAfterSeconds });
    },
    injectRejections(n, status, reason) {
      for (let i = 0; i < n; i++) rejections.push({ status, reason });
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    startOutage: (ms, status, retryAfterSeconds) => outage.startOutage(ms, status, retryAfterSeconds),
    endOutage: () => outage.endOutage(),
    outageAnswers: () => outage.outageAnswers(),
    close: () => app.close(),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) {
    process.stderr.write('Set WEBHOOK_SECRET=whsec_<base64> (the same secret the webhook destination signs with).\n');
    process.exit(2);
  }
  const server = await startWebhookReceiver({ secret, port: Number(process.env.PORT ?? 8451) });
  process.stdout.write(`Webhook receiver on ${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
