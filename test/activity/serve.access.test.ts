/**
 * Access control of `scoreflow serve`, over real HTTP against the real server on ephemeral ports,
 * with the shared Redis: loopback by default, bearer keys with scopes, 401/403/415, metrics on a
 * port of their own, a refusal to serve a non-loopback host without keys, and keys never logged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startServe, type RunningServe, type ServeOptions } from '../../cli/commands/serve.ts';
import { createLogger, logger, setLogger } from '../../activities/observability/logger.ts';
import { createOnlineRedis, redisReady } from '../../activities/online/redis-connection.ts';
import { closePools } from '../../activities/store/db.ts';
import { REPO_ROOT, runCli } from '../helpers/run-cli.ts';
import { ecid, uid, xdmEvent } from '../helpers/online.ts';

const KEY = 'k3y-0f-the-env-0123456789abcdef0123456789';
const READER = 'reader-0123456789abcdef0123456789abcdef';
const WRITER = 'writer-0123456789abcdef0123456789abcdef';
const HASHED_ONLY = 'hashed-0123456789abcdef0123456789abcdef';
const sha = (k: string) => createHash('sha256').update(k).digest('hex');
const ENTITY = '2932849432_8237462';

function options(over: Partial<ServeOptions> = {}): ServeOptions {
  return {
    port: '0',
    host: '127.0.0.1',
    metricsPort: '0',
    metricsHost: '127.0.0.1',
    pipeline: 'pipelines/demo.yaml',
    redis: 'redis://127.0.0.1:6379',
    namespace: uid('access'),
    events: false,
    staleAfter: '30m',
    readTimeoutMs: '200',
    ecidMapping: 'explicit',
    webhookSecretEnv: 'UNUSED_SECRET',
    natsStream: 'UNUSED',
    natsSubject: 'unused',
    ...over,
  };
}

const get = (url: string, key?: string) => fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
const postJson = (url: string, body: unknown, headers: Record<string, string>) => fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });

/** `scoreflow serve --json` in a child process; resolves with its JSON line once it listens. */
function spawnServe(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; info: { url: string; metricsUrl: string; apiKeys: number }; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'cli', 'main.ts'), 'serve', ...args, '--json'], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      out += d.toString('utf8');
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, info: JSON.parse(line), output: () => out });
    });
    child.once('exit', (code) => reject(new Error(`scoreflow serve exited with ${code} before listening:\n${out}`)));
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('scoreflow serve (the CLI)', () => {
  let child: ChildProcess | undefined;
  afterAll(() => stop(child));

  it('binds 127.0.0.1 by default and, with SCOREFLOW_API_KEYS, answers 401 without a key and 200 with one', async () => {
    const s = await spawnServe(['--port', '0', '--metrics-port', '0', '--no-events', '--namespace', uid('access')], { SCOREFLOW_API_KEYS: `${KEY}, ${READER}` });
    child = s.child;
    expect(new URL(s.info.url).hostname).toBe('127.0.0.1');
    expect(new URL(s.info.metricsUrl).hostname).toBe('127.0.0.1');
    expect(s.info.apiKeys).toBe(2);

    const url = `${s.info.url}/v1/decisions/${ENTITY}`;
    const anonymous = await get(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="scoreflow"');
    expect(await anonymous.json()).toEqual({
      error: 'missing_credentials',
      path: '(headers).authorization',
      message: 'this endpoint needs an API key with scope decisions:read: send "Authorization: Bearer <key>"',
    });
    const wrong = await get(url, `${KEY}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await wrong.json()).toMatchObject({ error: 'invalid_api_key' });

    for (const key of [KEY, READER]) {
      const ok = await get(url, key);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ entity_id: ENTITY, source: 'fallback', fallback_reason: 'missing' });
    }
    // Liveness and the API description stay open; the spec names the bearer scheme.
    expect((await get(`${s.info.url}/healthz`)).status).toBe(200);
    const spec = (await (await get(`${s.info.url}/openapi.json`)).json()) as { components: { securitySchemes: Record<string, unknown> }; paths: Record<string, Record<string, { security?: unknown }>> };
    expect(spec.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(spec.paths['/v1/decisions/{entityId}']!.get!.security).toEqual([{ bearerAuth: [] }]);

    // Metrics: not on the API port, but on their own, with the refusals counted.
    expect((await get(`${s.info.url}/metrics`, KEY)).status).toBe(404);
    const metrics = await (await fetch(s.info.metricsUrl)).text();
    expect(metrics).toMatch(/scoreflow_api_auth_failures_total\{reason="missing_credentials"\} 1/);
    expect(metrics).toMatch(/scoreflow_api_auth_failures_total\{reason="invalid_api_key"\} 1/);
    expect(metrics).toMatch(/scoreflow_decision_requests_total\{source="fallback",reason="missing"\} 2/);

    await stop(child);
    // Everything it printed, at debug level: refusals are logged, keys and their hashes never.
    const out = s.output();
    expect(out).toContain('decision API request refused');
    expect(out).toContain('SCOREFLOW_API_KEYS[1]');
    for (const secret of [KEY, READER, sha(KEY), sha(READER)]) expect(out).not.toContain(secret);
  }, 90_000);

  it('refuses to start on a non-loopback host without API keys, saying what to set', async () => {
    const r = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--metrics-port', 'off', '--no-events'], { env: { SCOREFLOW_API_KEYS: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refusing to serve on 0.0.0.0 without API keys');
    expect(r.stderr).toContain('Set SCOREFLOW_API_KEYS');
    expect(r.stderr).toContain('--api-keys-file');
  }, 90_000);

  it('refuses a bad keys file naming the file and line, before listening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-keys-'));
    writeFileSync(join(dir, 'keys.txt'), `${READER} decisions:read\n${WRITER} events:post\n`);
    const r = await runCli(['serve', '--port', '0', '--metrics-port', 'off', '--no-events', '--api-keys-file', join(dir, 'keys.txt')], { env: { SCOREFLOW_API_KEYS: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'keys.txt')}:2: unknown scope "events:post"`);
    expect(r.stderr).not.toContain(WRITER);
  }, 90_000);
});

describe('startServe with a keys file: scopes, media type, non-loopback host', () => {
  let serve: RunningServe;
  let redis: Redis;
  const lines: string[] = [];
  const previous = logger();
  const ns = uid('access');

  beforeAll(async () => {
    setLogger(createLogger({ level: 'debug', destination: new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString('utf8')), done()) }) }));
    redis = createOnlineRedis('redis://127.0.0.1:6379', { offlineQueue: true, commandTimeoutMs: 2000 });
    await redisReady(redis);
    const dir = mkdtempSync(join(tmpdir(), 'sf-keys-'));
    const file = join(dir, 'keys.txt');
    writeFileSync(file, ['# readers and writers', `${READER}  decisions:read`, `${WRITER}  events:write`, `sha256:${sha(HASHED_ONLY)}`].join('\n'));
    // 0.0.0.0 is allowed because keys are configured; the environment adds no key.
    serve = await startServe(options({ host: '0.0.0.0', events: true, namespace: ns, apiKeysFile: file }), {});
  }, 60_000);

  afterAll(async () => {
    await serve?.close();
    setLogger(previous);
    const k = await redis.keys(`${ns}:*`);
    if (k.length) await redis.del(...k);
    await redis.quit();
    await closePools();
  });

  it('listens on every interface when told to and keys guard it', () => {
    expect(serve.app.server.address()).toMatchObject({ address: '0.0.0.0' });
    expect(serve.apiKeys).toBe(3);
    expect(new URL(serve.metricsUrl!).hostname).toBe('127.0.0.1');
  });

  it('answers 403 when the key lacks the route scope, and 200 when it holds it', async () => {
    const decision = `${serve.url}/v1/decisions/${ENTITY}`;
    expect((await get(decision, READER)).status).toBe(200);
    expect((await get(decision, HASHED_ONLY)).status).toBe(200);
    const denied = await get(decision, WRITER);
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer realm="scoreflow", error="insufficient_scope", scope="decisions:read"');
    expect(await denied.json()).toEqual({ error: 'insufficient_scope', path: '(headers).authorization', message: 'the API key lacks scope decisions:read; it has events:write' });

    const events = `${serve.url}/v1/events`;
    const event = () => xdmEvent({ ecid: ecid(), eventType: 'web.webpagedetails.pageViews' });
    const json = (key?: string) => ({ 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) });
    const noKey = await postJson(events, event(), json());
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ error: 'missing_credentials', message: expect.stringContaining('events:write') });
    const reader = await postJson(events, event(), json(READER));
    expect(reader.status).toBe(403);
    expect(await reader.json()).toMatchObject({ error: 'insufficient_scope', message: expect.stringContaining('events:write') });
    for (const key of [WRITER, HASHED_ONLY]) {
      const ok = await postJson(events, event(), json(key));
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ received: 1, unmapped: 1 });
    }
  });

  it('accepts only application/json bodies (415 otherwise), and checks the key before the body', async () => {
    const events = `${serve.url}/v1/events`;
    const body = JSON.stringify(xdmEvent({ ecid: ecid() }));
    // A cross-site form or beacon: no key, so 401 before anything is parsed.
    expect((await fetch(events, { method: 'POST', headers: { 'content-type': 'text/plain' }, body })).status).toBe(401);
    const plain = await fetch(events, { method: 'POST', headers: { 'content-type': 'text/plain', authorization: `Bearer ${WRITER}` }, body });
    expect(plain.status).toBe(415);
    expect(await plain.json()).toMatchObject({ error: 'unsupported_media_type', path: '(headers).content-type', message: expect.stringContaining('Content-Type: application/json (got "text/plain")') });
    const form = await fetch(events, { method: 'POST', headers: { authorization: `Bearer ${WRITER}` }, body: new URLSearchParams({ a: '1' }) });
    expect(form.status).toBe(415);
  });

  it('describes the bearer scheme and the 401/403 answers in OpenAPI', async () => {
    const spec = (await (await fetch(`${serve.url}/openapi.json`)).json()) as {
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(spec.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [path, method] of [['/v1/decisions/{entityId}', 'get'], ['/v1/events', 'post']] as const) {
      expect(spec.paths[path]![method]!.security, path).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(spec.paths[path]![method]!.responses), path).toEqual(expect.arrayContaining(['401', '403']));
    }
    expect(Object.keys(spec.paths['/v1/events']!.post!.responses)).toContain('415');
    expect(spec.paths['/healthz']!.get!.security).toBeUndefined();
  });

  it('logs refusals without the presented key', () => {
    const text = lines.join('');
    expect(text).toContain('decision API request refused');
    expect(text).toContain('insufficient_scope');
    for (const secret of [READER, WRITER, HASHED_ONLY, sha(READER), sha(WRITER)]) expect(text).not.toContain(secret);
  });
});

describe('startServe without keys', () => {
  it('refuses 0.0.0.0, ::, and a LAN address, before connecting to anything', async () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3']) {
      await expect(startServe(options({ host }), {})).rejects.toThrow(`refusing to serve on ${host} without API keys`);
    }
  });

  it('serves loopback openly (the default) and refuses a taken metrics port with what to pass', async () => {
    const first = await startServe(options(), {});
    try {
      expect(first.apiKeys).toBe(0);
      expect((await get(`${first.url}/v1/decisions/${ENTITY}`)).status).toBe(200);
      const port = new URL(first.metricsUrl!).port;
      await expect(startServe(options({ metricsPort: port }), {})).rejects.toThrow(/cannot serve metrics on 127\.0\.0\.1:\d+ \(EADDRINUSE\); pass --metrics-port N/);
      const off = await startServe(options({ metricsPort: 'off' }), {});
      expect(off.metricsUrl).toBeNull();
      await off.close();
    } finally {
      await first.close();
    }
  }, 60_000);
});
