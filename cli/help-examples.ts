/**
 * `--help` examples for the commands that do not carry their own (run, rollback, the operator
 * actions and pipeline validate do), kept in one place so a new command without one fails
 * test/cli/main.conventions.test.ts. Keyed by the command's path ("schedule create").
 */
import type { Command } from 'commander';

const EXAMPLES: Record<string, string[]> = {
  setup: ['scoreflow setup', 'DATABASE_URL=postgres://postgres@127.0.0.1:5432/scoreflow scoreflow setup --json'],
  dev: ['scoreflow dev', 'scoreflow dev --port 7300 --ui-port 8300 --db-file .data/temporal/other.db'],
  worker: ['scoreflow worker', 'TEMPORAL_ADDRESS=127.0.0.1:7300 METRICS_PORT=9465 scoreflow worker'],
  'schedule apply': ['scoreflow schedule apply --pipeline pipelines/demo.yaml', 'scoreflow schedule apply --pipeline pipelines/demo.yaml --every 6h --json'],
  'schedule create': ['scoreflow schedule create --pipeline pipelines/demo.yaml --every 24h', 'scoreflow schedule create --every 6h --catchup-window 1h --json'],
  'schedule list': ['scoreflow schedule list', 'scoreflow schedule list --json'],
  'schedule describe': ['scoreflow schedule describe --pipeline pipelines/demo.yaml', 'scoreflow schedule describe --id demo.schedule --json'],
  'schedule pause': ['scoreflow schedule pause --pipeline pipelines/demo.yaml --reason "feed delayed upstream"'],
  'schedule unpause': ['scoreflow schedule unpause --pipeline pipelines/demo.yaml --reason "feed back"'],
  'schedule delete': ['scoreflow schedule delete --pipeline pipelines/demo.yaml', 'scoreflow schedule delete --id demo.schedule --json'],
  'schedule backfill': ['scoreflow schedule backfill --pipeline pipelines/demo.yaml --from 2026-11-01T00:00:00Z --to 2026-11-03T00:00:00Z'],
  status: ['scoreflow status --run demo.run.2026-12-04T10-00-00-000Z', 'scoreflow status --run demo.run.2026-12-04T10-00-00-000Z --json | jq .funnel'],
  trace: ['scoreflow trace --entity 1234567890_987654321', 'scoreflow trace --entity 1234567890_987654321 --json', 'printf %s "$CUSTOMER_ID" | scoreflow trace --customer - --json'],
  demo: ['scoreflow demo', 'scoreflow demo --json', 'scoreflow demo --visitors 50000 --seed 7'],
  'stats lift': ['scoreflow stats lift --control 10000,230 --treatment 90000,2430', 'scoreflow stats lift --control 5000,100 --treatment 5000,130 --confidence 0.9 --json'],
  'report lift': ['scoreflow report lift --pipeline demo', 'scoreflow report lift --pipeline demo --run demo.run.2026-12-04T10-00-00-000Z --html lift.html'],
  ingest: ['scoreflow ingest inbox/ --pipeline pipelines/demo.yaml', 'scoreflow ingest test/fixtures/adobe --max-quarantine-share 0.01 --json'],
  'feed generate': ['scoreflow feed generate --visitors 2000 --days 3 --seed 42 --out inbox/', 'scoreflow feed generate --visitors 100000 --days 7 --seed 1 --out /tmp/feed --drift shift_score --json'],
  'feed follow-up': ['scoreflow feed follow-up --visitors 2000 --seed 42 --out inbox/ --treatment-effect 0.3'],
  'models register': ['scoreflow models register models/churn-1.1.0.onnx --name churn --version 1.1.0 --format onnx', 'scoreflow models register rules.json --name churn --version 1.2.0 --format rules --json'],
  'models list': ['scoreflow models list', 'scoreflow models list --name churn --json'],
  'models promote': ['scoreflow models promote churn 1.1.0 --reason "beat 1.0.0 on November holdout"'],
  'models evaluate': ['scoreflow models evaluate churn 1.1.0 --feed test/fixtures/adobe', 'scoreflow models evaluate churn 1.1.0 --feed inbox/ --labels labels.csv --json'],
  'contracts check': ['scoreflow contracts check', 'scoreflow contracts check --json'],
  'contracts export': ['scoreflow contracts export --format jsonschema --out contracts-out/', 'scoreflow contracts export --format odcs --json', 'scoreflow contracts export --format odcs --pipeline pipelines/demo.yaml'],
  'contracts release': ['scoreflow contracts release', 'scoreflow contracts release --only activation_record'],
  'identity normalize': ['scoreflow identity normalize " Jane.Doe@Example.com " --platform google --type email', 'echo "+1 (555) 010-9999" | scoreflow identity normalize - --platform meta --type phone --json'],
  serve: ['scoreflow serve --port 8080', 'scoreflow serve --pipeline pipelines/demo.yaml --redis redis://127.0.0.1:6379 --no-events'],
  verify: ['scoreflow verify --run demo.run.20261204 --destination target-profiles --sample 200', 'scoreflow verify --run nightly-2026-12-04 --destination meta-audience --json'],
  'sync replay': ['scoreflow sync replay --pipeline pipelines/demo.yaml --run demo.run.20261204 --destination target-profiles --dry-run', 'scoreflow sync replay --pipeline pipelines/demo.yaml --run demo.run.20261204 --destination target-profiles --operator ana --reason "Target environment wiped"'],
  'models status': ['scoreflow models status --pipeline pipelines/demo.yaml', 'scoreflow models status --pipeline pipelines/demo.yaml --json'],
  'models unpin': ['scoreflow models unpin --pipeline pipelines/demo.yaml --reason "2.0.0 validated; back to the registry champion"'],
  'sync preview': ['scoreflow sync preview --destination target', 'scoreflow sync preview --destination google --limit 5 --json'],
  'runs list': ['scoreflow runs list', 'scoreflow runs list --pipeline demo --status PAUSED --limit 5 --json'],
};

/** Adds "Examples:" to the help of every leaf command that has some (walks subcommands). */
export function addHelpExamples(program: Command, path: string[] = []): void {
  for (const c of program.commands) {
    const key = [...path, c.name()];
    if (c.commands.length > 0) addHelpExamples(c, key);
    const examples = EXAMPLES[key.join(' ')];
    if (examples) c.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
  }
}
