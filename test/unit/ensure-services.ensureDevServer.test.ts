import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { ensureDevServer } from '../../cli/services/ensure-services.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A listener on a free loopback port, standing in for a Temporal server already running there. */
async function listener(): Promise<number> {
  const srv = createServer((socket) => socket.destroy());
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return (srv.address() as { port: number }).port;
}

describe('ensureDevServer (scoreflow demo) honours TEMPORAL_ADDRESS and TEMPORAL_UI_URL', () => {
  it('uses a server already listening at TEMPORAL_ADDRESS, and reports the UI every link will use', async () => {
    const port = await listener();
    const logs: string[] = [];
    const r = await ensureDevServer((l) => logs.push(l), { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    expect(r).toEqual({ started: false, address: `127.0.0.1:${port}`, uiUrl: `http://127.0.0.1:${port + 1000}` });
    expect(logs).toEqual([]);
    const withUi = await ensureDevServer(() => {}, { TEMPORAL_ADDRESS: `localhost:${port}`, TEMPORAL_UI_URL: 'http://localhost:9999/' });
    expect(withUi).toEqual({ started: false, address: `localhost:${port}`, uiUrl: 'http://localhost:9999' });
  });

  it('starts nothing for an address on another machine, and says what to do', async () => {
    // 192.0.2.0/24 is TEST-NET-1: never routed, so nothing answers.
    await expect(ensureDevServer(() => {}, { TEMPORAL_ADDRESS: '192.0.2.1:7233' })).rejects.toThrow(
      /no Temporal server answers at TEMPORAL_ADDRESS=192\.0\.2\.1:7233.*Start that server, or unset TEMPORAL_ADDRESS/,
    );
  });

  it('refuses to start a local server whose UI the configured TEMPORAL_UI_URL would not show', async () => {
    const port = await listener();
    await new Promise<void>((r) => servers.pop()!.close(() => r())); // now nothing listens on `port`
    const logs: string[] = [];
    await expect(ensureDevServer((l) => logs.push(l), { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_UI_URL: 'https://temporal.example.com' })).rejects.toThrow(
      /TEMPORAL_UI_URL=https:\/\/temporal\.example\.com is not on this machine.*Unset TEMPORAL_UI_URL/,
    );
    expect(logs).toEqual([]);
  });
});
