/**
 * The real reason a stage failed, for a paused run's reason and the operator: walks the whole cause
 * chain (child workflow → activity → application failure → the destination's own error) instead of
 * stopping at "Child Workflow execution failed". Pure; deterministic.
 */
const WRAPPERS = [/^Child Workflow execution failed$/i, /^Activity task failed$/i, /^Activity task timed out$/i, /^Workflow execution failed$/i];

export function failureMessage(err: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur && !seen.has(cur) && parts.length < 8) {
    seen.add(cur);
    const e = cur as { message?: unknown; type?: unknown; timeoutType?: unknown; cause?: unknown; name?: unknown };
    const msg = typeof e.message === 'string' ? e.message.trim() : String(cur);
    const wrapper = WRAPPERS.some((w) => w.test(msg));
    if (!wrapper && msg && !parts.some((p) => p.includes(msg))) {
      const type = typeof e.type === 'string' && e.type !== 'Error' ? `${e.type}: ` : '';
      parts.push(`${type}${msg}`);
    } else if (wrapper && e.timeoutType !== undefined && e.timeoutType !== null) {
      parts.push(`timed out (${String(e.timeoutType)})`);
    }
    cur = e.cause;
  }
  return parts.length ? parts.join(' ← ') : String((err as { message?: unknown })?.message ?? err);
}
