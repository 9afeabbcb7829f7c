/**
 * "No file cites a document the repo does not contain": every `.md` document a tracked source or
 * doc file names must exist in the repo.
 *  - a path starting with `docs/` or `test/` is resolved from the repo root;
 *  - a relative Markdown link target (`](../x.md)`) is resolved from the citing file's folder;
 *  - a bare name (`holdout-assignment.md`) must be the name of some tracked file.
 * URLs (http/https) are vendor pages, not repo documents, and are skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SELF = 'test/unit/docs.citations.test.ts';
const SCANNED = /\.(ts|mts|mjs|js|md|json|sql|py|yaml|yml)$/;

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '' && !f.startsWith('node_modules/') && !f.startsWith('dist/') && f !== 'package-lock.json');
}

interface Citation { file: string; line: number; cited: string; resolved: string | null }

/** Pure: the `.md` citations in one file's text. `resolved` is a repo-relative path, or null for a bare name. */
function citationsIn(file: string, text: string): Citation[] {
  const out: Citation[] = [];
  const lines = text.split('\n');
  lines.forEach((lineText, i) => {
    // Strip links to URLs (their text names the vendor page) and URLs first, so a vendor page ending
    // in .md is never taken for a repo path.
    const line = lineText.replace(/\[[^\]]*\]\([a-z][a-z0-9+.-]*:\/\/[^)]*\)/gi, ' ').replace(/[a-z][a-z0-9+.-]*:\/\/[^\s)'"`>\]]+/gi, ' ');
    const seen = new Set<string>();
    for (const m of line.matchAll(/\]\(([^)\s#]+\.md)(?:#[^)]*)?\)/g)) {
      const target = m[1]!;
      seen.add(target);
      const resolved = target.startsWith('docs/') || target.startsWith('test/') ? target : normalize(join(dirname(file), target));
      out.push({ file, line: i + 1, cited: target, resolved });
    }
    for (const m of line.matchAll(/(?<![\w./-])((?:\.{1,2}\/)*[\w.-]+(?:\/[\w.-]+)*\.md)\b/g)) {
      const cited = m[1]!;
      if (seen.has(cited)) continue;
      if (cited.startsWith('docs/') || cited.startsWith('test/')) out.push({ file, line: i + 1, cited, resolved: cited });
      else if (cited.startsWith('.')) out.push({ file, line: i + 1, cited, resolved: normalize(join(dirname(file), cited)) });
      else if (!cited.includes('/')) out.push({ file, line: i + 1, cited, resolved: null });
      else out.push({ file, line: i + 1, cited, resolved: null });
    }
  });
  return out;
}

describe('docs citations', () => {
  it('reads repo paths, relative links and bare names, and skips URLs', () => {
    const text = [
      'see docs/formats/adobe-data-feed.md and [w](../destinations/webhooks.md#limits)',
      'the spec https://github.com/x/y/blob/main/spec/FORMATS.md is a vendor page, as is [spec/STYLE.md](https://example.com/spec/STYLE.md)',
      'per FORMATS.md',
    ].join('\n');
    const c = citationsIn('docs/formats/README.md', text);
    expect(c.map((x) => [x.cited, x.resolved])).toEqual([
      ['../destinations/webhooks.md', 'docs/destinations/webhooks.md'],
      ['docs/formats/adobe-data-feed.md', 'docs/formats/adobe-data-feed.md'],
      ['FORMATS.md', null],
    ]);
  });

  it('every cited .md document exists in the repo', () => {
    const files = trackedFiles();
    const names = new Set(files.map((f) => basename(f)));
    const missing: string[] = [];
    let checked = 0;
    for (const file of files) {
      // This file's own examples cite missing documents on purpose.
      if (!SCANNED.test(file) || file === SELF || !existsSync(join(ROOT, file))) continue;
      for (const c of citationsIn(file, readFileSync(join(ROOT, file), 'utf8'))) {
        checked++;
        const ok = c.resolved !== null ? existsSync(join(ROOT, c.resolved)) : names.has(basename(c.cited));
        if (!ok) missing.push(`${c.file}:${c.line}: cites ${c.cited}, which the repo does not contain`);
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });
});
