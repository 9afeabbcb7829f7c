/**
 * Code is placed by role, and the imports say so:
 * - product code (activities, workflows, workers, contracts, models) never imports scripts/, tools/ or test/;
 * - the CLI never imports scripts/ or test/ (it may use tools/: `demo` starts the contract servers,
 *   `feed generate` runs the feed generator);
 * - scripts/ (set-up, build, release) and tools/ (feed generator, contract servers, chaos, bench)
 *   never import test/;
 * - no import cycles outside test/, type-only imports included.
 * The graph is read from the source text (static, re-export and dynamic imports of relative paths).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SKIP = new Set(['node_modules', 'dist', '.git', '.data']);
const IMPORT = /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

type Graph = Map<string, { to: string; line: number }[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Strips comments so an import written in a doc comment is not an edge. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function importGraph(files: { path: string; text: string }[]): Graph {
  const graph: Graph = new Map();
  for (const f of files) {
    const src = stripComments(f.text);
    const edges = [...src.matchAll(IMPORT)].map((m) => ({
      to: relative(ROOT, resolve(ROOT, dirname(f.path), (m[1] ?? m[2])!)),
      line: src.slice(0, m.index + m[0].search(/import|export/)).split('\n').length,
    }));
    graph.set(f.path, edges);
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function importCycles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!graph.has(to)) continue;
      if (!index.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(v, Math.min(low.get(v)!, index.get(to)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).some((e) => e.to === v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

const RULES: { from: RegExp; role: string; forbidden: RegExp; why: string }[] = [
  { from: /^(activities|workflows|workers|contracts|models)\//, role: 'product code', forbidden: /^(scripts|tools|test)\//, why: 'product code runs in production; move what it needs into the product' },
  { from: /^cli\//, role: 'the CLI', forbidden: /^(scripts|test)\//, why: 'the CLI is product code; scripts/ holds set-up and build entry points only' },
  { from: /^(scripts|tools)\//, role: 'scripts and tools', forbidden: /^test\//, why: 'a shared helper belongs in tools/, which tests may import' },
];

const repoFiles = () => sourceFiles(ROOT).map((p) => relative(ROOT, p)).map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));

describe('code is placed by role', () => {
  const graph = importGraph(repoFiles());

  it('reads the real import graph (edges it must see are there)', () => {
    expect(graph.size).toBeGreaterThan(300);
    const has = (from: string, to: string) => (graph.get(from) ?? []).some((e) => e.to === to);
    expect(has('cli/commands/demo.ts', 'tools/contract-servers/start-all.ts')).toBe(true);
    expect(has('activities/destinations/sync-destination.ts', 'activities/destinations/run-records.ts')).toBe(true);
    expect(has('activities/report/lift-report.ts', 'activities/measurement/lift.ts')).toBe(true); // a type-only import
  });

  it('product code, the CLI, scripts and tools import only what their role allows', () => {
    const violations: string[] = [];
    for (const [from, edges] of graph) {
      for (const rule of RULES.filter((r) => r.from.test(from))) {
        for (const e of edges.filter((x) => rule.forbidden.test(x.to))) violations.push(`${from}:${e.line} imports ${e.to}: ${rule.role} must not (${rule.why})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('has no import cycles outside test/', () => {
    const nonTest: Graph = new Map([...graph].filter(([f]) => !f.startsWith('test/')));
    expect(importCycles(nonTest).map((c) => c.join(' → '))).toEqual([]);
  });

  it('the checks catch what they are for: a cycle, a self-import and a forbidden import', () => {
    const g = importGraph([
      { path: 'activities/a.ts', text: "import { b } from './b.ts';\nimport type { T } from '../tools/x.ts';" },
      { path: 'activities/b.ts', text: "export { a } from './a.ts';" },
      { path: 'activities/c.ts', text: "// import { x } from './c.ts' is only a comment\nconst m = await import('./c.ts');" },
      { path: 'tools/x.ts', text: "/* import { y } from '../test/y.ts' */ export type T = 1;" },
    ]);
    expect(importCycles(g)).toEqual([['activities/a.ts', 'activities/b.ts'], ['activities/c.ts']]);
    expect(g.get('activities/a.ts')).toEqual([{ to: 'activities/b.ts', line: 1 }, { to: 'tools/x.ts', line: 2 }]);
    expect(g.get('tools/x.ts')).toEqual([]);
  });
});
