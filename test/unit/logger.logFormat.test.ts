/**
 * Logs are human-readable on a terminal and JSON lines otherwise, and redaction holds in both.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logFormat, prettyStream } from '../../activities/observability/logger.ts';

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString('utf8');
}

describe('logFormat', () => {
  it('is pretty on a terminal and JSON on a pipe, unless SCOREFLOW_LOG_FORMAT says otherwise', () => {
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({ SCOREFLOW_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ SCOREFLOW_LOG_FORMAT: 'Pretty' }, false)).toBe('pretty');
    // A log file is for machines, even when started from a terminal.
    expect(logFormat({ SCOREFLOW_LOG_FILE: '/var/log/scoreflow.log' }, true)).toBe('json');
  });

  it('names the variable, the bad value and the accepted ones', () => {
    expect(() => logFormat({ SCOREFLOW_LOG_FORMAT: 'xml' }, true)).toThrow('SCOREFLOW_LOG_FORMAT="xml": expected json or pretty');
  });
});

describe('the pretty stream', () => {
  it('writes one readable line per entry with its fields, identifiers still redacted', () => {
    const out = new PassThrough();
    const text = collect(out);
    const log = createLogger({ level: 'info', destination: prettyStream(out, false) });
    log.info({ runId: 'demo.run-1', rows: 42, email: 'ana@example.com', entityId: '123_456' }, 'export committed');
    log.warn({ destination: 'google-ads' }, 'receiver answered 503');
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: export committed /);
    expect(lines[0]).toContain('"runId":"demo.run-1"');
    expect(lines[0]).toContain('"rows":42');
    expect(lines[0]).toContain('"email":"[redacted]"');
    expect(lines[0]).toContain('"entityId":"[redacted]"');
    expect(lines[0]).not.toContain('ana@example.com');
    expect(lines[0]).not.toContain('123_456');
    expect(lines[1]).toMatch(/WARN: receiver answered 503/);
    expect(lines[0]).not.toMatch(/^\{/);
  });
});
