import { describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createLogger } from '../../activities/observability/logger.ts';

function capture() {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (s: string) => lines.push(s) } as never });
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('redacts identifier and PII keys at the top level and two levels down', () => {
    const { log, lines, parsed } = capture();
    log.info({ email: 'ann@example.com', entity_id: '123_456', row: { ip: '10.1.2.3', contact: { phone: '+16505551212' } }, count: 3 }, 'x');
    expect(parsed()[0]).toMatchObject({ email: '[redacted]', entity_id: '[redacted]', row: { ip: '[redacted]', contact: { phone: '[redacted]' } }, count: 3 });
    expect(lines.join('')).not.toMatch(/ann@example\.com|123_456|10\.1\.2\.3|6505551212/);
  });

  it('names the workflow and activity on every line logged inside an activity, and nothing outside one', async () => {
    const { log, parsed } = capture();
    log.info('outside');
    const env = new MockActivityEnvironment({
      activityType: 'exportDestinationActivity',
      attempt: 2,
      workflowExecution: { workflowId: 'demo.run.1.export.offers-webhook', runId: 'r1' },
    });
    await env.run(async () => {
      log.child({ destination: 'webhook' }).info({ chunk: 0 }, 'inside');
    });
    const [outside, inside] = parsed();
    expect(outside).not.toHaveProperty('temporal');
    expect(inside).toMatchObject({
      msg: 'inside',
      destination: 'webhook',
      chunk: 0,
      temporal: { workflowId: 'demo.run.1.export.offers-webhook', activity: 'exportDestinationActivity', attempt: 2 },
    });
  });
});
