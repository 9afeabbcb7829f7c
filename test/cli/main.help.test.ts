import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runCli } from '../helpers/run-cli.ts';

describe('scoreflow --help', () => {
  it('lists the commands wired in cli/main.ts', async () => {
    const res = await runCli(['--help']);
    expect(res.code).toBe(0);
    for (const c of ['ingest', 'feed', 'models', 'contracts', 'identity', 'serve', 'run', 'demo', 'approve', 'resume', 'abort', 'pause', 'rollback']) {
      expect(res.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    }
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const res = await runCli(['--version']);
    expect(res).toMatchObject({ code: 0, stdout: `${version}\n` });
  });
});
