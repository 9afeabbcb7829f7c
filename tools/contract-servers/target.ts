/**
 * A local Adobe Target that honours the documented contract of the profile APIs (docs/destinations/adobe-target.md),
 * for adapter tests and demos. Standalone: `node --import tsx tools/contract-servers/target.ts`
 * (PORT, CALLS_PER_MINUTE, TARGET_TOKEN from the environment).
 *
 * Bulk Profile Update (`POST /m2/<client>/v2/profile/batchUpdate`, and v1 without `/v2`):
 * - the raw body must start with `batch=thirdPartyId,` or `batch=pcId,`; names and values are
 *   URL-decoded UTF-8; a line with more fields than the header, an undecodable field, an empty id,
 *   or a thirdPartyId with "+" or "/" refuses the whole file with HTTP 400 and a Target-like
 *   `<response><success>false</success><message>…</message></response>`;
 * - 413 from `maxFileBytes` (50 MiB) bytes or above `maxFileRows` (500,000) data rows;
 * - 503 with Retry-After when bulk calls (uploads and status polls) exceed `callsPerMinute`
 *   (50) in a sliding window of `windowMs` (60 s);
 * - per row: empty values are ignored (they never clear); a name over 128 or a value over 256
 *   characters fails the row (failedUpdates); v2 creates missing profiles, v1 counts them in
 *   profilesNotFound and creates nothing; rows with only empty values change nothing.
 * - the answer carries a batchStatus URL; polling it answers `incomplete` for the first
 *   `incompletePolls` (1) polls and `complete` afterwards (`stuck` for injected stuck batches), with
 *   consumedCount, successfulUpdates, failedUpdates, profilesNotFound when `showDetails=true`.
 * - Every accepted batch keeps the rows it applied (`applied`: id, attributes, whether it created the
 *   profile), so a test can count the adds, updates and clears each file carried.
 * - `latencyMs` / `setLatency()` delay every bulk call, as a slow API does (a file whose client went
 *   away meanwhile is still applied).
 * - Idempotency: real Target ignores an `Idempotency-Key` header. This server remembers it: the same
 *   key with the same body answers the first batch's response again without applying it twice
 *   (counted in `duplicateBatches`); the same key with a different body is refused with 422.
 *
 * Profile fetch (`GET /rest/v1/profiles/thirdPartyId/<id>?client=<client>`): the profile as JSON
 * (`{ thirdPartyId, pcId, profile: { <attribute>: <value> } }`), or 404 with
 * `{"status":404,"message":"No profile found for client <client> with third party id=<id>"}`.
 *
 * Single profile update (`GET|POST /m2/<client>/profile/update?mbox3rdPartyId=<id>&profile.<a>=<v>`):
 * updates existing profiles only (an unknown id is accepted and counted in singleNotFound, as Target
 * creates no profile), 414 for a GET URL over 8 KB, 413 for a POST body over 60 KB.
 */
import { createHash, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

export interface TargetServerFailures {
  /** The next N bulk calls answer 503. */
  throttle?: number;
  /** The next N bulk calls answer 500. */
  serverError?: number;
  /** The next N accepted batches end `stuck` and apply nothing. */
  stuck?: number;
}

export interface TargetServerOptions {
  port?: number;
  host?: string;
  callsPerMinute?: number;
  windowMs?: number;
  /** When set, every call needs `Authorization: Bearer <token>`. */
  token?: string;
  /**
   * Adobe IMS OAuth server-to-server: POST {url}/ims/token/v3 (grant_type=client_credentials,
   * client_id, client_secret, scope) issues bearer tokens living `accessTokenTtlSeconds` (IMS: 86399);
   * when set, every Target call needs one of them (or `token`), and an expired one answers 401.
   */
  ims?: { clientId: string; clientSecret: string; accessTokenTtlSeconds?: number };
  incompletePolls?: number;
  maxFileBytes?: number;
  maxFileRows?: number;
  maxGetBytes?: number;
  maxPostBytes?: number;
  failures?: TargetServerFailures;
  /** Every bulk call (upload, status poll) waits this long before it is handled. */
  latencyMs?: number;
}

export interface TargetBatch {
  batchId: string;
  client: string;
  version: 'v1' | 'v2';
  idColumn: 'thirdPartyId' | 'pcId';
  attributes: string[];
  batchSize: number;
  bytes: number;
  successfulUpdates: number;
  failedUpdates: number;
  profilesNotFound: number;
  stuck: boolean;
  polls: number;
  /** The rows this batch applied, in file order (none when stuck). */
  applied: { id: string; attrs: Record<string, string>; created: boolean }[];
  idempotencyKey?: string;
  response: string;
  bodySha256: string;
}

export interface TargetServerCounts {
  batchUpdates: number;
  batchStatusPolls: number;
  singleUpdates: number;
  singleNotFound: number;
  throttled: number;
  rejected: number;
  duplicateBatches: number;
  profileFetches: number;
}

export interface RunningTargetServer {
  url: string;
  /** The IMS token endpoint (client-credentials grant). */
  imsTokenUrl: string;
  /** Access tokens issued by the IMS endpoint so far. */
  tokensIssued(): number;
  /** Forget every issued IMS token (as a revocation would): the next call with one answers 401. */
  revokeTokens(): void;
  counts: TargetServerCounts;
  /** thirdPartyId → attributes as received (URL-decoded). */
  profiles: Map<string, Record<string, string>>;
  /** pcId → attributes, for files keyed by pcId. */
  pcProfiles: Map<string, Record<string, string>>;
  batches: Map<string, TargetBatch>;
  /** Adds failures for the next calls. */
  inject(f: TargetServerFailures): void;
  /** From now on every bulk call waits `ms` before it is handled. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

const MAX_NAME = 128;
const MAX_VALUE = 256;

function xml(fields: Record<string, string | number>): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<response>${Object.entries(fields).map(([k, v]) => `<${k}>${esc(String(v))}</${k}>`).join('')}</response>`;
}

function chars(s: string): number {
  return Array.from(s).length;
}

class BadFile extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startTargetServer(options: TargetServerOptions = {}): Promise<RunningTargetServer> {
  const callsPerMinute = options.callsPerMinute ?? 50;
  const windowMs = options.windowMs ?? 60_000;
  const maxFileBytes = options.maxFileBytes ?? 50 * 1024 * 1024;
  const maxFileRows = options.maxFileRows ?? 500_000;
  const maxGetBytes = options.maxGetBytes ?? 8 * 1024;
  const maxPostBytes = options.maxPostBytes ?? 60 * 1024;
  const incompletePolls = options.incompletePolls ?? 1;
  const failures: Required<TargetServerFailures> = { throttle: 0, serverError: 0, stuck: 0, ...options.failures };
  let latencyMs = options.latencyMs ?? 0;
  const slow = () => (latencyMs > 0 ? new Promise((r) => setTimeout(r, latencyMs)) : undefined);

  const counts: TargetServerCounts = { batchUpdates: 0, batchStatusPolls: 0, singleUpdates: 0, singleNotFound: 0, throttled: 0, rejected: 0, duplicateBatches: 0, profileFetches: 0 };
  const profiles = new Map<string, Record<string, string>>();
  const pcProfiles = new Map<string, Record<string, string>>();
  const batches = new Map<string, TargetBatch>();
  const byKey = new Map<string, TargetBatch>();
  const calls: number[] = [];
  let seq = 0;

  const app = Fastify({ logger: false, bodyLimit: Math.max(maxFileBytes, maxPostBytes) + 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  let base = '';
  const send = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('application/xml').send(body);
  const refuse = (reply: FastifyReply, status: number, message: string) => {
    counts.rejected++;
    return send(reply, status, xml({ success: 'false', message }));
  };

  let issuedCount = 0;
  const imsTokens = new Map<string, number>(); // access token → expiry (epoch ms)
  function authorized(req: FastifyRequest): boolean {
    if (!options.token && !options.ims) return true;
    const given = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice('Bearer '.length) : undefined;
    if (!given) return false;
    return given === options.token || (imsTokens.get(given) ?? 0) > Date.now();
  }

  // Adobe IMS token endpoint (client-credentials grant); errors in IMS's {error, error_description} shape.
  app.post('/ims/token/v3', (req, reply) => {
    const f = Object.fromEntries(new URLSearchParams(typeof req.body === 'string' ? req.body : ''));
    const ims = options.ims;
    if (f.grant_type !== 'client_credentials') return reply.code(400).send({ error: 'unsupported_grant_type', error_description: 'unsupported grant_type' });
    if (!ims || f.client_id !== ims.clientId) return reply.code(400).send({ error: 'invalid_client', error_description: 'invalid client_id parameter' });
    if (f.client_secret !== ims.clientSecret) return reply.code(401).send({ error: 'invalid_client', error_description: 'invalid client_secret parameter' });
    if (!f.scope) return reply.code(400).send({ error: 'invalid_scope', error_description: 'scope is required' });
    const ttl = ims.accessTokenTtlSeconds ?? 86_399;
    const accessToken = `eyJ${randomUUID().replace(/-/g, '')}`;
    issuedCount++;
    imsTokens.set(accessToken, Date.now() + ttl * 1000);
    return reply.code(200).send({ access_token: accessToken, token_type: 'bearer', expires_in: ttl });
  });

  /** Sliding-window limiter and injected failures for bulk calls; returns false when it answered. */
  function admitBulkCall(reply: FastifyReply): boolean {
    const now = Date.now();
    while (calls.length > 0 && calls[0]! <= now - windowMs) calls.shift();
    if (failures.throttle > 0 || calls.length >= callsPerMinute) {
      if (failures.throttle > 0) failures.throttle--;
      counts.throttled++;
      const waitMs = calls.length >= callsPerMinute ? calls[0]! + windowMs - now : 1000;
      void reply.header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))));
      void send(reply, 503, xml({ success: 'false', message: `Too many requests: more than ${callsPerMinute} calls per minute` }));
      return false;
    }
    calls.push(now);
    if (failures.serverError > 0) {
      failures.serverError--;
      void send(reply, 500, xml({ success: 'false', message: 'Internal server error' }));
      return false;
    }
    return true;
  }

  function decode(field: string, where: string): string {
    try {
      return decodeURIComponent(field);
    } catch {
      throw new BadFile(400, `${where} is not valid URL-encoded UTF-8`);
    }
  }

  function processBatch(client: string, version: 'v1' | 'v2', body: string): Omit<TargetBatch, 'idempotencyKey' | 'response' | 'bodySha256'> {
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes >= maxFileBytes) throw new BadFile(413, `Batch file is ${bytes} bytes; it must be less than ${maxFileBytes} bytes`);
    const m = /^batch=(thirdPartyId|pcId),/.exec(body);
    if (!m) throw new BadFile(400, 'Batch file must start with batch=thirdPartyId, or batch=pcId, followed by the attribute names');
    const idColumn = m[1] as 'thirdPartyId' | 'pcId';
    const lines = body.split(/\r?\n/);
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const rows = lines.length - 1;
    if (rows > maxFileRows) throw new BadFile(413, `Batch file has ${rows} rows; at most ${maxFileRows} are allowed`);
    const headerFields = lines[0]!.slice('batch='.length).split(',');
    const attributes = headerFields.slice(1).map((f, i) => decode(f, `header column ${i + 2}`));
    if (attributes.some((a) => a === '')) throw new BadFile(400, 'Batch header has an empty attribute name');
    if (new Set(attributes).size !== attributes.length) throw new BadFile(400, 'Batch header repeats an attribute name');

    const updates: { id: string; attrs: Record<string, string>; failed: boolean }[] = [];
    for (let i = 1; i < lines.length; i++) {
      const fields = lines[i]!.split(',');
      if (fields.length > headerFields.length) throw new BadFile(400, `Line ${i + 1} has ${fields.length} fields; the header declares ${headerFields.length}`);
      if (/[+/]/.test(fields[0]!) || (idColumn === 'thirdPartyId' && /[+/]/.test(decode(fields[0]!, `line ${i + 1} id`)))) {
        throw new BadFile(400, `Line ${i + 1}: ${idColumn} cannot contain + or /`);
      }
      const id = decode(fields[0]!, `line ${i + 1} id`);
      if (id === '') throw new BadFile(400, `Line ${i + 1} has an empty ${idColumn}`);
      const attrs: Record<string, string> = {};
      let failed = false;
      for (let c = 1; c < fields.length; c++) {
        const value = decode(fields[c]!, `line ${i + 1} column ${c + 1}`);
        if (value === '') continue;
        const name = attributes[c - 1]!;
        if (chars(name) > MAX_NAME || chars(value) > MAX_VALUE) failed = true;
        attrs[name] = value;
      }
      updates.push({ id, attrs, failed });
    }

    const stuck = failures.stuck > 0;
    if (stuck) failures.stuck--;
    let successfulUpdates = 0;
    let failedUpdates = 0;
    let profilesNotFound = 0;
    const applied: TargetBatch['applied'] = [];
    if (!stuck) {
      const store = idColumn === 'thirdPartyId' ? profiles : pcProfiles;
      for (const u of updates) {
        if (u.failed) {
          failedUpdates++;
          continue;
        }
        if (Object.keys(u.attrs).length === 0) continue;
        const existing = store.get(u.id);
        if (!existing && version === 'v1') {
          profilesNotFound++;
          continue;
        }
        store.set(u.id, { ...existing, ...u.attrs });
        applied.push({ id: u.id, attrs: u.attrs, created: !existing });
        successfulUpdates++;
      }
    }
    seq++;
    return {
      batchId: `${client}-${Date.now()}-${seq}`,
      client,
      version,
      idColumn,
      attributes,
      batchSize: rows,
      bytes,
      successfulUpdates,
      failedUpdates,
      profilesNotFound,
      stuck,
      polls: 0,
      applied,
    };
  }

  async function batchUpdate(req: FastifyRequest<{ Params: { client: string } }>, reply: FastifyReply, version: 'v1' | 'v2') {
    await slow();
    if (!authorized(req)) return refuse(reply, 401, 'Unauthorized');
    if (!admitBulkCall(reply)) return reply;
    counts.batchUpdates++;
    const body = typeof req.body === 'string' ? req.body : '';
    const key = req.headers['idempotency-key'];
    const sha = createHash('sha256').update(body).digest('hex');
    if (typeof key === 'string' && byKey.has(key)) {
      const prior = byKey.get(key)!;
      if (prior.bodySha256 !== sha) return refuse(reply, 422, 'Idempotency-Key was already used with a different batch file');
      counts.duplicateBatches++;
      return send(reply, 200, prior.response);
    }
    try {
      const b = processBatch(req.params.client, version, body);
      const response = xml({
        success: 'true',
        batchStatus: `${base}/m2/${req.params.client}/profile/batchStatus?batchId=${b.batchId}`,
        message: 'Batch submitted for processing',
      });
      const batch: TargetBatch = { ...b, response, bodySha256: sha, ...(typeof key === 'string' ? { idempotencyKey: key } : {}) };
      batches.set(batch.batchId, batch);
      if (typeof key === 'string') byKey.set(key, batch);
      return send(reply, 200, response);
    } catch (err) {
      if (err instanceof BadFile) return refuse(reply, err.status, err.message);
      throw err;
    }
  }

  app.post<{ Params: { client: string } }>('/m2/:client/v2/profile/batchUpdate', (req, reply) => batchUpdate(req, reply, 'v2'));
  app.post<{ Params: { client: string } }>('/m2/:client/profile/batchUpdate', (req, reply) => batchUpdate(req, reply, 'v1'));

  app.get<{ Params: { client: string }; Querystring: { batchId?: string; showDetails?: string } }>('/m2/:client/profile/batchStatus', async (req, reply) => {
    await slow();
    if (!authorized(req)) return refuse(reply, 401, 'Unauthorized');
    if (!admitBulkCall(reply)) return reply;
    counts.batchStatusPolls++;
    const b = req.query.batchId ? batches.get(req.query.batchId) : undefined;
    if (!b || b.client !== req.params.client) return refuse(reply, 404, 'Unknown batchId');
    b.polls++;
    const status = b.stuck ? 'stuck' : b.polls <= incompletePolls ? 'incomplete' : 'complete';
    const fields: Record<string, string | number> = { batchId: b.batchId, status, batchSize: b.batchSize };
    if (req.query.showDetails === 'true') {
      const done = status === 'complete';
      Object.assign(fields, {
        consumedCount: done ? b.batchSize : b.stuck ? 0 : Math.floor(b.batchSize / 2),
        successfulUpdates: done ? b.successfulUpdates : 0,
        profilesNotFound: done ? b.profilesNotFound : 0,
        failedUpdates: done ? b.failedUpdates : 0,
      });
    }
    return send(reply, 200, xml(fields));
  });

  function singleUpdate(params: URLSearchParams, reply: FastifyReply) {
    counts.singleUpdates++;
    const id = params.get('mbox3rdPartyId');
    const pc = params.get('mboxPC');
    if (!id && !pc) return refuse(reply, 400, 'mbox3rdPartyId or mboxPC is required');
    if (id && /[+/]/.test(id)) return refuse(reply, 400, 'mbox3rdPartyId cannot contain + or /');
    const attrs: Record<string, string> = {};
    for (const [k, v] of params) {
      if (!k.startsWith('profile.')) continue;
      const name = k.slice('profile.'.length);
      if (name === '' || chars(name) > MAX_NAME) return refuse(reply, 400, `Profile parameter name must be 1..${MAX_NAME} characters`);
      if (chars(v) > MAX_VALUE) return refuse(reply, 400, `Profile parameter value must be at most ${MAX_VALUE} characters`);
      if (v !== '') attrs[name] = v;
    }
    const store = id ? profiles : pcProfiles;
    const existing = store.get((id ?? pc)!);
    if (existing) store.set((id ?? pc)!, { ...existing, ...attrs });
    else counts.singleNotFound++;
    return send(reply, 200, xml({ success: 'true', message: 'Request successfully submitted' }));
  }

  app.get('/m2/:client/profile/update', (req, reply) => {
    if (!authorized(req)) return refuse(reply, 401, 'Unauthorized');
    const bytes = Buffer.byteLength(`${base}${req.url}`, 'utf8');
    if (bytes > maxGetBytes) return refuse(reply, 414, `GET request is ${bytes} bytes; the limit is ${maxGetBytes}`);
    return singleUpdate(new URLSearchParams(req.url.split('?')[1] ?? ''), reply);
  });
  app.post('/m2/:client/profile/update', (req, reply) => {
    if (!authorized(req)) return refuse(reply, 401, 'Unauthorized');
    const body = typeof req.body === 'string' ? req.body : '';
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > maxPostBytes) return refuse(reply, 413, `POST body is ${bytes} bytes; the limit is ${maxPostBytes}`);
    const params = new URLSearchParams(req.url.split('?')[1] ?? '');
    for (const [k, v] of new URLSearchParams(body)) params.append(k, v);
    return singleUpdate(params, reply);
  });

  // Profile fetch (docs/destinations/adobe-target.md): JSON, 404 with Target's documented body.
  app.get<{ Params: { id: string; client?: string }; Querystring: { client?: string } }>('/rest/v1/profiles/thirdPartyId/:id', async (req, reply) => {
    counts.profileFetches++;
    if (!authorized(req)) return reply.code(401).send({ status: 401, message: 'Unauthorized' });
    const client = req.query.client;
    if (!client) return reply.code(400).send({ status: 400, message: 'client is required' });
    const profile = profiles.get(req.params.id);
    if (!profile) return reply.code(404).send({ status: 404, message: `No profile found for client ${client} with third party id=${req.params.id}` });
    return reply.code(200).send({ thirdPartyId: req.params.id, pcId: [], profile: { ...profile } });
  });

  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  base = address.replace('localhost', '127.0.0.1');
  return {
    url: base,
    imsTokenUrl: `${base}/ims/token/v3`,
    tokensIssued: () => issuedCount,
    revokeTokens: () => imsTokens.clear(),
    counts,
    profiles,
    pcProfiles,
    batches,
    inject(f) {
      failures.throttle += f.throttle ?? 0;
      failures.serverError += f.serverError ?? 0;
      failures.stuck += f.stuck ?? 0;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    close: () => app.close(),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startTargetServer({
    port: Number(process.env.PORT ?? 8450),
    callsPerMinute: process.env.CALLS_PER_MINUTE ? Number(process.env.CALLS_PER_MINUTE) : undefined,
    token: process.env.TARGET_TOKEN,
  });
  process.stdout.write(`Target contract server on ${server.url} (batchUpdate: ${server.url}/m2/<client>/v2/profile/batchUpdate)\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
