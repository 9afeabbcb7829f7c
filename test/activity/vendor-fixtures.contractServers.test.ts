/**
 * The contract servers' acceptance tests, driven by the golden fixtures under test/fixtures/vendors/
 * (transcribed from the vendors' documented examples), not by the product's contracts/: every golden
 * request is accepted with the documented answer and lands in the server's state, every documented-
 * malformed one is refused with the documented error and changes nothing. The XML of Target answers
 * is read with test/helpers/vendor-xml.ts, not with the product's parser.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startGoogleServer, type RunningGoogleServer } from '../../tools/contract-servers/google.ts';
import { startMetaServer, type RunningMetaServer } from '../../tools/contract-servers/meta.ts';
import { startTargetServer, type RunningTargetServer } from '../../tools/contract-servers/target.ts';
import { startWebhookReceiver } from '../../tools/contract-servers/webhook-receiver.ts';
import { xmlFields } from '../helpers/vendor-xml.ts';

const fixture = <T>(path: string): T => JSON.parse(readFileSync(new URL(`../fixtures/vendors/${path}`, import.meta.url), 'utf8')) as T;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

interface GoogleCase {
  name: string;
  operation: 'ingest' | 'remove';
  auth?: 'none';
  request: Record<string, unknown> & { generate?: { identifiersPerMember?: number; members?: number } };
  response: { status: number; body?: unknown; bodyShape?: Record<string, string>; violationReasons?: string[]; match?: 'subset' };
  membership?: { audience: string; size: number; emails?: string[] };
}

function generatedGoogleRequest(g: { identifiersPerMember?: number; members?: number }) {
  const consent = { adUserData: 'CONSENT_GRANTED', adPersonalization: 'CONSENT_GRANTED' };
  const member = (i: number, n: number) => ({ userData: { userIdentifiers: Array.from({ length: n }, (_, j) => ({ emailAddress: sha(`m${i}-${j}@example.com`) })) }, consent });
  const count = g.members ?? 1;
  return {
    destinations: [{ operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' }, productDestinationId: '5555555599' }],
    audienceMembers: Array.from({ length: count }, (_, i) => member(i, g.identifiersPerMember ?? 1)),
    encoding: 'HEX',
    termsOfService: { customerMatchTermsOfServiceStatus: 'ACCEPTED' },
  };
}

describe('Google Data Manager contract server: golden fixtures', () => {
  const file = fixture<{ cases: GoogleCase[] }>('google/data-manager-audience-members.json');
  let google: RunningGoogleServer;
  beforeAll(async () => {
    google = await startGoogleServer();
  });
  afterAll(async () => {
    await google.close();
  });

  it('has golden accepted and documented-malformed cases', () => {
    expect(file.cases.filter((c) => c.response.status === 200).length).toBeGreaterThanOrEqual(3);
    expect(file.cases.filter((c) => c.response.status >= 400).length).toBeGreaterThanOrEqual(4);
  });

  // In file order: the remove case relies on the first ingest.
  for (const c of file.cases) {
    it(c.name, async () => {
      const body = c.request.generate ? generatedGoogleRequest(c.request.generate) : c.request;
      const res = await fetch(`${google.url}/audienceMembers:${c.operation}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(c.auth === 'none' ? {} : { authorization: `Bearer ${google.token}` }) },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      expect(res.status).toBe(c.response.status);
      if (c.response.body !== undefined) {
        if (c.response.match === 'subset') expect(json).toMatchObject(c.response.body as object);
        else expect(json).toEqual(c.response.body);
      }
      if (c.response.bodyShape) for (const [k, type] of Object.entries(c.response.bodyShape)) expect(typeof json[k]).toBe(type);
      if (c.response.violationReasons) {
        const details = (json.error as { details: { fieldViolations?: { reason: string }[] }[] }).details;
        const reasons = details.flatMap((d) => d.fieldViolations ?? []).map((v) => v.reason);
        expect(reasons).toEqual(expect.arrayContaining(c.response.violationReasons));
      }
      if (c.membership) {
        expect(google.membership(c.membership.audience)).toBe(c.membership.size);
        for (const e of c.membership.emails ?? []) expect(google.hasEmail(c.membership.audience, e)).toBe(true);
      }
    });
  }

  it('an add without granted consent is refused and applies nothing (stricter than Google, on purpose)', async () => {
    const body = generatedGoogleRequest({});
    (body.audienceMembers[0] as { consent: unknown }).consent = { adUserData: 'CONSENT_DENIED', adPersonalization: 'CONSENT_GRANTED' };
    body.destinations[0]!.productDestinationId = '5555555598';
    const res = await fetch(`${google.url}/audienceMembers:ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${google.token}` }, body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('INVALID_AUDIENCE_MEMBER');
    expect(google.membership('5555555598')).toBe(0);
  });

  it('an Idempotency-Key header deduplicates nothing (Google documents none); a resend changes no membership', async () => {
    const body = generatedGoogleRequest({});
    body.destinations[0]!.productDestinationId = '5555555597';
    const send = () => fetch(`${google.url}/audienceMembers:ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${google.token}`, 'idempotency-key': 'k-1' }, body: JSON.stringify(body) });
    const before = { ...google.counts };
    const a = (await (await send()).json()) as { requestId: string };
    const b = (await (await send()).json()) as { requestId: string };
    expect(a.requestId).not.toBe(b.requestId);
    expect(google.counts.accepted - before.accepted).toBe(2);
    expect(google.counts.duplicates - before.duplicates).toBe(1);
    expect(google.membership('5555555597')).toBe(1);
    // what the chaos accounting reads: both applied, the first changed one membership, the resend none
    const mine = google.received().filter((d) => d.idempotencyKey === 'k-1');
    expect(mine.map((d) => [d.resend, d.members, d.membersChanged])).toEqual([
      [false, 1, 1],
      [true, 1, 0],
    ]);
    expect(mine[1]!.membersDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(mine[1]!.membersDigest).toBe(mine[0]!.membersDigest);
  });
});

interface AdsSearchCase {
  name: string;
  customerId: string;
  auth?: 'none';
  developerToken?: 'none';
  headers?: Record<string, string>;
  body: unknown;
  response: { status: number; body?: unknown; match?: 'subset'; rpcStatus?: string; errorCodes?: Record<string, string>[] };
}

describe('Google Ads API contract server (googleAds:search, user list size): golden fixtures', () => {
  const file = fixture<{ setup: { audience: string; members: number }; cases: AdsSearchCase[] }>('google/ads-user-list-size.json');
  const version = 'v26';
  let google: RunningGoogleServer;
  const search = (server: RunningGoogleServer, c: Pick<AdsSearchCase, 'customerId' | 'auth' | 'developerToken' | 'headers' | 'body'>) =>
    fetch(`${server.adsUrl}/${version}/customers/${c.customerId}/googleAds:search`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(c.auth === 'none' ? {} : { authorization: `Bearer ${server.token}` }),
        ...(c.developerToken === 'none' ? {} : { 'developer-token': 'ABCDEFGHIJKLMNOPQRSTUV' }),
        ...c.headers,
      },
      body: JSON.stringify(c.body),
    });
  beforeAll(async () => {
    google = await startGoogleServer();
    const body = generatedGoogleRequest({ members: file.setup.members });
    body.destinations[0]!.productDestinationId = file.setup.audience;
    const res = await fetch(`${google.url}/audienceMembers:ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${google.token}` }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    expect(google.membership(file.setup.audience)).toBe(file.setup.members);
  });
  afterAll(async () => {
    await google.close();
  });

  it('has golden accepted and documented-malformed cases', () => {
    expect(file.cases.filter((c) => c.response.status === 200).length).toBeGreaterThanOrEqual(2);
    expect(file.cases.filter((c) => c.response.errorCodes).length).toBeGreaterThanOrEqual(4);
  });

  for (const c of file.cases) {
    it(c.name, async () => {
      const before = google.counts.searches;
      const res = await search(google, c);
      const json = (await res.json()) as { error?: { code: number; status: string; details: { '@type': string; errors: { errorCode: Record<string, string> }[]; requestId: string }[] } };
      expect(res.status).toBe(c.response.status);
      if (c.response.body !== undefined) {
        if (c.response.match === 'subset') expect(json).toMatchObject(c.response.body as object);
        else expect(json).toEqual(c.response.body);
      }
      if (c.response.errorCodes) {
        expect(json.error).toMatchObject({ code: c.response.status, status: c.response.rpcStatus });
        const failure = json.error!.details.find((d) => d['@type'] === `type.googleapis.com/google.ads.googleads.${version}.errors.GoogleAdsFailure`)!;
        expect(failure.errors.map((e) => e.errorCode)).toEqual(c.response.errorCodes);
        expect(typeof failure.requestId).toBe('string');
        expect(res.headers.get('request-id')).toBeTruthy();
      }
      if (res.status !== 200) expect(google.counts.searches).toBe(before);
    });
  }

  it('after the developer-token sunset (developerToken: "ignored") a request without the header is answered', async () => {
    const sunset = await startGoogleServer({ developerToken: 'ignored' });
    try {
      const res = await search(sunset, { customerId: '1234567890', developerToken: 'none', body: { query: 'SELECT user_list.id FROM user_list WHERE user_list.id = 1' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ fieldMask: 'userList.id' });
    } finally {
      await sunset.close();
    }
  });

  it('the size follows the membership; a list reports only its range, or nothing while Google has not determined it', async () => {
    const q = { customerId: '1234567890', body: { query: `SELECT user_list.size_for_display, user_list.size_range_for_display FROM user_list WHERE user_list.id = ${file.setup.audience}` } };
    const read = async () => ((await (await search(google, q)).json()) as { results: { userList: Record<string, string> }[] }).results[0]!.userList;
    expect(google.dropMembers(file.setup.audience, 1)).toBe(1);
    expect(await read()).toMatchObject({ sizeForDisplay: '2', sizeRangeForDisplay: 'LESS_THAN_FIVE_HUNDRED' });
    google.setSizeReporting(file.setup.audience, 'range');
    expect(await read()).toEqual({ resourceName: `customers/1234567890/userLists/${file.setup.audience}`, sizeRangeForDisplay: 'LESS_THAN_FIVE_HUNDRED' });
    google.setSizeReporting(file.setup.audience, 'undetermined');
    expect(await read()).toEqual({ resourceName: `customers/1234567890/userLists/${file.setup.audience}` });
    google.setSizeReporting(file.setup.audience, 'exact');
  });
});

interface MetaCase {
  name: string;
  method: 'POST' | 'DELETE';
  audience: string;
  auth?: 'wrong';
  form?: Record<string, string>;
  json?: unknown;
  generate?: { records: number };
  response: { status: number; body?: unknown; match?: 'subset' };
  membership?: { audience: string; size: number; emails?: string[]; values?: Record<string, number> };
}

describe('Meta Custom Audiences contract server: golden fixtures', () => {
  const file = fixture<{ valueBasedAudiences: string[]; restrictedAudiences: string[]; cases: MetaCase[]; throttleAnswers: { httpStatus: number; body: unknown }[] }>('meta/custom-audience-users.json');
  let meta: RunningMetaServer;
  beforeAll(async () => {
    meta = await startMetaServer({ valueBasedAudiences: file.valueBasedAudiences, restrictedAudiences: file.restrictedAudiences });
  });
  afterAll(async () => {
    await meta.close();
  });

  for (const c of file.cases) {
    it(c.name, async () => {
      const token = c.auth === 'wrong' ? 'not-the-token' : meta.token;
      const json = c.generate ? { payload: { schema: ['EMAIL'], data: Array.from({ length: c.generate.records }, (_, i) => [sha(`r${i}@example.com`)]) } } : c.json;
      const res = await fetch(`${meta.url}/${c.audience}/users`, {
        method: c.method,
        headers: { authorization: `Bearer ${token}`, 'content-type': c.form ? 'application/x-www-form-urlencoded' : 'application/json' },
        body: c.form ? new URLSearchParams(c.form).toString() : JSON.stringify(json),
      });
      const body = (await res.json()) as Record<string, unknown>;
      expect(res.status).toBe(c.response.status);
      if (c.response.body !== undefined) {
        if (c.response.match === 'subset') expect(body).toMatchObject(c.response.body as object);
        else expect(body).toEqual(c.response.body);
      }
      if (res.status >= 400) expect(typeof (body.error as { fbtrace_id?: unknown }).fbtrace_id).toBe('string');
      if (c.membership) {
        expect(meta.membership(c.membership.audience)).toBe(c.membership.size);
        for (const e of c.membership.emails ?? []) expect(meta.hasEmail(c.membership.audience, e)).toBe(true);
        for (const [e, v] of Object.entries(c.membership.values ?? {})) expect(meta.lookalikeValue(c.membership.audience, e)).toBe(v);
      }
    });
  }

  it('an expired token is refused with code 190 subcode 463 and debug_token reports it invalid', async () => {
    const expired = await startMetaServer({ tokenExpiresAt: Math.floor(Date.now() / 1000) - 60 });
    try {
      const res = await fetch(`${expired.url}/238/users`, { method: 'POST', headers: { authorization: `Bearer ${expired.token}`, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 190, error_subcode: 463, type: 'OAuthException' } });
      const dbg = (await (await fetch(`${expired.url}/debug_token?input_token=${expired.token}`)).json()) as { data: { is_valid: boolean; expires_at: number } };
      expect(dbg.data.is_valid).toBe(false);
      expect(dbg.data.expires_at).toBeGreaterThan(0);
    } finally {
      await expired.close();
    }
  });

  it('answers the documented throttle bodies verbatim when scripted (used by the adapter tests)', async () => {
    for (const t of file.throttleAnswers) {
      meta.answerNextWith(t.httpStatus, t.body);
      const res = await fetch(`${meta.url}/1/users`, { method: 'POST', headers: { authorization: `Bearer ${meta.token}`, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(t.httpStatus);
      expect(await res.json()).toEqual(t.body);
    }
  });
});

interface TargetCase {
  name: string;
  version: 'v1' | 'v2';
  body?: string;
  generate?: { rows: number };
  response: { status: number; fields?: Record<string, string>; has?: string[] };
  profiles?: Record<string, Record<string, string>>;
  status?: Record<string, string> & { finalStatus: string };
}

describe('Adobe Target contract server: golden fixtures', () => {
  const file = fixture<{ client: string; cases: TargetCase[]; singleProfileUpdate: { path: string; expectAttribute: { id: string; name: string; value: string } } }>('adobe-target/bulk-profile-update.json');
  let target: RunningTargetServer;
  beforeAll(async () => {
    target = await startTargetServer();
  });
  afterAll(async () => {
    await target.close();
  });

  for (const c of file.cases) {
    it(c.name, async () => {
      const body = c.generate ? `batch=thirdPartyId,a\n${Array.from({ length: c.generate.rows }, (_, i) => `id${i},v`).join('\n')}\n` : c.body!;
      const before = target.profiles.size;
      const path = c.version === 'v1' ? `/m2/${file.client}/profile/batchUpdate` : `/m2/${file.client}/v2/profile/batchUpdate`;
      const res = await fetch(`${target.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      const xml = await res.text();
      expect(res.status).toBe(c.response.status);
      const fields = xmlFields(xml);
      if (c.response.fields) expect(fields).toMatchObject(c.response.fields);
      for (const k of c.response.has ?? []) expect(fields[k]).toBeTruthy();
      if (res.status !== 200) expect(target.profiles.size).toBe(before);
      const store = body.startsWith('batch=pcId,') ? target.pcProfiles : target.profiles;
      for (const [id, attrs] of Object.entries(c.profiles ?? {})) expect(store.get(id)).toEqual(attrs);
      if (c.status) {
        const { finalStatus, ...expected } = c.status;
        let last: Record<string, string> = {};
        for (let i = 0; i < 5 && last.status !== finalStatus; i++) last = xmlFields(await (await fetch(`${fields.batchStatus}&showDetails=true`)).text());
        expect(last).toMatchObject({ status: finalStatus, ...expected });
      }
    });
  }

  it('single profile update sets profile.<name> on an existing mbox3rdPartyId', async () => {
    const s = file.singleProfileUpdate;
    const res = await fetch(`${target.url}${s.path}`);
    expect(res.status).toBe(200);
    expect(target.profiles.get(s.expectAttribute.id)?.[s.expectAttribute.name]).toBe(s.expectAttribute.value);
  });
});

describe('Standard Webhooks: the specification example', () => {
  const f = fixture<{ secret: string; headers: Record<string, string>; payload: string; signature: string }>('standard-webhooks/signature.json');

  it('the independent standardwebhooks library verifies the documented signature (fixture transcribed correctly)', () => {
    const wh = new Webhook(f.secret);
    // The example is from 2021: verify at its own time, as the spec's tolerance would.
    const realNow = Date.now;
    Date.now = () => Number(f.headers['webhook-timestamp']) * 1000;
    try {
      expect(wh.verify(f.payload, { ...f.headers, 'webhook-signature': f.signature })).toEqual(JSON.parse(f.payload));
      expect(() => wh.verify(f.payload.replace('2432232314', '2432232315'), { ...f.headers, 'webhook-signature': f.signature })).toThrow();
    } finally {
      Date.now = realNow;
    }
  });

  it('the receiver refuses the documented signature once its timestamp is outside the tolerance', async () => {
    const receiver = await startWebhookReceiver({ secret: f.secret });
    try {
      const res = await fetch(receiver.url, { method: 'POST', headers: { ...f.headers, 'webhook-signature': f.signature, 'content-type': 'application/json' }, body: f.payload });
      expect(res.status).toBe(401);
      expect(receiver.counts.badSignature).toBe(1);
    } finally {
      await receiver.close();
    }
  });
});
