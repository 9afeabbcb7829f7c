/**
 * Judges a working contract against its latest released snapshot and its registered consumers:
 * is the version bump big enough for the changes, and does every consumer still find the fields it
 * reads and the semantics it assumes? Failure messages name the contract, consumer, field and change
 * and say what to do. Pure: the caller loads the snapshots.
 */
import semver from 'semver';
import type { ConsumerRegistration } from './consumers.ts';
import type { DeclaredScoreSemantics } from './contract.ts';
import type { JsonSchema } from './json-schema.ts';
import { serializeJsonSchema } from './json-schema.ts';
import { describeMeaning, diffContractSchemas, showPath, type BumpLevel, type ContractChange } from './schema-diff.ts';
import { flattenSchema, isAncestorOrSelf } from './schema-fields.ts';

export interface ContractAssessment {
  contract: string;
  released: string | null;
  working: string;
  /** The smallest bump the changes need; 'none' when nothing changed. */
  requiredBump: BumpLevel | 'none';
  changes: ContractChange[];
  failures: string[];
  warnings: string[];
}

export interface AssessInput {
  /** The working contract in released form (contractJsonSchema). */
  working: JsonSchema;
  /** The latest released snapshot, or null when the contract was never released. */
  released: { version: string; schema: JsonSchema } | null;
  /** Consumers registered for this contract. */
  consumers: readonly ConsumerRegistration[];
  /** Where snapshots live, for messages. */
  releasedDir?: string;
  /** For deprecation dates; defaults to now. */
  today?: string;
}

const RANK: Record<BumpLevel | 'none', number> = { none: 0, patch: 1, minor: 2, major: 3 };

export function requiredBump(changes: readonly ContractChange[]): BumpLevel | 'none' {
  return changes.reduce<BumpLevel | 'none'>((acc, c) => (RANK[c.level] > RANK[acc] ? c.level : acc), 'none');
}

/** The version `from` would become after a bump of `level`. */
export function bumped(from: string, level: BumpLevel): string {
  return semver.inc(from, level) ?? from;
}

function actualBump(from: string, to: string): BumpLevel | 'none' {
  if (semver.eq(from, to)) return 'none';
  if (semver.major(to) > semver.major(from)) return 'major';
  if (semver.minor(to) > semver.minor(from)) return 'minor';
  return 'patch';
}

function metaOf(schema: JsonSchema): NonNullable<JsonSchema['x-scoreflow']> {
  const meta = schema['x-scoreflow'];
  if (!meta) throw new Error(`schema ${String(schema.$id)} has no x-scoreflow metadata; it is not a released contract schema`);
  return meta;
}

/** Does a change at `changed` touch what a consumer reading `field` gets? */
function touches(changed: string, field: string): boolean {
  return isAncestorOrSelf(changed, field) || isAncestorOrSelf(field, changed);
}

function assumptionMismatches(assumed: NonNullable<ConsumerRegistration['semanticsAssumed']['score']>, declared: DeclaredScoreSemantics): string[] {
  const meaning = declared.meaning as Record<string, unknown>;
  const out: string[] = [];
  for (const [key, want] of Object.entries(assumed)) {
    if (want === undefined) continue;
    const have = key === 'range' ? declared.range : key === 'calibration' ? declared.calibration : meaning[key];
    if (JSON.stringify(have ?? null) !== JSON.stringify(want)) out.push(`${key} = ${JSON.stringify(want)} (declared: ${JSON.stringify(have ?? null)})`);
  }
  return out;
}

function consumerFindings(input: AssessInput, changes: ContractChange[]): { failures: string[]; warnings: string[] } {
  const meta = metaOf(input.working);
  const name = meta.contract;
  const version = meta.version;
  const fields = flattenSchema(input.working);
  const failures: string[] = [];
  const warnings: string[] = [];
  const breaking = changes.filter((c) => c.kind === 'breaking');
  const file = 'contracts/consumers.ts';

  for (const c of input.consumers) {
    const inRange = semver.satisfies(version, c.versionRange);
    if (!inRange) {
      failures.push(
        `consumer ${c.consumer} accepts ${name} ${c.versionRange}, but the working contract is ${version}: ` +
          `check its mapping against ${version}, then widen versionRange in ${file} (or keep ${name} inside ${c.versionRange}).`,
      );
    }
    for (const field of c.fieldsRead) {
      // Semantics changes reach consumers through their declared assumptions (below), not through the fields they read.
      const hit = breaking.filter((ch) => touches(ch.path, field) && !ch.path.startsWith('x-scoreflow.') && ch.change !== 'semantics_changed');
      if (!fields.has(field)) {
        const gone = hit.find((ch) => ch.change === 'field_removed' || ch.change === 'field_renamed');
        if (gone) {
          failures.push(
            `consumer ${c.consumer} reads ${field}, but ${name} ${version} ${gone.change === 'field_renamed' ? `renames ${showPath(gone.path)}: ${gone.detail}` : `removes ${showPath(gone.path)}`}: ` +
              `keep the field (deprecate it with a removal_date first), or change the ${c.consumer} mapping to stop reading it and update ${file}.`,
          );
        } else {
          failures.push(`consumer ${c.consumer} reads ${field}, which ${name} ${version} does not have: fix the path in ${file} (paths look like 'score.value', 'segments[].id').`);
        }
        continue;
      }
      // A consumer whose range already admits the new major has declared it handles the change;
      // a removed field (above) can never be acknowledged that way.
      const acknowledged = inRange && input.released !== null && semver.major(version) > semver.major(input.released.version);
      for (const ch of acknowledged ? [] : hit) {
        failures.push(
          `consumer ${c.consumer} reads ${field}, and ${name} ${version} makes a breaking change there (${showPath(ch.path)}: ${ch.detail}): ` +
            `make the change backward compatible, or release a major version and update the ${c.consumer} mapping and its versionRange in ${file}.`,
        );
      }
      const dep = meta.deprecations.find((d) => isAncestorOrSelf(d.field, field));
      if (dep) {
        warnings.push(
          `consumer ${c.consumer} reads ${field}, deprecated in ${name} (removal on ${dep.removal_date})${dep.replacement ? `: switch to ${dep.replacement}` : ''}.`,
        );
      }
    }
    const declared = meta.semantics.score;
    if (c.semanticsAssumed.score) {
      if (!declared) {
        failures.push(`consumer ${c.consumer} assumes score semantics, but ${name} ${version} declares none: declare them in the contract or drop the assumption in ${file}.`);
      } else {
        const bad = assumptionMismatches(c.semanticsAssumed.score, declared);
        if (bad.length > 0) {
          failures.push(
            `consumer ${c.consumer} assumes ${declared.path ? `${declared.path}.` : ''}semantics ${bad.join(', ')}; ${name} ${version} declares ${describeMeaning(declared)} ` +
              `in [${declared.range.join(', ')}]: the consumer would misread ${declared.path ? `${declared.path}.` : ''}value. Keep the semantics, or change the ${c.consumer} mapping (its thresholds) and its assumption in ${file}.`,
          );
        }
      }
    }
    if (c.semanticsAssumed.clear_sentinel !== undefined && declared?.clear_sentinel.value !== c.semanticsAssumed.clear_sentinel) {
      failures.push(
        `consumer ${c.consumer} clears values with ${c.semanticsAssumed.clear_sentinel}, but ${name} ${version} declares ${declared ? declared.clear_sentinel.value : 'no clear sentinel'}: align the contract and the mapping.`,
      );
    }
  }
  return { failures, warnings };
}

function versionFindings(input: AssessInput, changes: ContractChange[], need: BumpLevel | 'none'): string[] {
  const meta = metaOf(input.working);
  const { contract: name, version } = meta;
  const rel = input.released;
  if (!rel) return [];
  const where = `${input.releasedDir ?? 'contracts/released'}/${name}/${rel.version}.schema.json`;
  if (semver.lt(version, rel.version)) {
    return [`${name} is at ${version}, older than the released ${rel.version} (${where}): versions only move forward; set it to at least ${bumped(rel.version, need === 'none' ? 'patch' : need)}.`];
  }
  const have = actualBump(rel.version, version);
  const list = (level: BumpLevel): string =>
    changes.filter((c) => c.level === level).map((c) => `${showPath(c.path)} ${c.change}`).slice(0, 6).join('; ');
  if (have === 'none') {
    if (need !== 'none' || serializeJsonSchema(input.working) !== serializeJsonSchema(rel.schema)) {
      const level = need === 'none' ? 'patch' : need;
      return [
        `${name} ${version} differs from its released snapshot ${where}${need !== 'none' ? ` (${list(level)})` : ''}: ` +
          `a released version is immutable; bump to ${bumped(version, level)}, add a changelog entry, then run scripts/contracts-release.ts.`,
      ];
    }
    return [];
  }
  if (need !== 'none' && RANK[have] < RANK[need]) {
    const what = need === 'major' ? 'breaking changes' : need === 'minor' ? 'non-breaking additions' : 'changes';
    return [
      `${name} has ${what} (${list(need)}) but goes ${rel.version} → ${version} (${have}): ` +
        `${need} changes need at least ${bumped(rel.version, need)}${need === 'major' ? ', or make them backward compatible' : ''}.`,
    ];
  }
  return [];
}

/** One contract's changes, failures and warnings against its latest release and consumers. */
export function assessContract(input: AssessInput): ContractAssessment {
  const meta = metaOf(input.working);
  const changes: ContractChange[] = input.released
    ? diffContractSchemas(meta.contract, input.released.schema, input.working)
    : [{ contract: meta.contract, path: '', kind: 'non-breaking', change: 'contract_added', detail: 'new contract, no released snapshot yet', level: 'minor' }];
  const need = input.released ? requiredBump(changes) : 'none';
  const failures = versionFindings(input, changes, need);
  const consumers = consumerFindings(input, changes);
  failures.push(...consumers.failures);
  const warnings = [...consumers.warnings];
  if (!input.released) warnings.push(`${meta.contract} ${meta.version} has never been released: run scripts/contracts-release.ts to snapshot it.`);
  else if (semver.gt(meta.version, input.released.version)) warnings.push(`${meta.contract} ${meta.version} is not released yet (latest ${input.released.version}): run scripts/contracts-release.ts once the check passes.`);
  const today = input.today ?? new Date().toISOString().slice(0, 10);
  const fields = flattenSchema(input.working);
  for (const d of meta.deprecations) {
    if (!fields.has(d.field)) failures.push(`${meta.contract} deprecates ${d.field}, which it does not have: fix the path or drop the deprecation.`);
    else if (d.removal_date <= today) warnings.push(`${meta.contract}: ${d.field} was due for removal on ${d.removal_date}; remove it in the next major version.`);
  }
  return { contract: meta.contract, released: input.released?.version ?? null, working: meta.version, requiredBump: need, changes, failures, warnings };
}

/** Registrations naming a contract that does not exist. */
export function unknownContractFailures(consumers: readonly ConsumerRegistration[], known: readonly string[]): string[] {
  return consumers
    .filter((c) => !known.includes(c.contract))
    .map((c) => `consumer ${c.consumer} is registered for contract ${c.contract}, which does not exist (known: ${known.join(', ')}): fix contracts/consumers.ts.`);
}
