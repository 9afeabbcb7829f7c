/**
 * Bad-input corpus: pipeline files. Each case changes a valid test pipeline in one way; the check
 * `scoreflow run` and `schedule create|apply` make before anything starts (requirePipeline) must
 * refuse it with exit code 2, naming the file, the key path and the problem.
 */
export interface PipelineCase {
  name: string;
  /** Changes the valid config (mutate or return a replacement); a string is written as the file's text. */
  edit: (cfg: Record<string, any>) => Record<string, any> | string | void;
  /** File extension (default yaml). */
  ext?: 'yaml' | 'json';
  /** Do not write the file at all. */
  noFile?: boolean;
  /** The problem's key path, as validate prints it. */
  path: string;
  reason: RegExp;
  env?: Record<string, string>;
}

const webhook = (over: Record<string, unknown> = {}) => ({ name: 'hook', kind: 'webhook', config: { url: 'https://hooks.example.com/in', secretEnv: 'CORPUS_HOOK_SECRET', ...over }, filter: { consentPurpose: 'personalization', requireEligible: true } });

export const PIPELINE_CASES: PipelineCase[] = [
  { name: 'the file does not exist', edit: () => {}, noFile: true, path: '(file)', reason: /cannot read the pipeline file \(ENOENT\); pass an existing file/ },
  { name: 'YAML syntax error', edit: () => 'name: [unclosed\ninbox: x\n', path: '(file)', reason: /not valid YAML: / },
  { name: 'JSON syntax error', edit: () => '{"name": "x",', ext: 'json', path: '(file)', reason: /not valid JSON: / },
  { name: 'a YAML key given twice', edit: () => 'name: a\nname: b\n', path: '(file)', reason: /not valid YAML: .*(unique|duplicate)/i },
  { name: 'a list instead of a mapping', edit: () => '- name: a\n', path: '(root)', reason: /a pipeline file is a mapping of keys/ },
  { name: 'an empty file', edit: () => '', path: '(root)', reason: /a pipeline file is a mapping of keys/ },
  { name: 'name with capital letters', edit: (c) => void (c.name = 'My Pipeline'), path: 'name', reason: /pipeline names are lower-case letters, digits and dashes/ },
  { name: 'inbox missing', edit: (c) => void delete c.inbox, path: 'inbox', reason: /required|expected string/i },
  { name: 'a misspelt top-level key', edit: (c) => void (c.holdot = c.holdout), path: 'holdot', reason: /unknown key.*did you mean "?holdout"?/i },
  { name: 'a misspelt feed key', edit: (c) => void (c.feed.customerIdColum = 'post_evar3'), path: 'feed.customerIdColum', reason: /unknown key.*did you mean "?customerIdColumn"?/i },
  { name: 'feed.maxQuarantineShare above 1', edit: (c) => void (c.feed.maxQuarantineShare = 2), path: 'feed.maxQuarantineShare', reason: /(<=|at most|too big).*1/i },
  { name: 'feed.encoding not an encoding', edit: (c) => void (c.feed.encoding = 'latin9'), path: 'feed.encoding', reason: /expected one of "auto"\|"utf-8"\|"iso-8859-1"/ },
  { name: 'cadence not a duration', edit: (c) => void (c.cadence = 'fortnightly'), path: 'cadence', reason: /a duration like "500ms", "30s", "15m"/ },
  { name: 'features.lookbackDays negative', edit: (c) => void (c.features.lookbackDays = -1), path: 'features.lookbackDays', reason: /(>|positive|too small)/i },
  { name: 'consent.source unknown', edit: (c) => void (c.consent.source = 'telepathy'), path: 'consent.source', reason: /feed_column|cmp_file/ },
  { name: 'scoring.topN zero', edit: (c) => void (c.scoring.topN = 0), path: 'scoring.topN', reason: /(>=|at least|too small).*1/i },
  { name: 'scoring.segments empty', edit: (c) => void (c.scoring.segments = []), path: 'scoring.segments', reason: /(at least|too small|>=).*1/i },
  { name: 'holdout.controlShare above 1', edit: (c) => void (c.holdout.controlShare = 1.5), path: 'holdout.controlShare', reason: /(<|at most|too big)/i },
  { name: 'a destination kind that does not exist', edit: (c) => void (c.destinations[0].kind = 'fax'), path: 'destinations[0].kind', reason: /unknown kind "fax"; valid: file, .*webhook/ },
  { name: 'two destinations with one name', edit: (c) => void c.destinations.push({ ...c.destinations[0] }), path: 'destinations[1].name', reason: /duplicate destination name "outbox" \(also destinations\[0\]\)/ },
  { name: 'a webhook without its url', edit: (c) => void c.destinations.push(webhook({ url: undefined })), path: 'destinations[1].config.url', reason: /./, env: { CORPUS_HOOK_SECRET: 'whsec_x' } },
  { name: "a webhook whose secret variable is not set", edit: (c) => void c.destinations.push(webhook()), path: 'destinations[1].config.secretEnv', reason: /environment variable CORPUS_HOOK_SECRET is not set \(destination hook\); export it where the worker runs/ },
  { name: 'a webhook config with a literal secret', edit: (c) => void c.destinations.push(webhook({ secret: 'whsec_literal' })), path: 'destinations[1].config.secret', reason: /literal credential|unknown key/i, env: { CORPUS_HOOK_SECRET: 'whsec_x' } },
  { name: 'a webhook batchSize of zero', edit: (c) => void c.destinations.push(webhook({ batchSize: 0 })), path: 'destinations[1].config.batchSize', reason: /(>=|at least|too small).*1/i, env: { CORPUS_HOOK_SECRET: 'whsec_x' } },
  { name: 'model artifact file missing', edit: (c) => void (c.model.defaultArtifact = 'models/nope.json'), path: 'model.defaultArtifact', reason: /no file .*models\/nope\.json; name an existing model artifact/ },
  { name: 'fallback policy file missing', edit: (c) => void (c.fallbackPolicy = 'rules/nope.json'), path: 'fallbackPolicy', reason: /no file .*rules\/nope\.json; name an existing rules policy/ },
  { name: 'an unknown gate key', edit: (c) => void (c.gates = { nullRte: { max: 0.1 } }), path: 'gates.nullRte', reason: /unknown|did you mean/i },
];
