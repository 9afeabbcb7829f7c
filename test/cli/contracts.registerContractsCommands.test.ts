import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RELEASED_DIR } from '../../activities/contracts/released-snapshots.ts';
import { ALL_CONTRACTS } from '../../contracts/registry.ts';
import YAML from 'yaml';
import { REPO_ROOT, runCli } from '../helpers/run-cli.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'scoreflow-cli-contracts-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('scoreflow contracts check', () => {
  it('passes on the tree (exit 0), as npm test runs it', async () => {
    const res = await runCli(['contracts', 'check', '--json']);
    expect(res.code).toBe(0);
    expect(res.json).toMatchObject({ ok: true, failures: [] });
    expect(res.json.contracts.map((c: { contract: string }) => c.contract)).toEqual(ALL_CONTRACTS.map((c) => c.name));
    expect(res.stdout.trimEnd().split('\n')).toHaveLength(1);
    const human = await runCli(['contracts', 'check']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/contracts check passed\n$/);
  });

  it('fails with exit 1 naming each destination and the field when a released field changes type under it', async () => {
    const released = join(tmp(), 'released');
    cpSync(DEFAULT_RELEASED_DIR, released, { recursive: true });
    const file = join(released, 'activation_record', '1.0.0.schema.json');
    const schema = JSON.parse(readFileSync(file, 'utf8'));
    schema.properties.score.properties.value.type = 'string';
    writeFileSync(file, JSON.stringify(schema, null, 2));

    const res = await runCli(['contracts', 'check', '--released-dir', released, '--json']);
    expect(res.code).toBe(1);
    expect(res.json.ok).toBe(false);
    const broken = (res.json.failures as string[]).filter((f) => /^consumer [a-z-]+ reads score\.value, and activation_record 1\.0\.0 makes a breaking change there/.test(f));
    expect(broken.length).toBeGreaterThan(0);
    expect(broken.join('\n')).toContain('consumer file-export reads score.value');
    expect(res.stderr).toContain('scoreflow: contracts check failed');
    expect(res.stderr).toContain('consumer file-export reads score.value');
  });
});

describe('scoreflow contracts export', () => {
  it('writes one JSON Schema per contract, or the ODCS document of activation_record', async () => {
    const out = tmp();
    const js = await runCli(['contracts', 'export', '--format', 'jsonschema', '--out', join(out, 'js'), '--json']);
    expect(js.code).toBe(0);
    expect(js.json.files).toEqual(ALL_CONTRACTS.map((c) => join(out, 'js', c.name, `${c.version}.schema.json`)));
    for (const f of js.json.files as string[]) expect(JSON.parse(readFileSync(f, 'utf8')).$schema).toBeDefined();

    const odcs = await runCli(['contracts', 'export', '--format', 'odcs', '--out', join(out, 'odcs'), '--json']);
    expect(odcs.code).toBe(0);
    expect(odcs.json.files).toEqual([join(out, 'odcs', 'activation_record.odcs.yaml')]);
    expect(readFileSync(odcs.json.files[0], 'utf8')).toMatch(/activation_record/);
  });

  it('with --pipeline, the ODCS document states that pipeline\'s freshness and decision owners', async () => {
    const out = tmp();
    const res = await runCli(['contracts', 'export', '--format', 'odcs', '--pipeline', join(REPO_ROOT, 'pipelines', 'demo.yaml'), '--out', out, '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json.files).toEqual([join(out, 'activation_record.demo.odcs.yaml')]);
    const doc = YAML.parse(readFileSync(res.json.files[0], 'utf8')) as Record<string, any>;
    expect(doc.slaProperties[0]).toMatchObject({ property: 'freshness', value: 24, unit: 'hours' });
    expect(doc.team).toContainEqual(expect.objectContaining({ username: 'growth-team', role: 'decision-owner' }));
    const bad = await runCli(['contracts', 'export', '--format', 'jsonschema', '--pipeline', join(REPO_ROOT, 'pipelines', 'demo.yaml'), '--json']);
    expect(bad.code).toBe(2);
    expect(bad.json.message).toMatch(/--pipeline applies to --format odcs only/);
  });

  it('refuses an unknown format', async () => {
    const res = await runCli(['contracts', 'export', '--format', 'avro', '--json']);
    expect(res.code).toBe(2);
    expect(res.json).toMatchObject({ ok: false, error: 'UsageError', message: "option '--format <format>' argument 'avro' is invalid. Allowed choices are jsonschema, odcs." });
  });
});

describe('scoreflow contracts release', () => {
  it('snapshots every unreleased version into the released folder, then leaves them unchanged', async () => {
    const released = join(tmp(), 'released');
    const first = await runCli(['contracts', 'release', '--released-dir', released, '--json']);
    expect(first.code).toBe(0);
    expect(first.json.released.map((r: { status: string }) => r.status)).toEqual(ALL_CONTRACTS.map(() => 'written'));
    const again = await runCli(['contracts', 'release', '--released-dir', released, '--json']);
    expect(again.json.released.map((r: { status: string }) => r.status)).toEqual(ALL_CONTRACTS.map(() => 'unchanged'));
    // What it released is what the repository released.
    const rec = 'activation_record/1.0.0.schema.json';
    expect(readFileSync(join(released, rec), 'utf8')).toBe(readFileSync(join(DEFAULT_RELEASED_DIR, rec), 'utf8'));
  });

  it('--only as its --help example writes it: that one contract, by the name the registry gives it', async () => {
    const help = await runCli(['contracts', 'release', '--help']);
    const only = /contracts release --only (\S+)/.exec(help.stdout)?.[1];
    expect(ALL_CONTRACTS.map((c) => c.name)).toContain(only);
    const released = join(tmp(), 'released');
    const res = await runCli(['contracts', 'release', '--only', only!, '--released-dir', released, '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json.released.map((r: { contract?: string; name?: string }) => r.contract ?? r.name)).toEqual([only]);
  });
});
