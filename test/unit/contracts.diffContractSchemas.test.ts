import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, type ContractInput, type DataContract } from '../../contracts/contract.ts';
import { contractJsonSchema } from '../../contracts/json-schema.ts';
import { diffContractSchemas, type ContractChange } from '../../contracts/schema-diff.ts';

const base = {
  name: 'toy',
  owner: 'team-toy',
  description: 'A toy contract.',
  freshness: { cadence: 'PT15M', maxAgeHours: 24 },
  changelog: [{ version: '1.0.0', date: '2026-11-28', changes: ['First.'] }],
  version: '1.0.0',
};

function toy(schema: z.ZodType, extra: Partial<ContractInput<z.ZodType>> = {}): DataContract {
  return defineContract({ ...base, ...extra, schema });
}

function diff(a: DataContract, b: DataContract): ContractChange[] {
  return diffContractSchemas('toy', contractJsonSchema(a), contractJsonSchema(b));
}

const v1 = z.object({
  id: z.string(),
  tier: z.enum(['gold', 'silver']),
  score: z.number().min(0).max(1),
  note: z.string().optional(),
  tags: z.array(z.string()).max(5),
});

describe('diffContractSchemas', () => {
  it('finds nothing between identical contracts', () => {
    expect(diff(toy(v1), toy(v1))).toEqual([]);
  });

  it.each([
    ['type changed', v1.extend({ score: z.string() }), 'score', 'type_changed', 'breaking'],
    ['optional → required', v1.extend({ note: z.string() }), 'note', 'made_required', 'breaking'],
    ['required → optional', v1.extend({ id: z.string().optional() }), 'id', 'made_optional', 'breaking'],
    ['enum narrowed', v1.extend({ tier: z.enum(['gold']) }), 'tier', 'enum_narrowed', 'breaking'],
    ['enum widened', v1.extend({ tier: z.enum(['gold', 'silver', 'bronze']) }), 'tier', 'enum_widened', 'non-breaking'],
    ['numeric range narrowed', v1.extend({ score: z.number().min(0).max(0.5) }), 'score', 'range_narrowed', 'breaking'],
    ['numeric range widened', v1.extend({ score: z.number().min(-1).max(1) }), 'score', 'range_widened', 'non-breaking'],
    ['array bound narrowed', v1.extend({ tags: z.array(z.string()).max(3) }), 'tags', 'range_narrowed', 'breaking'],
    ['pattern added', v1.extend({ id: z.string().regex(/^[a-z]+$/) }), 'id', 'pattern_changed', 'breaking'],
    ['description changed', v1.extend({ id: z.string().describe('The id.') }), 'id', 'description_changed', 'non-breaking'],
    ['optional field added', v1.extend({ extra: z.boolean().optional() }), 'extra', 'field_added_optional', 'non-breaking'],
    ['required field added', v1.extend({ extra: z.boolean() }), 'extra', 'field_added_required', 'breaking'],
  ] as const)('%s', (_label, next, path, change, kind) => {
    const changes = diff(toy(v1), toy(next));
    expect(changes).toEqual([expect.objectContaining({ contract: 'toy', path, change, kind })]);
    expect(changes[0]!.level).toBe(kind === 'breaking' ? 'major' : change === 'description_changed' ? 'patch' : 'minor');
  });

  it('reports a removed object once, at its top', () => {
    const a = z.object({ id: z.string(), geo: z.object({ country: z.string(), city: z.string() }) });
    const changes = diff(toy(a), toy(a.omit({ geo: true })));
    expect(changes).toEqual([expect.objectContaining({ path: 'geo', change: 'field_removed', kind: 'breaking' })]);
  });

  it('sees changes inside array items and records keyed by an enum', () => {
    const a = z.object({ items: z.array(z.object({ sku: z.string() })), consent: z.record(z.enum(['ads', 'email']), z.boolean()) });
    const b = z.object({ items: z.array(z.object({ sku: z.number() })), consent: z.record(z.enum(['ads']), z.boolean()) });
    const changes = diff(toy(a), toy(b));
    expect(changes).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: 'items[].sku', change: 'type_changed' }),
      expect.objectContaining({ path: 'consent.email', change: 'field_removed' }),
    ]));
  });

  it('treats a longer maxAgeHours as breaking and a shorter one as a minor improvement', () => {
    const longer = diff(toy(v1), toy(v1, { freshness: { cadence: 'PT15M', maxAgeHours: 48 } }));
    expect(longer).toEqual([expect.objectContaining({ path: 'x-scoreflow.freshness.maxAgeHours', kind: 'breaking', change: 'freshness_changed' })]);
    const shorter = diff(toy(v1), toy(v1, { freshness: { cadence: 'PT15M', maxAgeHours: 12 } }));
    expect(shorter).toEqual([expect.objectContaining({ kind: 'non-breaking', level: 'minor' })]);
  });
});
