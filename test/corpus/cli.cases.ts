/**
 * Bad-input corpus: CLI flags and arguments. Each case is one command line; the CLI must exit with
 * the code and print a message naming the flag, argument or file and the problem (never a raw zod
 * issue array), and leave nothing behind (the ingest cases check the database for their delivery).
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface CliCase {
  name: string;
  /** Arguments after `scoreflow`; `dir` is a fresh empty folder of the case. */
  args: (dir: string) => string[] | Promise<string[]>;
  code: number;
  /** Pattern on stderr (the message a person reads). */
  message: RegExp | ((dir: string) => RegExp);
  /** Also run it as a real `scoreflow` process (a few representative cases). */
  spawn?: boolean;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const CLI_CASES: CliCase[] = [
  {
    name: 'ingest: a file path instead of a folder',
    args: (dir) => (writeFileSync(join(dir, 'notes.txt'), 'x'), ['ingest', join(dir, 'notes.txt')]),
    code: 1,
    message: (dir) => new RegExp(`${esc(join(dir, 'notes.txt'))}: is a file, not a folder\\. Pass the folder that holds the deliveries`),
    spawn: true,
  },
  {
    name: 'ingest: the manifest path instead of its folder',
    args: (dir) => (writeFileSync(join(dir, 'rs_2024-05-01.txt'), 'x'), ['ingest', join(dir, 'rs_2024-05-01.txt')]),
    code: 1,
    message: (dir) => new RegExp(`is a file, not a folder.*This is a manifest: pass its folder, ${esc(dir)}\\.`),
  },
  { name: 'ingest: a folder that does not exist', args: (dir) => ['ingest', join(dir, 'nope')], code: 1, message: /nope: the feed folder does not exist\. Create it or point/ },
  { name: 'ingest: no folder given', args: () => ['ingest'], code: 1, message: /missing required argument 'dir'/ },
  { name: 'ingest: an unknown flag', args: (dir) => ['ingest', dir, '--max-quarantine'], code: 1, message: /unknown option '--max-quarantine'/ },
  { name: 'ingest: --max-quarantine-share above 1', args: (dir) => ['ingest', dir, '--max-quarantine-share', '2'], code: 2, message: /--max-quarantine-share 2: must be between 0 and 1/ },
  { name: 'ingest: --max-quarantine-share not a number', args: (dir) => ['ingest', dir, '--max-quarantine-share', 'lots'], code: 2, message: /--max-quarantine-share "lots": not a number; expected a number between 0 and 1/ },
  { name: 'ingest: --encoding unknown', args: (dir) => ['ingest', dir, '--encoding', 'latin9'], code: 2, message: /--encoding "latin9": expected one of auto, utf-8, iso-8859-1/ },
  { name: 'ingest: --customer-id-column not a column name', args: (dir) => ['ingest', dir, '--customer-id-column', 'post evar3'], code: 1, message: /invalid input: customerIdColumn: a hit_data column name such as post_evar3/ },
  { name: 'ingest: --pipeline file missing', args: (dir) => ['ingest', dir, '--pipeline', join(dir, 'p.yaml')], code: 1, message: /p\.yaml: cannot read the pipeline config/ },
  {
    name: 'ingest: data files whose manifest is missing',
    args: (dir) => (writeFileSync(join(dir, '01-rs_2024-05-01.tsv.gz'), gzipSync('')), ['ingest', dir]),
    code: 1,
    message: /rs_2024-05-01\.txt: the manifest is missing from .*, but its files are there \(01-rs_2024-05-01\.tsv\.gz\); nothing of the delivery was loaded/,
    spawn: true,
  },
  {
    name: 'ingest: a manifest that is a broken symbolic link',
    args: (dir) => (symlinkSync(join(dir, 'elsewhere', 'rs_2024-05-02.txt'), join(dir, 'rs_2024-05-02.txt')), ['ingest', dir]),
    code: 1,
    message: /rs_2024-05-02\.txt rejected: rs_2024-05-02\.txt: the manifest is a symbolic link to a file that does not exist/,
  },
  {
    name: 'ingest: a folder named like a manifest',
    args: (dir) => (mkdirSync(join(dir, 'rs_2024-05-03.txt')), ['ingest', dir]),
    code: 1,
    message: /rs_2024-05-03\.txt: the manifest is not a file \(a folder\)/,
  },
  { name: 'rollback: no --reason', args: () => ['rollback', '--to', '1.0.0'], code: 2, message: /rollback not sent: --reason: reason: reason is required: say why \(at least 3 characters\)/, spawn: true },
  { name: 'rollback: --reason too short', args: () => ['rollback', '--to', 'rules', '--reason', 'no'], code: 2, message: /--reason "no": reason: reason is required/ },
  { name: 'rollback: no --to', args: () => ['rollback', '--reason', 'model drifted'], code: 2, message: /--to is required: a model version .* or "rules"/ },
  { name: 'rollback: empty --operator', args: () => ['rollback', '--to', 'rules', '--reason', 'model drifted', '--operator', ' '], code: 2, message: /--operator " ": operator: operator is required: who is acting/ },
  { name: 'rollback: --run and --pipeline together', args: () => ['rollback', '--run', 'r1', '--pipeline', 'pipelines/demo.yaml', '--to', 'rules', '--reason', 'model drifted'], code: 2, message: /give --run or --pipeline, not both/ },
  { name: 'rollback: an empty --run', args: () => ['rollback', '--run', '', '--to', 'rules', '--reason', 'model drifted'], code: 2, message: /--run "": give the workflow id of the run to roll back/ },
  { name: 'approve: no --reason', args: () => ['approve', '--run', 'r1'], code: 2, message: /--reason is required: say why you approve run r1 \(at least 3 characters\); it is audited/ },
  { name: 'abort: no --reason', args: () => ['abort', '--run', 'r1'], code: 2, message: /--reason is required: say why you abort run r1/ },
  { name: 'pipeline validate: no file given', args: () => ['pipeline', 'validate'], code: 1, message: /missing required argument 'file'/ },
  { name: 'pipeline validate: a file that does not exist', args: (dir) => ['pipeline', 'validate', join(dir, 'none.yaml')], code: 1, message: /none\.yaml: 1 problem\(s\)/ },
  // serve: every flag is checked before Redis, the database or Temporal is opened, so a bad value
  // exits 2 at once (a connection opened first kept the process alive after the message).
  { name: 'serve: --port not a number', args: () => ['serve', '--port', 'abc'], code: 2, message: /port "abc" is not a TCP port \(0–65535\); pass --port N or set PORT/ },
  { name: 'serve: --metrics-port not a number', args: () => ['serve', '--metrics-port', 'abc'], code: 2, message: /--metrics-port "abc" is not a TCP port .* or "off"/ },
  { name: 'serve: --ecid-mapping unknown', args: () => ['serve', '--ecid-mapping', 'foo'], code: 2, message: /--ecid-mapping must be explicit or explicit-then-halves, not "foo"/ },
  { name: 'serve: --stale-after not a duration', args: () => ['serve', '--stale-after', 'abc'], code: 2, message: /--stale-after "abc" is not a duration like 30m/, spawn: true },
  { name: 'serve: --read-timeout-ms negative', args: () => ['serve', '--read-timeout-ms', '-5'], code: 2, message: /--read-timeout-ms must be a positive whole number of milliseconds, not "-5"/ },
  { name: 'serve: --target-url without --target-client', args: () => ['serve', '--target-url', 'http://127.0.0.1:1'], code: 2, message: /--target-url needs --target-client/ },
  { name: 'serve: --cart-delay without a webhook URL', args: () => ['serve', '--cart-delay', '30m'], code: 2, message: /--cart-delay needs --cart-webhook-url \(or --webhook-url\)/, spawn: true },
  { name: 'serve: --webhook-url with --no-events', args: () => ['serve', '--no-events', '--webhook-url', 'http://127.0.0.1:1/h'], code: 2, message: /act on ingested events; they need the events endpoint \(drop --no-events\)/ },
];
