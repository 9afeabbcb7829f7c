/**
 * Locates the Temporal CLI binary, building it from the Go module proxy when absent.
 *
 * Search order: $TEMPORAL_CLI, `temporal` on PATH, then the cache folder outside the repo
 * ($SCOREFLOW_CACHE or ~/.cache/scoreflow). The SDK's own download cannot work on this machine,
 * so the one-time build uses `go install github.com/temporalio/cli/cmd/temporal@v1.5.1`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';

export function cacheRoot(): string {
  return process.env.SCOREFLOW_CACHE ?? join(homedir(), '.cache', 'scoreflow');
}

export function cachedBinaryPath(): string {
  return join(cacheRoot(), `temporal-${TEMPORAL_CLI_VERSION}`, 'bin', 'temporal');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export interface LocatedCli {
  path: string;
  source: 'env' | 'path' | 'cache' | 'built';
  buildSeconds?: number;
}

/** Finds the binary without building. */
export function findTemporalCli(): LocatedCli | undefined {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file. Unset it or point it at a temporal binary.`);
    }
    return { path: fromEnv, source: 'env' };
  }
  const fromPath = onPath('temporal');
  if (fromPath) return { path: fromPath, source: 'path' };
  const cached = cachedBinaryPath();
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

/** Finds the binary, or builds it once into the cache. Progress goes to stderr. */
export function ensureTemporalCli(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): LocatedCli {
  const found = findTemporalCli();
  if (found) return found;
  const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (goVersion.status !== 0) {
    throw new Error(
      'No Temporal CLI found ($TEMPORAL_CLI, PATH, cache) and no Go toolchain to build one. ' +
        'Install Go, or set TEMPORAL_CLI to an existing temporal binary.',
    );
  }
  const binDir = join(cacheRoot(), `temporal-${TEMPORAL_CLI_VERSION}`, 'bin');
  mkdirSync(binDir, { recursive: true });
  log(`[scoreflow] One-time build of the Temporal CLI ${TEMPORAL_CLI_VERSION} from the Go module proxy into ${binDir} (several minutes)...`);
  const started = Date.now();
  execFileSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: binDir, GOFLAGS: '-mod=mod' },
  });
  const buildSeconds = Math.round((Date.now() - started) / 1000);
  const path = cachedBinaryPath();
  if (!existsSync(path)) throw new Error(`go install finished but ${path} does not exist`);
  log(`[scoreflow] Temporal CLI built in ${buildSeconds}s: ${path}`);
  return { path, source: 'built', buildSeconds };
}
