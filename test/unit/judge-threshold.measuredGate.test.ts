import { describe, expect, it } from 'vitest';
import { judge, measuredGate } from '../../activities/gates/judge-threshold.ts';

describe('measuredGate', () => {
  it('treats thresholds as strict bounds in both directions', () => {
    expect(judge(0.25, { warnAt: 0.1, failAt: 0.25 })).toBe('warn');
    expect(judge(0.2501, { warnAt: 0.1, failAt: 0.25 })).toBe('fail');
    expect(judge(0.1, { warnAt: 0.1, failAt: 0.25 })).toBe('pass');
    expect(judge(5, { warnAt: 20, failAt: 5 }, 'below')).toBe('warn');
    expect(judge(4, { warnAt: 20, failAt: 5 }, 'below')).toBe('fail');
    expect(judge(Number.NaN, { warnAt: 1, failAt: 2 })).toBe('fail');
  });
  it('writes a sentence with the number and the thresholds', () => {
    const r = measuredGate({ gate: 'scorePsi', subject: 'score', what: 'PSI of the score distribution', value: 0.123456, threshold: { warnAt: 0.1, failAt: 0.25 } });
    expect(r).toEqual({
      gate: 'scorePsi',
      subject: 'score',
      status: 'warn',
      value: 0.123456,
      warnAt: 0.1,
      failAt: 0.25,
      detail: 'PSI of the score distribution is 0.1235, above the warn threshold 0.1 (fails above 0.25).',
    });
  });
});
