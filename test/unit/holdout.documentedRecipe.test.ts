/**
 * docs/holdout-assignment.md is a contract other systems implement. These tests run the document's
 * own Python and PostgreSQL snippets (second and third implementations, sharing no code with
 * holdout.ts) and check them, the threshold table and the worked examples against assignArm.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { armHash, assignArm } from '../../activities/measurement/holdout.ts';
import { closePools, getPool } from '../../activities/store/db.ts';

const DOC = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'holdout-assignment.md'), 'utf8');

function codeBlock(lang: string): string {
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(DOC);
  if (!m) throw new Error(`docs/holdout-assignment.md has no ${lang} block`);
  return m[1]!;
}

/** Ids with case and surrounding spaces to normalize, in many shapes. */
const IDS = Array.from({ length: 3000 }, (_, i) => {
  const base = [`visitor-${i}`, `${1e18 + i * 7919}_${4e17 + i * 104729}`, `User${i}@Example.COM`][i % 3]!;
  return i % 5 === 0 ? `  ${base.toUpperCase()} ` : base;
});

afterAll(() => closePools());

describe('the documented holdout recipe', () => {
  it('has a threshold table that matches ceil(c × 2^64) and the code', () => {
    const rows = [...DOC.matchAll(/^\|\s*(0\.\d+)\s*\|\s*(\d+)\s*\|$/gm)];
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const [, share, t] of rows) {
      const c = Number(share);
      expect(BigInt(Math.ceil(c * 2 ** 64)), `T for ${share}`).toBe(BigInt(t!));
      // An entity with h just below T is control; at T it is treatment: check with the doc's own T.
      const threshold = BigInt(t!);
      for (const id of IDS.slice(0, 300)) expect(assignArm(id, 'table-check', c) === 'control').toBe(armHash(id, 'table-check') < threshold);
    }
  });

  it('has worked examples whose digests are SHA-256 of the stated messages', () => {
    const examples = [...DOC.matchAll(/\| message \| `([^`]+)` \|\n\| SHA-256 \| `([0-9a-f]{64})` \|/g)];
    expect(examples).toHaveLength(2);
    for (const [, message, digest] of examples) {
      expect(createHash('sha256').update(message!, 'utf8').digest('hex')).toBe(digest);
      const [entity, ...key] = message!.split(':');
      expect(armHash(entity!, key.join(':')).toString(16).padStart(16, '0')).toBe(digest!.slice(0, 16));
    }
  });

  it("gives the same arms as the document's Python function", () => {
    const python = codeBlock('python');
    const shares = [0.1, 0.25, 0.5];
    const script = `${python}\nimport json, sys\nids = json.load(sys.stdin)\nprint(json.dumps([[assign_arm(i, "doc-python", c) for i in ids] for c in ${JSON.stringify(shares)}]))\n`;
    const out = JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(IDS), encoding: 'utf8' })) as string[][];
    shares.forEach((c, k) => {
      expect(out[k]).toEqual(IDS.map((id) => assignArm(id, 'doc-python', c)));
    });
    // Both arms occur, so the comparison is not vacuous.
    expect(new Set(out[0])).toEqual(new Set(['control', 'treatment']));
  });

  it("gives the same arms as the document's PostgreSQL query", async () => {
    const doc = codeBlock('sql');
    expect(doc).toContain("'spring-upsell-2025'");
    expect(doc).toContain('1844674407370955264');
    // Only plumbing changes: the ids come from a parameter, and each arm is returned with its id.
    const sql = doc
      .replace(/FROM entities\)/, 'FROM (SELECT unnest($1::text[]) AS entity_id) entities)')
      .replace('END AS arm', 'END AS arm, q.id')
      .replace('::bit(64)::bigint AS s', '::bit(64)::bigint AS s, entity_id AS id')
      .replace(/;\s*$/, '');
    const { rows } = await getPool().query<{ arm: string; id: string }>(sql, [IDS]);
    expect(rows).toHaveLength(IDS.length);
    const byId = new Map(rows.map((r) => [r.id, r.arm]));
    expect(IDS.map((id) => byId.get(id))).toEqual(IDS.map((id) => assignArm(id, 'spring-upsell-2025', 0.1)));
    expect(rows.filter((r) => r.arm === 'control').length).toBeGreaterThan(200);
  });
});
