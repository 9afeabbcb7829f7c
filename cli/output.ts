/**
 * CLI output: with --json, exactly one JSON object as the last line of stdout, always with `ok`;
 * otherwise readable text. Progress goes to stderr, redrawn in place only on a TTY.
 *
 * Exit codes (README "Exit codes"): 0 ok, 1 failure, 2 usage error (bad flag or value, nothing
 * started), 3 completed but a run ended paused or aborted (`run --wait`, `demo`).
 */
import { ZodError } from 'zod';
export const EXIT = { ok: 0, failure: 1, usage: 2, runNotCompleted: 3 } as const;

export interface OutputOptions {
  json?: boolean;
}

/** A bad flag, value or combination: exit 2, nothing started. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode: number = EXIT.usage;
}

/** Prints the result; under --json as `{"ok": true, ...result}` unless the result says `ok` itself. */
export function emit(opts: OutputOptions, result: object, human: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
  else process.stdout.write(`${human()}\n`);
}

/** "1m05s", "12s": a duration for a progress line. */
function shortDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * The progress line: done/total, percent, rate and ETA, e.g.
 * `ingest: 120,000/500,000 rows 24% 41,200 rows/s ETA 9s`. Without a total, count and rate only.
 */
export function progressLine(label: string, unit: string, done: number, total: number | undefined, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const parts = [`${label}: ${n(done)}${total ? `/${n(total)}` : ''} ${unit}`];
  if (total) parts.push(`${Math.min(100, Math.floor((done / total) * 100))}%`);
  if (rate > 0) parts.push(`${n(rate)} ${unit}/s`);
  if (total && rate > 0) parts.push(`ETA ${shortDuration((total - done) / rate)}`);
  return parts.join(' ');
}

export function progress(label: string, unit = 'rows', stream: NodeJS.WriteStream = process.stderr): { update(done: number, total?: number): void; done(msg?: string): void } {
  const tty = stream.isTTY === true;
  const started = Date.now();
  let last = 0;
  let width = 0;
  return {
    update(done, total) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const line = progressLine(label, unit, done, total, now - started);
      stream.write(`\r${line.padEnd(width)}`);
      width = line.length;
    },
    done(msg) {
      if (tty) stream.write(`\r${`${label}: ${msg ?? 'done'}`.padEnd(width)}\n`);
    },
  };
}

/** Prints an error for a person (what, where, what to do) and sets a failing exit code. */
export function fail(opts: OutputOptions, err: unknown, exitCode = 1): void {
  // A ZodError's message is its issues as a JSON array: say each field and its problem instead.
  const message =
    err instanceof ZodError
      ? `invalid input: ${err.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`
      : err instanceof Error
        ? err.message
        : String(err);
  const name = err instanceof Error ? err.name : 'Error';
  if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, error: name, message })}\n`);
  process.stderr.write(`scoreflow: ${message}\n`);
  process.exitCode = exitCode;
}
