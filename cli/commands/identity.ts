/**
 * `scoreflow identity normalize`: normalizes one identifier the way Google Customer Match or Meta
 * Custom Audiences require and prints its SHA-256, to compare with what a destination received.
 * The value is the caller's own input, printed back only on stdout; nothing is logged, and a
 * malformed value is reported by its reason code, never echoed. Pass `-` to read it from stdin
 * (keeps it out of the shell history and the process list).
 */
import { Option, type Command } from 'commander';
import { isHashed, normalizeForCli, type IdentifierType, type Platform } from '../../activities/identity/normalize.ts';
import { emit } from '../output.ts';
import { oneOf } from './flag-values.ts';

const PLATFORMS = ['google', 'meta'] as const satisfies readonly Platform[];
const TYPES = ['email', 'phone', 'fn', 'ln', 'ct', 'zip', 'country'] as const satisfies readonly IdentifierType[];

/** A malformed identifier: the message carries the reason code only. */
export class MalformedIdentifierError extends Error {
  override name = 'MalformedIdentifier';
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function registerIdentityCommands(program: Command): void {
  const identity = program.command('identity').description('Customer identifiers as the ad platforms match them.');

  identity
    .command('normalize')
    .description('Normalize an identifier for Google Customer Match or Meta Custom Audiences and print its SHA-256 (hex).')
    .argument('<value>', 'the identifier, or - to read it from stdin')
    .addOption(new Option('--platform <platform>', 'the ad platform').choices(PLATFORMS).makeOptionMandatory())
    .addOption(new Option('--type <type>', 'identifier type (fn/ln: first/last name, ct: city)').choices(TYPES).makeOptionMandatory())
    .option('--country <XX>', 'country for national phone numbers and the ZIP rule (alpha-2)', 'US')
    .option('--json', 'print one JSON object')
    .action(async (value: string, o: { platform: string; type: string; country: string; json?: boolean }) => {
      const platform = oneOf('platform', o.platform, PLATFORMS);
      const type = oneOf('type', o.type, TYPES);
      const raw = value === '-' ? await readStdinLine() : value;
      const r = normalizeForCli(platform, type, raw, o.country);
      if ('error' in r) {
        throw new MalformedIdentifierError(`the ${type} is malformed for ${platform}: ${r.error}. Check the value's shape${type === 'phone' ? ' (and --country for numbers without +)' : ''}.`);
      }
      const hashed = isHashed(platform, type);
      emit(o, { ok: true, platform, type, normalized: r.normalized, sha256: r.sha256, sentHashed: hashed }, () =>
        [`normalized: ${r.normalized}`, `sha256:     ${r.sha256}`, ...(hashed ? [] : [`(${platform} receives the ${type} unhashed, as the normalized value)`])].join('\n'),
      );
    });
}
