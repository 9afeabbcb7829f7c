import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DestinationThrottledError } from '../../activities/destinations/adapter.ts';
import { TARGET_CLEAR_SENTINEL } from '../../activities/destinations/adobe-target-rules.ts';
import { TargetProfileInputError, buildSingleProfileUpdate, sendSingleProfileUpdate } from '../../activities/destinations/adobe-target-profile.ts';
import { startTargetServer, type RunningTargetServer } from '../../tools/contract-servers/target.ts';

let target: RunningTargetServer;
beforeAll(async () => {
  target = await startTargetServer();
  // Single updates touch existing profiles only: create them through the bulk API first.
  const res = await fetch(`${target.url}/m2/acme/v2/profile/batchUpdate`, { method: 'POST', body: 'batch=thirdPartyId,seen\nC-1,yes\nC-2,yes\n' });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await target.close();
});

describe('sendSingleProfileUpdate', () => {
  it('sends a small update as GET with profile.<attr> parameters, URL-encoded', async () => {
    const r = await sendSingleProfileUpdate({ baseUrl: target.url, client: 'acme', thirdPartyId: 'C-1', attributes: { segment: 'high, intent', score: 0.7, gone: null, skipped: undefined } });
    expect(r.method).toBe('GET');
    expect(r.message).toBe('Request successfully submitted');
    expect(target.profiles.get('C-1')).toEqual({ seen: 'yes', segment: 'high, intent', score: '0.7', gone: TARGET_CLEAR_SENTINEL });
  });

  it('switches to POST when the GET URL would pass 8 KB', async () => {
    const attributes = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`a${i}`, 'ü'.repeat(100)]));
    const req = buildSingleProfileUpdate({ baseUrl: target.url, client: 'acme', thirdPartyId: 'C-2', attributes });
    expect(req.method).toBe('POST');
    const r = await sendSingleProfileUpdate({ baseUrl: target.url, client: 'acme', thirdPartyId: 'C-2', attributes });
    expect(r.method).toBe('POST');
    expect(r.bytes).toBeGreaterThan(8 * 1024);
    expect(target.profiles.get('C-2')?.a39).toBe('ü'.repeat(100));
  });

  it('refuses, before sending, an update over 60 KB, an id with + or /, and a value over 256 characters', async () => {
    const before = target.counts.singleUpdates;
    const huge = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`a${i}`, 'ü'.repeat(250)]));
    await expect(sendSingleProfileUpdate({ baseUrl: target.url, client: 'acme', thirdPartyId: 'C-1', attributes: huge })).rejects.toThrow(/60 ?KB|61440/);
    await expect(sendSingleProfileUpdate({ baseUrl: target.url, client: 'acme', thirdPartyId: 'a/b', attributes: { x: '1' } })).rejects.toBeInstanceOf(TargetProfileInputError);
    await expect(sendSingleProfileUpdate({ baseUrl: target.url, client: 'acme', thirdPartyId: 'C-1', attributes: { x: 'v'.repeat(257) } })).rejects.toThrow(/256/);
    expect(target.counts.singleUpdates).toBe(before);
  });

  it('does not create a profile Target does not know', async () => {
    await sendSingleProfileUpdate({ baseUrl: target.url, client: 'acme', thirdPartyId: 'stranger', attributes: { x: '1' } });
    expect(target.profiles.has('stranger')).toBe(false);
  });

  it('maps 503 to DestinationThrottledError', async () => {
    const err = await sendSingleProfileUpdate({
      baseUrl: target.url,
      client: 'acme',
      thirdPartyId: 'C-1',
      attributes: { x: '1' },
      fetch: async () => new Response('<response><success>false</success></response>', { status: 503, headers: { 'retry-after': '7' } }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationThrottledError);
    expect((err as DestinationThrottledError).retryAfterMs).toBe(7000);
  });
});
