/**
 * Replays committed histories of cartAbandonment (recorded on a dev server: one visitor who added
 * twice, sent one invalid signal and got the offer; one who purchased) against the current code, so a
 * change that breaks determinism fails here before it breaks running workflows.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';

const workflowsPath = fileURLToPath(new URL('../../workflows/cart-abandonment.ts', import.meta.url));
/** The JSON form Temporal's CLI and Web UI export; runReplayHistory converts it. */
const history = (name: string) => JSON.parse(readFileSync(new URL(`./histories/${name}.json`, import.meta.url), 'utf8')) as { events: unknown[] };

describe('cartAbandonment replay', () => {
  for (const name of ['cart-abandonment-delivered', 'cart-abandonment-purchased']) {
    it(`replays ${name} without nondeterminism`, async () => {
      const h = history(name);
      expect(h.events.length).toBeGreaterThan(5);
      await expect(Worker.runReplayHistory({ workflowsPath }, h, name)).resolves.toBeUndefined();
    }, 60_000);
  }
});
