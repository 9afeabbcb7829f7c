/**
 * Pure parser of an Adobe data feed manifest (`<rsid>_<date>.txt`).
 *
 * Format (docs/formats/adobe-data-feed.md): `Key: Value` lines in sections separated by blank lines. The header
 * section carries `Datafeed-Manifest-Version`, `Lookup-Files`, `Data-Files` and `Total-Records`;
 * each `Lookup-File:` / `Data-File:` section then carries `MD5-Digest` and `File-Size`, data files
 * also `Record-Count`. Keys may be indented, CRLF line ends and a missing final newline are
 * accepted, and `Data-Files: 0` is a valid day without data. A `Lookup-File:` or `Data-File:` key
 * always opens a new section, even when a blank line is missing before it.
 *
 * The parser checks the manifest against itself (declared counts, Total-Records = sum of
 * Record-Count); checking the files against the manifest is verify-delivery-files.ts.
 */
import { InvalidFeedError } from './invalid-feed-error.ts';

export interface ManifestFile {
  name: string;
  md5: string;
  size: number;
}

export interface ManifestDataFile extends ManifestFile {
  recordCount: number;
}

export interface Manifest {
  version: string | undefined;
  lookupFiles: ManifestFile[];
  dataFiles: ManifestDataFile[];
  totalRecords: number;
}

interface Section {
  line: number;
  entries: Map<string, { value: string; line: number }>;
}

const FILE_KEYS = new Set(['lookup-file', 'data-file']);

function splitSections(text: string, source: string): Section[] {
  const sections: Section[] = [];
  let current: Section | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = (lines[i] ?? '').trim();
    if (line === '') {
      current = undefined;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      throw new InvalidFeedError(`${source}: line ${lineNo} is not a "Key: Value" line. The manifest is damaged: ask Adobe to re-deliver the day.`, source);
    }
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (!current || (FILE_KEYS.has(key) && current.entries.size > 0)) {
      current = { line: lineNo, entries: new Map() };
      sections.push(current);
    }
    if (current.entries.has(key)) {
      throw new InvalidFeedError(`${source}: line ${lineNo} repeats key "${line.slice(0, colon).trim()}" within one section. The manifest is damaged: ask Adobe to re-deliver the day.`, source);
    }
    current.entries.set(key, { value, line: lineNo });
  }
  return sections;
}

function required(section: Section, key: string, source: string, what: string): { value: string; line: number } {
  const e = section.entries.get(key.toLowerCase());
  if (!e) throw new InvalidFeedError(`${source}: ${what} (section at line ${section.line}) has no ${key}. The manifest is incomplete: ask Adobe to re-deliver the day.`, source);
  return e;
}

function count(section: Section, key: string, source: string, what: string): number {
  const e = required(section, key, source, what);
  if (!/^\d+$/.test(e.value) || !Number.isSafeInteger(Number(e.value))) {
    throw new InvalidFeedError(`${source}: line ${e.line}: ${key} must be a non-negative integer. The manifest is damaged: ask Adobe to re-deliver the day.`, source);
  }
  return Number(e.value);
}

function fileEntry(section: Section, key: string, source: string): ManifestFile {
  const nameEntry = required(section, key, source, `the ${key} section`);
  const name = nameEntry.value;
  if (name === '' || name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
    throw new InvalidFeedError(`${source}: line ${nameEntry.line}: ${key} must be a plain file name in the delivery folder. Fix or re-deliver the manifest.`, source);
  }
  const what = `${key} ${name}`;
  const md5 = required(section, 'MD5-Digest', source, what);
  if (!/^[0-9a-fA-F]{32}$/.test(md5.value)) {
    throw new InvalidFeedError(`${source}: line ${md5.line}: MD5-Digest of ${name} is not 32 hex digits. The manifest is damaged: ask Adobe to re-deliver the day.`, source);
  }
  return { name, md5: md5.value.toLowerCase(), size: count(section, 'File-Size', source, what) };
}

/** Parses and self-checks a manifest. `source` names the manifest file in error messages. */
export function parseManifest(text: string, source: string): Manifest {
  const sections = splitSections(text, source);
  const header = sections[0];
  if (!header || FILE_KEYS.has([...header.entries.keys()][0] ?? '')) {
    throw new InvalidFeedError(`${source}: the manifest has no header section (Datafeed-Manifest-Version, Lookup-Files, Data-Files, Total-Records). Ask Adobe to re-deliver the day.`, source);
  }
  const what = 'the header';
  const declaredLookups = count(header, 'Lookup-Files', source, what);
  const declaredData = count(header, 'Data-Files', source, what);
  const totalRecords = count(header, 'Total-Records', source, what);
  const lookupFiles: ManifestFile[] = [];
  const dataFiles: ManifestDataFile[] = [];
  for (const section of sections.slice(1)) {
    if (section.entries.has('lookup-file')) {
      lookupFiles.push(fileEntry(section, 'Lookup-File', source));
    } else if (section.entries.has('data-file')) {
      const f = fileEntry(section, 'Data-File', source);
      dataFiles.push({ ...f, recordCount: count(section, 'Record-Count', source, `Data-File ${f.name}`) });
    } else {
      throw new InvalidFeedError(`${source}: the section at line ${section.line} is neither a Lookup-File nor a Data-File section. The manifest is damaged: ask Adobe to re-deliver the day.`, source);
    }
  }
  if (lookupFiles.length !== declaredLookups) {
    throw new InvalidFeedError(`${source}: Lookup-Files says ${declaredLookups} but ${lookupFiles.length} Lookup-File section(s) follow. The manifest is damaged: ask Adobe to re-deliver the day.`, source);
  }
  if (dataFiles.length !== declaredData) {
    throw new InvalidFeedError(`${source}: Data-Files says ${declaredData} but ${dataFiles.length} Data-File section(s) follow. The manifest is damaged: ask Adobe to re-deliver the day.`, source);
  }
  const names = new Set<string>();
  for (const f of [...lookupFiles, ...dataFiles]) {
    if (names.has(f.name)) throw new InvalidFeedError(`${source}: ${f.name} is listed twice. The manifest is damaged: ask Adobe to re-deliver the day.`, source);
    names.add(f.name);
  }
  const sum = dataFiles.reduce((s, f) => s + f.recordCount, 0);
  if (sum !== totalRecords) {
    throw new InvalidFeedError(`${source}: Total-Records is ${totalRecords} but the data files' Record-Count values add up to ${sum}. The manifest is inconsistent: ask Adobe to re-deliver the day.`, source);
  }
  const version = header.entries.get('datafeed-manifest-version')?.value;
  return { version, lookupFiles, dataFiles, totalRecords };
}
