import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { contractJsonSchema, serializeJsonSchema, JSON_SCHEMA_DIALECT } from '../../contracts/json-schema.ts';
import { ALL_CONTRACTS } from '../../contracts/registry.ts';
import { snapshotPath } from '../../activities/contracts/released-snapshots.ts';
import { loadFixtures, RELEASED_DIR } from './contracts.fixtures.ts';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  addFormats(ajv);
  ajv.addKeyword('x-scoreflow');
  return ajv;
}

/** '/score/value' → 'score.value', '/items/1/kind' → 'items[1].kind' */
function ajvPath(instancePath: string, missing?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (missing) parts.push(missing);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

describe('released JSON Schemas under ajv (draft 2020-12), cross-checking zod', () => {
  for (const contract of ALL_CONTRACTS) {
    const file = snapshotPath(RELEASED_DIR, contract.name, contract.version);
    const released = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const validate = newAjv().compile(released);
    const fx = loadFixtures(contract.name, contract.version);

    it(`${contract.name} ${contract.version}: the committed snapshot is exactly what the working contract generates`, () => {
      expect(readFileSync(file, 'utf8')).toBe(serializeJsonSchema(contractJsonSchema(contract)));
      expect(released.$schema).toBe(JSON_SCHEMA_DIALECT);
      expect(released['x-scoreflow']).toMatchObject({ contract: contract.name, version: contract.version, owner: contract.owner, freshness: contract.freshness });
    });

    it(`${contract.name} ${contract.version}: ajv and zod agree on every golden fixture`, () => {
      for (const f of [...fx.valid, ...fx.invalid, ...fx.quarantine]) {
        const zodOk = contract.schema.safeParse(f.data).success;
        const ajvOk = validate(f.data);
        expect(ajvOk, `${f.file}: ajv ${ajvOk} vs zod ${zodOk} ${JSON.stringify(validate.errors)}`).toBe(zodOk);
      }
      expect(fx.valid.every((f) => validate(f.data))).toBe(true);
    });

    it(`${contract.name} ${contract.version}: ajv rejects each invalid fixture at or under the expected path`, () => {
      for (const f of fx.invalid) {
        expect(validate(f.data), f.file).toBe(false);
        const paths = (validate.errors ?? []).map((e) => ajvPath(e.instancePath, (e.params as { missingProperty?: string }).missingProperty));
        expect(paths.some((p) => p === f.expectedPath || p.startsWith(`${f.expectedPath}.`) || p.startsWith(`${f.expectedPath}[`)), `${f.file}: ${paths.join(', ')}`).toBe(true);
      }
    });
  }

  it('declares the Target clear sentinel in the score contract', () => {
    const score = JSON.parse(readFileSync(snapshotPath(RELEASED_DIR, 'score', '1.0.0'), 'utf8')) as { description: string; 'x-scoreflow': { semantics: { score: { clear_sentinel: { value: string; rule: string } } } } };
    expect(score['x-scoreflow'].semantics.score.clear_sentinel.value).toBe('__sf_cleared__');
    expect(score['x-scoreflow'].semantics.score.clear_sentinel.rule).toContain('never clears a Target attribute');
    expect(score.description).toContain('__sf_cleared__');
  });
});
