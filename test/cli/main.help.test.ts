import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';

describe('scoreflow --help', () => {
  it('lists the commands wired in cli/main.ts', async () => {
    const res = await runCli(['--help']);
    expect(res.code).toBe(0);
    for (const c of ['ingest', 'feed', 'models', 'contracts', 'identity', 'serve', 'run', 'demo']) expect(res.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });
});
