/**
 * The fault-injection suite's counting (tools/chaos/accounting.ts) and its fault proxy
 * (tools/chaos/fault-proxy.ts): a counter that could not report a loss or a duplicate, or a proxy
 * that let refused requests through, would make `npm run chaos` pass whatever happened.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countAudienceChunks, countRows } from '../../tools/chaos/accounting.ts';
import { startFaultProxy } from '../../tools/chaos/fault-proxy.ts';

describe('countRows', () => {
  it('counts nothing when every planned row arrived once', () => {
    expect(countRows(['upsert:a', 'upsert:b', 'remove:c'], ['remove:c', 'upsert:b', 'upsert:a'])).toEqual({ lost: 0, duplicated: 0, unplanned: 0 });
  });

  it('counts a planned row that never arrived as lost', () => {
    expect(countRows(['upsert:a', 'upsert:b'], ['upsert:a'])).toEqual({ lost: 1, duplicated: 0, unplanned: 0 });
  });

  it('counts every extra arrival of a planned row as a duplicate', () => {
    expect(countRows(['upsert:a', 'upsert:b'], ['upsert:a', 'upsert:a', 'upsert:a', 'upsert:b'])).toEqual({ lost: 0, duplicated: 2, unplanned: 0 });
  });

  it('counts rows nobody planned, and tells an upsert from a remove of the same entity', () => {
    expect(countRows(['upsert:a'], ['remove:a', 'upsert:z'])).toEqual({ lost: 1, duplicated: 0, unplanned: 2 });
  });
});

describe('countAudienceChunks', () => {
  const plan = [
    { key: 'k0', op: 'upsert' as const, rows: ['upsert:a', 'upsert:b', 'upsert:c'] },
    { key: 'k1', op: 'upsert' as const, rows: ['upsert:d', 'upsert:e'] },
  ];
  const k0 = { key: 'k0', op: 'upsert' as const, members: 3, changed: 3, digest: 'abc' };
  const k1 = { key: 'k1', op: 'upsert' as const, members: 2, changed: 2, digest: 'de' };

  it('counts nothing when each chunk arrived once under its key', () => {
    expect(countAudienceChunks(plan, [k0, k1])).toEqual({ lost: [], duplicated: 0, unplanned: 0, resent: 0 });
  });

  it('takes a resend of the same members that changed nothing (membership is a set) as harmless', () => {
    expect(countAudienceChunks(plan, [k0, { ...k0, changed: 0 }, k1])).toEqual({ lost: [], duplicated: 0, unplanned: 0, resent: 1 });
  });

  it('counts a resend that changed membership as duplicated by the members it changed', () => {
    // an add resent after the members were removed again: the add took effect twice
    expect(countAudienceChunks(plan, [k0, k1, { ...k0, changed: 2 }])).toEqual({ lost: [], duplicated: 2, unplanned: 0, resent: 0 });
  });

  it("counts a resend under a delivered key that carried other members as duplicated, even when it changed nothing", () => {
    expect(countAudienceChunks(plan, [k0, k1, { ...k1, key: 'k0', changed: 0 }])).toEqual({ lost: [], duplicated: 2, unplanned: 0, resent: 0 });
  });

  it('counts a first add that changed fewer members than it carried (they were already held) as duplicated', () => {
    expect(countAudienceChunks(plan, [k0, { ...k1, changed: 0 }])).toEqual({ lost: [], duplicated: 2, unplanned: 0, resent: 0 });
  });

  it('counts members under a key nobody planned as unplanned whatever they changed, and the missing chunk as lost', () => {
    expect(countAudienceChunks(plan, [k0, { key: 'k9', op: 'upsert', members: 4, changed: 0 }])).toEqual({ lost: ['upsert:d', 'upsert:e'], duplicated: 0, unplanned: 4, resent: 0 });
  });

  it('does not let a delivery with the other op deliver a chunk', () => {
    expect(countAudienceChunks(plan, [k0, { ...k1, op: 'remove' }])).toEqual({ lost: ['upsert:d', 'upsert:e'], duplicated: 0, unplanned: 2, resent: 0 });
  });

  it('counts the missing tail of a short chunk as lost', () => {
    expect(countAudienceChunks(plan, [{ ...k0, members: 1, changed: 1 }, k1]).lost).toEqual(['upsert:b', 'upsert:c']);
  });
});

describe('startFaultProxy', () => {
  let upstream: ReturnType<typeof createServer>;
  let hits = 0;
  let url: string;
  beforeAll(async () => {
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hits++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ path: req.url, body }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1/things`;
  });
  afterAll(() => new Promise<void>((r) => upstream.close(() => r())));

  it('forwards path and body, refuses everything during an outage without forwarding it, then recovers', async () => {
    const proxy = await startFaultProxy(url);
    try {
      expect(new URL(proxy.url).pathname).toBe('/v1/things');
      const ok = await fetch(`${proxy.url}?x=1`, { method: 'POST', body: 'hello' });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ path: '/v1/things?x=1', body: 'hello' });

      const before = hits;
      proxy.outage(429, 400);
      const throttled = await fetch(proxy.url, { method: 'POST', body: 'again' });
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('1');
      proxy.outage(500, 400);
      const failed = await fetch(proxy.url, { method: 'POST', body: 'again' });
      expect(failed.status).toBe(500);
      expect(failed.headers.get('retry-after')).toBeNull();
      expect(hits).toBe(before);
      expect(proxy.refused).toBe(2);

      await new Promise((r) => setTimeout(r, 500));
      const back = await fetch(proxy.url, { method: 'POST', body: 'later' });
      expect(back.status).toBe(200);
      expect(hits).toBe(before + 1);
      expect(proxy.forwarded).toBe(2);
    } finally {
      await proxy.close();
    }
  });
});
