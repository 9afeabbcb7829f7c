/**
 * A data contract: a zod schema plus what a consumer needs to rely on it — a semver version, an
 * owner, the semantics in words, the freshness promise, announced deprecations and a changelog.
 * `defineContract` checks the declaration itself, so a contract that cannot be governed never loads.
 * Pure: no I/O.
 */
import semver from 'semver';
import { z } from 'zod';
import { ScoreSemantics } from './record/score-semantics.ts';

/** ISO 8601 duration such as PT15M, PT1H, P1D. */
const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The value range every score kind implies: probability 0–1, percentile 1–100, relative 0–100. */
export const SEMANTICS_RANGE: Record<ScoreSemantics['kind'], readonly [number, number]> = {
  probability: [0, 1],
  percentile: [1, 100],
  relative_score_0_100: [0, 100],
};

/**
 * What `score.value` means for every record under a contract version. The record carries its own
 * `score.semantics`; the contract pins which one is promised, so changing it is a governed change.
 */
export const DeclaredScoreSemantics = z
  .object({
    /** Dotted path of the score object inside the contract's schema ('' when the score is the root). */
    path: z.string(),
    meaning: ScoreSemantics,
    range: z.tuple([z.number(), z.number()]),
    /** 'calibrated': every record's value is calibrated; 'any': each record's score.calibration says. */
    calibration: z.enum(['calibrated', 'any']),
    /** How a destination removes a value it sent before (Adobe Target cannot clear with an empty value). */
    clear_sentinel: z.object({ value: z.string().min(1), rule: z.string().min(1) }),
  })
  .superRefine((s, ctx) => {
    const [lo, hi] = SEMANTICS_RANGE[s.meaning.kind];
    if (s.range[0] !== lo || s.range[1] !== hi) {
      ctx.addIssue({ code: 'custom', path: ['range'], message: `a ${s.meaning.kind} score ranges over [${lo}, ${hi}], not [${s.range.join(', ')}]` });
    }
  });
export type DeclaredScoreSemantics = z.infer<typeof DeclaredScoreSemantics>;

export const ContractSemantics = z.object({
  score: DeclaredScoreSemantics.optional(),
  /** Other meanings in words, keyed by field path (e.g. segments[].rule). */
  fields: z.record(z.string(), z.string()).default({}),
});
export type ContractSemantics = z.infer<typeof ContractSemantics>;

export const Freshness = z.object({
  cadence: z.string().regex(ISO_DURATION, 'cadence is an ISO 8601 duration such as "PT15M"'),
  maxAgeHours: z.number().positive().describe('A record expires this many hours after scored_at.'),
});
export type Freshness = z.infer<typeof Freshness>;

export const FieldDeprecation = z.object({
  field: z.string().min(1).describe('Dotted path, e.g. "score.calibration" or "segments[].rule".'),
  removal_date: z.string().regex(ISO_DATE, 'removal_date is YYYY-MM-DD'),
  replacement: z.string().min(1).optional(),
});
export type FieldDeprecation = z.infer<typeof FieldDeprecation>;

export const ChangelogEntry = z.object({
  version: z.string().refine((v) => semver.valid(v) === v, 'a semver version like 1.2.0'),
  date: z.string().regex(ISO_DATE, 'date is YYYY-MM-DD'),
  changes: z.array(z.string().min(1)).min(1),
});
export type ChangelogEntry = z.infer<typeof ChangelogEntry>;

export const ContractStatus = z.enum(['draft', 'active', 'deprecated', 'retired']);
export type ContractStatus = z.infer<typeof ContractStatus>;

const ContractHeader = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'contract names are snake_case'),
  version: z.string().refine((v) => semver.valid(v) === v, 'version must be semver, e.g. 1.0.0'),
  owner: z.string().min(1),
  domain: z.string().min(1).default('activation'),
  status: ContractStatus.default('active'),
  description: z.string().min(1),
  freshness: Freshness,
  deprecations: z.array(FieldDeprecation).default([]),
  changelog: z.array(ChangelogEntry).min(1),
  semantics: ContractSemantics.default({ fields: {} }),
});
export type ContractInput<S extends z.ZodType> = Omit<z.input<typeof ContractHeader>, 'deprecations' | 'changelog'> & {
  deprecations?: readonly z.input<typeof FieldDeprecation>[];
  changelog: readonly z.input<typeof ChangelogEntry>[];
  schema: S;
};

export interface DataContract<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly version: string;
  readonly owner: string;
  readonly domain: string;
  readonly status: ContractStatus;
  readonly description: string;
  readonly freshness: Freshness;
  readonly deprecations: readonly FieldDeprecation[];
  readonly changelog: readonly ChangelogEntry[];
  readonly semantics: ContractSemantics;
  readonly schema: S;
}

export class ContractDefinitionError extends Error {
  override name = 'ContractDefinitionError';
}

/**
 * Declares a contract. Throws ContractDefinitionError when the declaration is not governable:
 * a non-semver version, a changelog without an entry for the version, a bad cadence.
 */
export function defineContract<S extends z.ZodType>(input: ContractInput<S>): DataContract<S> {
  const { schema, ...header } = input;
  const parsed = ContractHeader.safeParse(header);
  const label = `contract ${String(header.name)}@${String(header.version)}`;
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ContractDefinitionError(`${label} is not a valid declaration: ${why}`);
  }
  const h = parsed.data;
  if (!h.changelog.some((e) => e.version === h.version)) {
    throw new ContractDefinitionError(`${label}: the changelog has no entry for ${h.version}; add { version: '${h.version}', date, changes: [...] }`);
  }
  const twice = h.changelog.find((e, i) => h.changelog.findIndex((x) => x.version === e.version) !== i);
  if (twice) throw new ContractDefinitionError(`${label}: the changelog has two entries for ${twice.version}; merge them`);
  const newer = h.changelog.find((e) => semver.gt(e.version, h.version));
  if (newer) throw new ContractDefinitionError(`${label}: the changelog mentions ${newer.version}, newer than the contract version`);
  return Object.freeze({ ...h, schema });
}

/** When a record scored at `scoredAt` stops being valid under the contract's freshness promise. */
export function expiresAtFor(contract: Pick<DataContract, 'freshness'>, scoredAt: string | Date): string {
  const t = typeof scoredAt === 'string' ? Date.parse(scoredAt) : scoredAt.getTime();
  if (!Number.isFinite(t)) throw new RangeError(`expiresAtFor: scoredAt is not a timestamp (${typeof scoredAt})`);
  return new Date(t + contract.freshness.maxAgeHours * 3_600_000).toISOString();
}

export interface ContractRevision extends Partial<Omit<ContractInput<z.ZodType>, 'name' | 'version' | 'changelog'>> {
  version: string;
  date: string;
  changes: string[];
}

/** The next version of a contract: the same declaration with the given fields replaced and a changelog entry added. */
export function reviseContract(base: DataContract, revision: ContractRevision): DataContract {
  const { version, date, changes, ...rest } = revision;
  return defineContract({
    name: base.name,
    owner: base.owner,
    domain: base.domain,
    status: base.status,
    description: base.description,
    freshness: base.freshness,
    deprecations: [...base.deprecations],
    semantics: base.semantics,
    schema: base.schema,
    ...rest,
    version,
    changelog: [...base.changelog, { version, date, changes }],
  });
}
