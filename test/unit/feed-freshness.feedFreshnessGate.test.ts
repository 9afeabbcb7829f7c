import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../contracts/gate-config.ts';
import { feedFreshnessGate } from '../../activities/gates/feed-freshness.ts';

const t = GateConfig.parse({}).feedFreshness;
const now = new Date('2026-03-10T12:00:00Z');

describe('feedFreshnessGate', () => {
  it('fails when the latest hit is older than 48 hours', () => {
    const r = feedFreshnessGate('2026-03-08T06:00:00Z', now, t);
    expect(r).toMatchObject({ gate: 'feedFreshness', status: 'fail', value: 54, failAt: 48 });
    expect(r.detail).toMatch(/Hours since the latest hit in the feed is 54, above the fail threshold 48/);
  });
  it('passes a feed with hits from the last few hours and warns past a day', () => {
    expect(feedFreshnessGate(new Date('2026-03-10T09:30:00Z'), now, t)).toMatchObject({ status: 'pass', value: 2.5 });
    expect(feedFreshnessGate('2026-03-09T06:00:00Z', now, t).status).toBe('warn');
  });
});
