/**
 * A test workflow that calls activities by name, one attempt each, in order, and reports each
 * outcome. Lets a test drive a worker's activity interceptors with fake activities registered under
 * the real activity names.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface ActivityCall {
  name: string;
  input: unknown;
}

export type ActivityOutcome = { ok: true; result: unknown } | { ok: false; error: string };

const acts = proxyActivities<Record<string, (input: unknown) => Promise<unknown>>>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 1 },
});

export async function callActivities(calls: ActivityCall[]): Promise<ActivityOutcome[]> {
  const out: ActivityOutcome[] = [];
  for (const c of calls) {
    try {
      out.push({ ok: true, result: await acts[c.name]!(c.input) });
    } catch (err) {
      out.push({ ok: false, error: (err as Error).message });
    }
  }
  return out;
}
