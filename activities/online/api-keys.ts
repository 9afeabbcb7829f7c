/**
 * API keys of the decision and event API (`scoreflow serve`): where they come from, how they are
 * held, and the check every `/v1/*` request passes.
 *
 * Keys come from SCOREFLOW_API_KEYS (comma-separated, every scope) and/or an API keys file, one key
 * per line with optional scopes:
 *
 *     # comment
 *     <key>                                  every scope
 *     <key>  decisions:read                  one scope
 *     <key>  decisions:read,events:write     several, comma-separated
 *     sha256:<64 hex digits>  events:write   a key given by its SHA-256 (the file then holds no secret)
 *
 * Only the SHA-256 of each key stays in memory; a presented key is hashed and compared with every
 * stored hash in constant time, so neither the key nor the time taken tells which entry matched.
 * No key or hash is ever logged: an entry is named by its file and line, or its position in the variable.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const API_SCOPES = ['decisions:read', 'events:write'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const API_KEYS_ENV = 'SCOREFLOW_API_KEYS';
/** Shorter keys are guessable; 32 random hex characters (`openssl rand -hex 16`) is the floor. */
export const MIN_KEY_LENGTH = 32;

export interface ApiKeyEntry {
  /** Where it came from, for messages: `SCOREFLOW_API_KEYS[2]` or `keys.txt:4`. Never the key. */
  source: string;
  hash: Buffer;
  scopes: ReadonlySet<ApiScope>;
}

export type AuthResult =
  | { ok: true; key: ApiKeyEntry }
  | { ok: false; status: 401 | 403; error: 'missing_credentials' | 'invalid_authorization' | 'invalid_api_key' | 'insufficient_scope'; message: string };

export class ApiKeyConfigError extends Error {
  override name = 'ApiKeyConfigError';
}

export function sha256(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

const HASHED = /^sha256:([0-9a-fA-F]{64})$/;
// RFC 6750 b64token: what may follow "Bearer ".
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

function parseKey(text: string, where: string): Buffer {
  const hashed = HASHED.exec(text);
  if (hashed) return Buffer.from(hashed[1]!, 'hex');
  if (text.startsWith('sha256:')) throw new ApiKeyConfigError(`${where}: a hashed key must be "sha256:" and 64 hex digits (printf %s "$KEY" | sha256sum)`);
  if (!TOKEN.test(text)) throw new ApiKeyConfigError(`${where}: a key may hold only letters, digits and - . _ ~ + / (a bearer token); generate one with "openssl rand -hex 32"`);
  if (text.length < MIN_KEY_LENGTH) throw new ApiKeyConfigError(`${where}: the key is ${text.length} characters; use at least ${MIN_KEY_LENGTH} (e.g. "openssl rand -hex 32")`);
  return sha256(text);
}

function parseScopes(text: string | undefined, where: string): ReadonlySet<ApiScope> {
  if (text === undefined || text === '') return new Set(API_SCOPES);
  const scopes = new Set<ApiScope>();
  for (const s of text.split(',').map((x) => x.trim())) {
    if (!(API_SCOPES as readonly string[]).includes(s)) throw new ApiKeyConfigError(`${where}: unknown scope "${s}"; scopes are ${API_SCOPES.join(', ')} (comma-separated, no spaces), or none for every scope`);
    scopes.add(s as ApiScope);
  }
  return scopes;
}

/** SCOREFLOW_API_KEYS: comma-separated keys (or sha256:<hex>), each with every scope. Empty entries are ignored. */
export function parseApiKeysEnv(value: string | undefined): ApiKeyEntry[] {
  if (!value?.trim()) return [];
  return value
    .split(',')
    .map((k, i) => ({ k: k.trim(), where: `${API_KEYS_ENV}[${i}]` }))
    .filter(({ k }) => k !== '')
    .map(({ k, where }) => ({ source: where, hash: parseKey(k, where), scopes: parseScopes(undefined, where) }));
}

/** The keys file's text (see the module comment for the format); `name` appears in messages. */
export function parseApiKeysFile(text: string, name: string): ApiKeyEntry[] {
  const out: ApiKeyEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${name}:${i + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length > 2) throw new ApiKeyConfigError(`${where}: expected "<key> [scope,scope]", found ${fields.length} fields; separate scopes with commas, not spaces`);
    out.push({ source: where, hash: parseKey(fields[0]!, where), scopes: parseScopes(fields[1], where) });
  });
  return out;
}

export function readApiKeysFile(path: string): ApiKeyEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ApiKeyConfigError(`--api-keys-file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const keys = parseApiKeysFile(text, path);
  if (keys.length === 0) throw new ApiKeyConfigError(`--api-keys-file ${path}: holds no key; put one key per line ("<key> [scopes]")`);
  return keys;
}

/** Every configured key: the variable's and the file's. */
export function loadApiKeys(opts: { env?: Record<string, string | undefined>; file?: string }): ApiKeyEntry[] {
  const env = opts.env ?? process.env;
  return [...parseApiKeysEnv(env[API_KEYS_ENV]), ...(opts.file ? readApiKeysFile(opts.file) : [])];
}

export interface ApiKeyChecker {
  readonly size: number;
  /** Checks an Authorization header value for a scope. */
  check(authorization: string | undefined, scope: ApiScope): AuthResult;
}

export function createApiKeyChecker(keys: readonly ApiKeyEntry[]): ApiKeyChecker {
  const entries = [...keys];
  return {
    size: entries.length,
    check(authorization, scope) {
      if (!authorization) {
        return { ok: false, status: 401, error: 'missing_credentials', message: `this endpoint needs an API key with scope ${scope}: send "Authorization: Bearer <key>"` };
      }
      const m = /^Bearer +(\S+) *$/i.exec(authorization);
      if (!m || !TOKEN.test(m[1]!)) {
        return { ok: false, status: 401, error: 'invalid_authorization', message: 'the Authorization header must be "Bearer <key>"' };
      }
      const presented = sha256(m[1]!);
      let match: ApiKeyEntry | undefined;
      // Compare with every entry, whatever matched, so the time taken does not depend on which one did.
      for (const e of entries) if (timingSafeEqual(e.hash, presented) && !match) match = e;
      if (!match) return { ok: false, status: 401, error: 'invalid_api_key', message: 'the API key is not one this server accepts' };
      if (!match.scopes.has(scope)) {
        return { ok: false, status: 403, error: 'insufficient_scope', message: `the API key lacks scope ${scope}; it has ${[...match.scopes].join(', ')}` };
      }
      return { ok: true, key: match };
    },
  };
}
