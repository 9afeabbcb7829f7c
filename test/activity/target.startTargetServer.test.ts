import { afterEach, describe, expect, it } from 'vitest';
import { xmlFields } from '../helpers/vendor-xml.ts';
import { startTargetServer, type RunningTargetServer } from '../../tools/contract-servers/target.ts';

const servers: RunningTargetServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function server(opts: Parameters<typeof startTargetServer>[0] = {}): Promise<RunningTargetServer> {
  const s = await startTargetServer(opts);
  servers.push(s);
  return s;
}

async function upload(s: RunningTargetServer, body: string, opts: { version?: 'v1' | 'v2'; key?: string } = {}) {
  const path = opts.version === 'v1' ? '/m2/acme/profile/batchUpdate' : '/m2/acme/v2/profile/batchUpdate';
  const res = await fetch(`${s.url}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(opts.key ? { 'idempotency-key': opts.key } : {}) },
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), xml: xmlFields(await res.text()) };
}

async function details(statusUrl: string) {
  const res = await fetch(`${statusUrl}&showDetails=true`);
  return xmlFields(await res.text());
}

describe('startTargetServer (Target contract server)', () => {
  it('accepts a batch, URL-decodes names and values, and answers incomplete then complete with details', async () => {
    const s = await server();
    const r = await upload(s, 'batch=thirdPartyId,seg%2Cment,city\nC-1,a%2Cb,Z%C3%BCrich\nC-2,,Bern\n');
    expect(r.status).toBe(200);
    expect(r.xml).toMatchObject({ success: 'true', message: 'Batch submitted for processing' });
    expect(s.profiles.get('C-1')).toEqual({ 'seg,ment': 'a,b', city: 'Zürich' });
    expect(s.profiles.get('C-2')).toEqual({ city: 'Bern' });
    expect(await details(r.xml.batchStatus!)).toMatchObject({ status: 'incomplete', batchSize: '2' });
    expect(await details(r.xml.batchStatus!)).toMatchObject({ status: 'complete', batchSize: '2', consumedCount: '2', successfulUpdates: '2', failedUpdates: '0', profilesNotFound: '0' });
  });

  it('never clears on an empty value, fails rows over the name/value limits, and counts v1 profilesNotFound', async () => {
    const s = await server({ incompletePolls: 0 });
    await upload(s, 'batch=thirdPartyId,a\nC-1,kept\n');
    const r = await upload(s, `batch=thirdPartyId,a,b\nC-1,,new\nC-2,${'x'.repeat(257)},\n`);
    expect(s.profiles.get('C-1')).toEqual({ a: 'kept', b: 'new' });
    expect(s.profiles.has('C-2')).toBe(false);
    expect(await details(r.xml.batchStatus!)).toMatchObject({ successfulUpdates: '1', failedUpdates: '1' });
    const v1 = await upload(s, 'batch=thirdPartyId,a\nC-1,v1\nnever-seen,v\n', { version: 'v1' });
    expect(await details(v1.xml.batchStatus!)).toMatchObject({ successfulUpdates: '1', profilesNotFound: '1' });
    expect(s.profiles.has('never-seen')).toBe(false);
  });

  it('refuses malformed files with a Target-like XML error', async () => {
    const s = await server();
    for (const [body, message] of [
      ['thirdPartyId,a\nC-1,x\n', /must start with batch=/],
      ['batch=ecid,a\nC-1,x\n', /must start with batch=/],
      ['batch=thirdPartyId,a\nC+1,x\n', /cannot contain \+ or \//],
      ['batch=thirdPartyId,a\nC%2B1,x\n', /cannot contain \+ or \//],
      ['batch=thirdPartyId,a\nC/1,x\n', /cannot contain \+ or \//],
      ['batch=thirdPartyId,a\nC-1,x,y\n', /Line 2 has 3 fields/],
      ['batch=thirdPartyId,a\nC-1,%E0%A4%A\n', /not valid URL-encoded/],
    ] as const) {
      const r = await upload(s, body);
      expect(r.status, body).toBe(400);
      expect(r.xml.success).toBe('false');
      expect(r.xml.message).toMatch(message);
    }
    expect(s.batches.size).toBe(0);
    expect(s.counts.rejected).toBe(7);
  });

  it('answers 413 at the byte and row limits', async () => {
    const s = await server({ maxFileBytes: 100, maxFileRows: 3 });
    expect((await upload(s, `batch=thirdPartyId,a\nC-1,${'x'.repeat(100)}\n`)).status).toBe(413);
    expect((await upload(s, 'batch=thirdPartyId,a\nC-1,x\nC-2,x\nC-3,x\nC-4,x\n')).status).toBe(413);
    expect((await upload(s, 'batch=thirdPartyId,a\nC-1,x\nC-2,x\nC-3,x\n')).status).toBe(200);
  });

  it('answers 503 with Retry-After above callsPerMinute', async () => {
    const s = await server({ callsPerMinute: 2, windowMs: 3000 });
    expect((await upload(s, 'batch=thirdPartyId,a\nC-1,x\n')).status).toBe(200);
    expect((await upload(s, 'batch=thirdPartyId,a\nC-2,x\n')).status).toBe(200);
    const third = await upload(s, 'batch=thirdPartyId,a\nC-3,x\n');
    expect(third.status).toBe(503);
    expect(Number(third.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(third.retryAfter)).toBeLessThanOrEqual(3);
    expect(s.counts.throttled).toBe(1);
    expect(s.profiles.has('C-3')).toBe(false);
  });

  it('dedupes a redelivered batch by Idempotency-Key and refuses the key with another body', async () => {
    const s = await server();
    const first = await upload(s, 'batch=thirdPartyId,a\nC-1,x\n', { key: 'run-1/0' });
    const again = await upload(s, 'batch=thirdPartyId,a\nC-1,x\n', { key: 'run-1/0' });
    expect(again.xml.batchStatus).toBe(first.xml.batchStatus);
    expect(s.batches.size).toBe(1);
    expect(s.counts.duplicateBatches).toBe(1);
    expect((await upload(s, 'batch=thirdPartyId,a\nC-1,y\n', { key: 'run-1/0' })).status).toBe(422);
  });

  it('single profile update: updates existing profiles only, 414 over 8 KB GET, 413 over 60 KB POST', async () => {
    const s = await server();
    await upload(s, 'batch=thirdPartyId,a\nC-1,x\n');
    const ok = await fetch(`${s.url}/m2/acme/profile/update?mbox3rdPartyId=C-1&profile.b=%C3%A9t%C3%A9`);
    expect(ok.status).toBe(200);
    expect(xmlFields(await ok.text())).toMatchObject({ success: 'true' });
    expect(s.profiles.get('C-1')).toEqual({ a: 'x', b: 'été' });
    await fetch(`${s.url}/m2/acme/profile/update?mbox3rdPartyId=nobody&profile.b=1`);
    expect(s.profiles.has('nobody')).toBe(false);
    expect(s.counts.singleNotFound).toBe(1);
    const long = await fetch(`${s.url}/m2/acme/profile/update?mbox3rdPartyId=C-1&profile.b=${'v'.repeat(8200)}`);
    expect(long.status).toBe(414);
    const post = await fetch(`${s.url}/m2/acme/profile/update?mbox3rdPartyId=C-1`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Array.from({ length: 260 }, (_, i) => `profile.k${i}=${'v'.repeat(240)}`).join('&'),
    });
    expect(post.status).toBe(413);
  });
});
