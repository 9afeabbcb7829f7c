import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendAlert } from '../../activities/observability/send-alert.ts';
import { createLogger, logger, setLogger } from '../../activities/observability/logger.ts';

let server: Server;
let url: string;
let received: { headers: IncomingMessage['headers']; body: string }[];
let answer: number;
const lines: string[] = [];
const previous = logger();

beforeEach(async () => {
  received = [];
  answer = 200;
  lines.length = 0;
  setLogger(createLogger({ level: 'info', destination: { write: (s: string) => lines.push(s) } as never }));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer === 200 ? 'ok' : 'invalid_payload');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/B000/secret`;
});
afterEach(async () => {
  setLogger(previous);
  await new Promise<void>((r) => server.close(() => r()));
});

describe('sendAlert', () => {
  it('posts a Slack-compatible body with text and field blocks, and logs one line without the URL', async () => {
    const res = await sendAlert({ webhookUrl: url, text: 'Run r1 paused: scorePsi 0.31 > 0.25 <fail>', fields: { runId: 'r1', gate: 'fail', psi: 0.31 } });
    expect(res).toMatchObject({ posted: true, status: 200 });
    expect(received).toHaveLength(1);
    expect(received[0]!.headers['content-type']).toBe('application/json');
    const body = JSON.parse(received[0]!.body);
    expect(body.text).toBe('Run r1 paused: scorePsi 0.31 > 0.25 <fail>');
    expect(body.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'Run r1 paused: scorePsi 0.31 &gt; 0.25 &lt;fail&gt;' } });
    expect(body.blocks[1].fields).toEqual([
      { type: 'mrkdwn', text: '*runId*\nr1' },
      { type: 'mrkdwn', text: '*gate*\nfail' },
      { type: 'mrkdwn', text: '*psi*\n0.31' },
    ]);
    await new Promise((r) => setTimeout(r, 50));
    const logged = lines.map((l) => JSON.parse(l));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40, alert: true, msg: 'Run r1 paused: scorePsi 0.31 > 0.25 <fail>', fields: { runId: 'r1' } });
    expect(lines.join('')).not.toContain('secret');
  });

  it('only logs when no webhook is configured', async () => {
    const res = await sendAlert({ text: 'gate warned', fields: {} });
    expect(res.posted).toBe(false);
    expect(res.body.blocks).toHaveLength(1);
    expect(received).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(lines).toHaveLength(1);
  });

  it('throws on a non-2xx answer so the activity retries', async () => {
    answer = 400;
    await expect(sendAlert({ webhookUrl: url, text: 'x' })).rejects.toThrow(/HTTP 400 \(invalid_payload\)/);
  });
});
