/** Shared by the contracts tests: loads the golden fixtures of a contract version. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../../contracts/fixtures', import.meta.url));
export const RELEASED_DIR = fileURLToPath(new URL('../../contracts/released', import.meta.url));

export interface Fixture {
  file: string;
  data: unknown;
  /** For invalid-* and quarantine-* files: the path the first issue must name. */
  expectedPath?: string;
}

export interface FixtureSet {
  valid: Fixture[];
  /** Rejected by the schema (zod and JSON Schema alike). */
  invalid: Fixture[];
  /** Schema-valid but breaking the contract's declared score semantics (horizon, kind, range): the schema accepts them. */
  quarantine: Fixture[];
}

export function loadFixtures(name: string, version: string): FixtureSet {
  const dir = join(FIXTURES_DIR, name, version);
  const expected = JSON.parse(readFileSync(join(dir, 'expected-failures.json'), 'utf8')) as Record<string, string>;
  const read = (file: string): Fixture => ({ file, data: JSON.parse(readFileSync(join(dir, file), 'utf8')), expectedPath: expected[file] });
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'expected-failures.json').sort();
  return {
    valid: files.filter((f) => f.startsWith('valid-')).map(read),
    invalid: files.filter((f) => f.startsWith('invalid-')).map(read),
    quarantine: files.filter((f) => f.startsWith('quarantine-')).map(read),
  };
}
