import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ApiKeyConfigError, createApiKeyChecker, loadApiKeys, parseApiKeysEnv, parseApiKeysFile, readApiKeysFile } from '../../activities/online/api-keys.ts';
import { createLogger } from '../../activities/observability/logger.ts';

const READER = 'r'.repeat(40);
const WRITER = 'w0123456789abcdef0123456789abcdef';
const BOTH = 'b-._~+/0123456789abcdefghijklmnopqrstuv';
const HASHED = 'h'.repeat(48);
const sha = (k: string) => createHash('sha256').update(k).digest('hex');

const FILE = [
  '# decision readers and event writers',
  '',
  `${READER}   decisions:read`,
  `${WRITER}\tevents:write`,
  BOTH,
  `sha256:${sha(HASHED).toUpperCase()} decisions:read,events:write`,
].join('\n');

describe('parseApiKeysFile', () => {
  it('reads one key per line with optional scopes, skipping comments and blank lines, and holds only hashes', () => {
    const keys = parseApiKeysFile(FILE, 'keys.txt');
    expect(keys.map((k) => [k.source, [...k.scopes].sort()])).toEqual([
      ['keys.txt:3', ['decisions:read']],
      ['keys.txt:4', ['events:write']],
      ['keys.txt:5', ['decisions:read', 'events:write']],
      ['keys.txt:6', ['decisions:read', 'events:write']],
    ]);
    expect(keys.map((k) => k.hash.toString('hex'))).toEqual([sha(READER), sha(WRITER), sha(BOTH), sha(HASHED)]);
    expect(JSON.stringify(keys)).not.toContain(READER);
  });

  it('refuses bad entries naming the file and line and what to do', () => {
    const bad: [string, RegExp][] = [
      ['short-key', /k\.txt:1: the key is 9 characters; use at least 32/],
      [`${READER} decisions:write`, /k\.txt:1: unknown scope "decisions:write"; scopes are decisions:read, events:write/],
      [`${READER} decisions:read, events:write`, /k\.txt:1: expected "<key> \[scope,scope\]", found 3 fields/],
      ['sha256:abc', /k\.txt:1: a hashed key must be "sha256:" and 64 hex digits/],
      [`${READER}"quote"`, /k\.txt:1: a key may hold only letters, digits/],
      [`# ok\n${READER}\n${'x'.repeat(31)}`, /k\.txt:3: the key is 31 characters/],
    ];
    for (const [text, message] of bad) {
      expect(() => parseApiKeysFile(text, 'k.txt'), text).toThrow(ApiKeyConfigError);
      expect(() => parseApiKeysFile(text, 'k.txt'), text).toThrow(message);
    }
  });

  it('readApiKeysFile names a missing or empty file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-keys-'));
    expect(() => readApiKeysFile(join(dir, 'nope.txt'))).toThrow(/--api-keys-file .*nope\.txt: cannot read it \(ENOENT\)/);
    writeFileSync(join(dir, 'empty.txt'), '# nothing yet\n\n');
    expect(() => readApiKeysFile(join(dir, 'empty.txt'))).toThrow(/empty\.txt: holds no key; put one key per line/);
  });
});

describe('SCOREFLOW_API_KEYS', () => {
  it('is comma-separated keys with every scope; blanks are ignored; errors name the position', () => {
    const keys = parseApiKeysEnv(` ${READER} ,, ${WRITER},`);
    expect(keys.map((k) => k.source)).toEqual(['SCOREFLOW_API_KEYS[0]', 'SCOREFLOW_API_KEYS[2]']);
    expect(keys.every((k) => k.scopes.size === 2)).toBe(true);
    expect(parseApiKeysEnv(undefined)).toEqual([]);
    expect(parseApiKeysEnv('  ')).toEqual([]);
    expect(() => parseApiKeysEnv(`${READER},tooshort`)).toThrow(/SCOREFLOW_API_KEYS\[1\]: the key is 8 characters/);
  });

  it('adds to the keys file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-keys-'));
    writeFileSync(join(dir, 'keys.txt'), FILE);
    const keys = loadApiKeys({ env: { SCOREFLOW_API_KEYS: `${'e'.repeat(32)}` }, file: join(dir, 'keys.txt') });
    expect(keys).toHaveLength(5);
    expect(loadApiKeys({ env: {} })).toEqual([]);
  });
});

describe('createApiKeyChecker', () => {
  const check = createApiKeyChecker(parseApiKeysFile(FILE, 'keys.txt')).check;

  it('accepts a key holding the scope, by plain or hashed entry, case-insensitive scheme', () => {
    expect(check(`Bearer ${READER}`, 'decisions:read')).toMatchObject({ ok: true, key: { source: 'keys.txt:3' } });
    expect(check(`bearer ${WRITER}`, 'events:write')).toMatchObject({ ok: true, key: { source: 'keys.txt:4' } });
    expect(check(`Bearer ${BOTH}`, 'events:write')).toMatchObject({ ok: true });
    expect(check(`Bearer ${HASHED}`, 'decisions:read')).toMatchObject({ ok: true, key: { source: 'keys.txt:6' } });
  });

  it('answers 401 for a missing, malformed or unknown key and 403 for a missing scope, saying what is missing', () => {
    expect(check(undefined, 'events:write')).toMatchObject({ ok: false, status: 401, error: 'missing_credentials', message: expect.stringContaining('Authorization: Bearer <key>') });
    expect(check(undefined, 'events:write')).toMatchObject({ message: expect.stringContaining('events:write') });
    expect(check(`Basic ${READER}`, 'decisions:read')).toMatchObject({ status: 401, error: 'invalid_authorization' });
    expect(check('Bearer', 'decisions:read')).toMatchObject({ status: 401, error: 'invalid_authorization' });
    expect(check(`Bearer ${READER}x`, 'decisions:read')).toMatchObject({ status: 401, error: 'invalid_api_key' });
    // The hash itself is not a key.
    expect(check(`Bearer ${sha(HASHED)}`, 'decisions:read')).toMatchObject({ status: 401, error: 'invalid_api_key' });
    const denied = check(`Bearer ${READER}`, 'events:write');
    expect(denied).toMatchObject({ ok: false, status: 403, error: 'insufficient_scope' });
    expect(denied.ok ? '' : denied.message).toBe('the API key lacks scope events:write; it has decisions:read');
  });

  it('an empty key set accepts nothing', () => {
    expect(createApiKeyChecker([]).check(`Bearer ${READER}`, 'decisions:read')).toMatchObject({ ok: false, status: 401 });
  });
});

describe('logger redaction of credentials', () => {
  it('never writes an Authorization header or an API key', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const log = createLogger({ level: 'info', destination: sink });
    log.info({ req: { headers: { authorization: `Bearer ${READER}` } } }, 'request');
    log.info({ headers: { authorization: `Bearer ${READER}` }, apiKey: WRITER }, 'request');
    log.info({ authorization: `Bearer ${READER}` }, 'request');
    log.flush();
    const text = lines.join('');
    expect(lines).toHaveLength(3);
    expect(text).not.toContain(READER);
    expect(text).not.toContain(WRITER);
    expect(text.match(/\[redacted\]/g)).toHaveLength(4);
  });
});
