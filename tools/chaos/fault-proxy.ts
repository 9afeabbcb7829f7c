/**
 * An HTTP proxy in front of one contract server, for the fault-injection suite (tools/chaos.ts).
 * It forwards every request unchanged, except during an outage: then it answers every request
 * itself with the outage's status (500, 503 or 429; the latter two with `Retry-After`) and forwards
 * nothing, as a vendor API that is down or throttling does. The receiver behind it therefore never
 * sees a refused request, so what it holds is exactly what got through.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type OutageStatus = 500 | 503 | 429;

export interface FaultProxy {
  /** The upstream URL with its origin replaced by the proxy's (path and query kept). */
  url: string;
  /** Answer `status` to every request for `ms`, then forward again. */
  outage(status: OutageStatus, ms: number): void;
  /** Requests answered with the outage status so far. */
  refused: number;
  /** Requests forwarded so far. */
  forwarded: number;
  close(): Promise<void>;
}

const BODY: Record<OutageStatus, string> = {
  500: JSON.stringify({ error: { code: 500, message: 'Internal error (injected by the chaos suite)', status: 'INTERNAL' } }),
  503: JSON.stringify({ error: { code: 503, message: 'The service is currently unavailable (injected by the chaos suite)', status: 'UNAVAILABLE' } }),
  429: JSON.stringify({ error: { code: 429, message: 'Too many requests (injected by the chaos suite)', status: 'RESOURCE_EXHAUSTED' } }),
};

export async function startFaultProxy(upstreamUrl: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  let outage: { status: OutageStatus; until: number } | null = null;
  const counters = { refused: 0, forwarded: 0 };

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    counters.forwarded++;
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`chaos proxy: upstream error ${err.message}`);
    });
    req.pipe(out);
  };

  const server = createServer((req, res) => {
    const o = outage && Date.now() < outage.until ? outage : null;
    if (!o) return forward(req, res);
    counters.refused++;
    // Drain the body first, so the client sees an answer rather than a reset connection.
    req.resume();
    req.on('end', () => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (o.status !== 500) headers['retry-after'] = '1';
      res.writeHead(o.status, headers);
      res.end(BODY[o.status]);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = new URL(upstreamUrl);
  url.port = String(port);
  return {
    url: url.toString().replace(/\/$/, upstreamUrl.endsWith('/') ? '/' : ''),
    outage: (status, ms) => {
      outage = { status, until: Date.now() + ms };
    },
    get refused() {
      return counters.refused;
    },
    get forwarded() {
      return counters.forwarded;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
