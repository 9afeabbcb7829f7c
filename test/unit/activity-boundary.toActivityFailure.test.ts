import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { toActivityFailure } from '../../workers/activity-boundary.ts';
import { InvalidPipelineConfigError } from '../../activities/run/pipeline.ts';
import { InvalidFeedError } from '../../activities/feed/invalid-feed-error.ts';
import { ModelRegistryError } from '../../activities/scoring/registry.ts';

describe('toActivityFailure: one mapper at the activity boundary', () => {
  it('turns bad-input errors into non-retryable failures of their type, keeping the message and the cause', () => {
    const cases: [Error, string][] = [
      [new InvalidPipelineConfigError('p.yaml: invalid pipeline config: holdout: bad'), 'InvalidPipelineConfig'],
      [new InvalidFeedError('01-x.tsv.gz: MD5 digest mismatch'), 'InvalidFeed'],
      [new ModelRegistryError('INVALID_TARGET', 'model m has no version 9.9.9'), 'InvalidModel'],
    ];
    for (const [err, type] of cases) {
      const f = toActivityFailure(err, 'someActivity') as ApplicationFailure;
      expect(f).toBeInstanceOf(ApplicationFailure);
      expect(f).toMatchObject({ type, nonRetryable: true, message: err.message });
      expect(f.cause).toBe(err);
    }
  });

  it('names the activity and the fields of a zod error', () => {
    const zerr = z.object({ runId: z.string() }).safeParse({ runId: 3 }).error!;
    const f = toActivityFailure(zerr, 'scoreActivity') as ApplicationFailure;
    expect(f).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(f.message).toMatch(/^scoreActivity: invalid input: runId: /);
  });

  it('leaves transient errors and existing ApplicationFailures alone, so Temporal retries the former', () => {
    const transient = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(toActivityFailure(transient, 'x')).toBe(transient);
    const af = ApplicationFailure.create({ type: 'DestinationThrottled', message: 'slow down', nextRetryDelay: 1000 });
    expect(toActivityFailure(af, 'x')).toBe(af);
  });
});
