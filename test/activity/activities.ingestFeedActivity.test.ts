import { afterAll, describe, expect, it } from 'vitest';
import { renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { ingestFeedActivity } from '../../activities/feed/activities.ts';
import type { IngestResult } from '../../contracts/feed-ingest.ts';
import { FIXTURE_DATA, FIXTURE_MANIFEST, copyFixture } from '../helpers/adobe-feed-delivery.ts';

const dirs: string[] = [];
/** Delivery ids are unique per run: the test database outlives runs. */
const RUN = Date.now().toString(36);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fixtureAs(rsid: string) {
  const dir = copyFixture();
  dirs.push(dir);
  const manifestFile = `${rsid}${RUN}_2015-07-13.txt`;
  renameSync(join(dir, FIXTURE_MANIFEST), join(dir, manifestFile));
  return { dir, manifestFile };
}

describe('ingestFeedActivity', () => {
  it('heartbeats its progress inside an activity and returns only the small result', async () => {
    const f = fixtureAs('zwact');
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const result = (await env.run(ingestFeedActivity, { dir: f.dir, manifestFile: f.manifestFile })) as IngestResult;
    expect(Object.keys(result).sort()).toEqual(['deliveryId', 'encoding', 'excluded', 'exclusions', 'loaded', 'orders', 'pageViews', 'quarantined', 'records', 'replacedBytes', 'replacedRecords', 'revenue', 'units', 'visitors', 'visits']);
    expect(result).toMatchObject({ deliveryId: `zwact${RUN}_2015-07-13`, records: 592 });
    expect(JSON.stringify(result).length).toBeLessThan(1000);
    expect(beats[0]).toEqual({ stage: 'verify', manifestFile: f.manifestFile });
    expect(beats).toContainEqual({ stage: 'load', deliveryId: `zwact${RUN}_2015-07-13`, file: FIXTURE_DATA, records: 592, totalRecords: 592 });
  });

  it('runs outside an activity too (CLI, tests) without heartbeating', async () => {
    const f = fixtureAs('zwnoact');
    await expect(ingestFeedActivity({ dir: f.dir, manifestFile: f.manifestFile })).resolves.toMatchObject({ records: 592 });
  });

  it('turns a rejected delivery into a non-retryable InvalidFeed failure', async () => {
    const f = fixtureAs('zwactbad');
    const path = join(f.dir, FIXTURE_DATA);
    const bytes = readFileSync(path);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(path, bytes);
    const err = await new MockActivityEnvironment().run(ingestFeedActivity, { dir: f.dir, manifestFile: f.manifestFile }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('InvalidFeed');
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as Error).message).toMatch(/^01-zwitchdev_2015-07-13\.tsv\.gz: MD5 digest mismatch/);
  });

  it('rejects invalid input as a non-retryable ContractViolation', async () => {
    const err = await ingestFeedActivity({ dir: '/tmp', manifestFile: '../etc/x.txt' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('ContractViolation');
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('stops and rolls back when the activity is cancelled', async () => {
    const f = fixtureAs('zwcancel');
    const env = new MockActivityEnvironment();
    env.on('heartbeat', (d: { stage?: string }) => {
      if (d.stage === 'verify') env.cancel('CANCELLED');
    });
    const err = await env.run(ingestFeedActivity, { dir: f.dir, manifestFile: f.manifestFile }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const { getPool } = await import('../../activities/store/db.ts');
    const { rows } = await getPool().query('SELECT count(*)::int AS n FROM feed_delivery WHERE delivery_id = $1', [`zwcancel${RUN}_2015-07-13`]);
    expect(rows[0].n).toBe(0);
  });
});
