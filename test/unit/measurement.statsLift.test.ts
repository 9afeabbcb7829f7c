import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArm, parseStatsLiftFlags, statsLift } from '../../cli/commands/measurement.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'stats', 'lift', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('parseArm', () => {
  it('reads USERS,CONVERSIONS', () => {
    expect(parseArm('control', '10000,230')).toEqual({ n: 10000, conversions: 230 });
    expect(parseArm('control', ' 10000 , 0 ')).toEqual({ n: 10000, conversions: 0 });
  });

  it.each([
    ['100,150', /--control "100,150": CONVERSIONS \(150\) cannot exceed USERS \(100\)/],
    ['-5,1', /--control "-5,1": USERS is negative \(-5\)/],
    ['5,-1', /--control "5,-1": CONVERSIONS is negative \(-1\)/],
    ['abc', /--control "abc": expected USERS,CONVERSIONS/],
    ['10,x', /--control "10,x": CONVERSIONS "x" is not a whole number/],
    ['10.5,3', /--control "10.5,3": USERS "10.5" is not a whole number/],
    ['1e3,3', /--control "1e3,3": USERS "1e3" is not a whole number/],
    ['1,2,3', /--control "1,2,3": expected USERS,CONVERSIONS/],
    [',3', /--control ",3": expected USERS,CONVERSIONS/],
    ['99999999999999999999,1', /--control "99999999999999999999,1": USERS 99999999999999999999 is too large/],
  ])('rejects %s naming the flag', (value, message) => {
    expect(() => parseArm('control', value)).toThrow(message);
  });
});

describe('parseStatsLiftFlags', () => {
  it('names --confidence and --control-share when they are not numbers in (0, 1)', () => {
    const base = { control: '1000,50', treatment: '9000,540' };
    expect(() => parseStatsLiftFlags({ ...base, confidence: 'abc' })).toThrow(/^--confidence "abc": not a number/);
    expect(() => parseStatsLiftFlags({ ...base, confidence: '' })).toThrow(/^--confidence "": not a number/);
    expect(() => parseStatsLiftFlags({ ...base, confidence: '95' })).toThrow(/^--confidence 95: must be strictly between 0 and 1/);
    expect(() => parseStatsLiftFlags({ ...base, confidence: '0.95', controlShare: '0' })).toThrow(/^--control-share 0: must be strictly between 0 and 1/);
    expect(() => parseStatsLiftFlags({ ...base, confidence: '0.95', controlShare: 'ten' })).toThrow(/^--control-share "ten": not a number/);
    expect(parseStatsLiftFlags({ ...base, confidence: '0.9', controlShare: '0.1' })).toEqual({
      control: { n: 1000, conversions: 50 },
      treatment: { n: 9000, conversions: 540 },
      confidence: 0.9,
      expectedControlShare: 0.1,
    });
  });

  it('gives "not enough data", never NaN, for zero conversions or a tiny arm', () => {
    expect(statsLift({ control: '1000,0', treatment: '9000,540', confidence: '0.95' })).toMatchObject({ status: 'insufficient_data', reason: expect.stringMatching(/control arm has no conversions/) });
    expect(statsLift({ control: '10,1', treatment: '9000,540', confidence: '0.95' })).toMatchObject({ status: 'insufficient_data', reason: expect.stringMatching(/control arm has 10 users/) });
    expect(statsLift({ control: '0,0', treatment: '0,0', confidence: '0.95' })).toMatchObject({ status: 'insufficient_data' });
  });
});

describe('scoreflow stats lift (process)', () => {
  it('prints one JSON object and exits 0 for good input', () => {
    const r = cli('--control', '1000,50', '--treatment', '9000,540', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out.status).toBe('ok');
    expect(out.relativeLift.estimate).toBeCloseTo(0.2, 12);
  });

  it('exits non-zero naming the argument for conversions above users', () => {
    const r = cli('--control', '100,150', '--treatment', '9000,540');
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^scoreflow: --control "100,150": CONVERSIONS \(150\) cannot exceed USERS \(100\)/);
  });

  it('exits non-zero for a negative or non-numeric value, with a JSON error under --json', () => {
    const negative = cli('--control', '1000,50', '--treatment=-9000,540');
    expect(negative.status).not.toBe(0);
    expect(negative.stderr).toMatch(/--treatment "-9000,540": USERS is negative/);
    const r = cli('--control', '1000,50', '--treatment', '9000,540', '--confidence', 'high', '--json');
    expect(r.status).not.toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ ok: false, error: 'UsageError', message: expect.stringMatching(/^--confidence "high": not a number/) });
  });
});
