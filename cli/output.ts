/**
 * CLI output: with --json, exactly one JSON object as the last line of stdout; otherwise readable
 * text. Progress goes to stderr, redrawn in place only on a TTY.
 */
import { ZodError } from 'zod';

export interface OutputOptions {
  json?: boolean;
}

export function emit(opts: OutputOptions, result: object, human: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${human()}\n`);
}

export function progress(label: string): { update(done: number, total?: number): void; done(msg?: string): void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  return {
    update(done, total) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const pct = total ? ` ${Math.floor((done / total) * 100)}%` : '';
      process.stderr.write(`\r${label}: ${done.toLocaleString('en-US')}${total ? `/${total.toLocaleString('en-US')}` : ''}${pct}   `);
    },
    done(msg) {
      if (tty) process.stderr.write(`\r${label}: ${msg ?? 'done'}${' '.repeat(20)}\n`);
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
