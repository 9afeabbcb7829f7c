/**
 * CSV in and out. Input goes through csv-parse (RFC 4180: quoted fields may hold commas, quotes and
 * newlines; a BOM is dropped; blank lines are skipped), never a line splitter, so a quoted newline
 * in a CRM extract cannot shift the columns of the records after it.
 */
import { createReadStream } from 'node:fs';
import { CsvError, parse, type Info } from 'csv-parse';

/** A file that is not valid CSV: names the file, the line and what to do. */
export class CsvInputError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    reason: string,
  ) {
    super(`${file}: not valid CSV${line ? ` at line ${line}` : ''} (${reason}). Quote fields that hold commas, quotes or newlines ("" escapes a quote), then deliver the file again.`);
    this.name = 'CsvInputError';
  }
}

/** The records of a CSV file, each with the line it ends on (for messages). */
export async function* readCsvRecords(path: string): AsyncGenerator<{ lineNo: number; fields: string[] }> {
  const parser = createReadStream(path).pipe(parse({ bom: true, skip_empty_lines: true, relax_column_count: true, info: true }));
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      yield { lineNo: info.lines, fields: record };
    }
  } catch (err) {
    if (err instanceof CsvError) throw new CsvInputError(path, (err as CsvError & { lines?: number }).lines, `${err.code}: ${err.message}`);
    throw err;
  } finally {
    parser.destroy();
  }
}

/** Quotes a CSV field when it holds a comma, quote or newline (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
