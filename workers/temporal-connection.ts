/**
 * Where and how Scoreflow connects to Temporal, from the SDK's environment configuration
 * (@temporalio/envconfig), so a Temporal Cloud or self-hosted production cluster needs no code:
 *
 *   TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 *   TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH / _DATA, TEMPORAL_TLS_CLIENT_KEY_PATH / _DATA,
 *   TEMPORAL_TLS_SERVER_CA_CERT_PATH / _DATA, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_GRPC_META_<NAME>,
 *   TEMPORAL_PROFILE (a profile of the TOML file), TEMPORAL_CONFIG_FILE (default
 *   ~/.config/temporalio/temporal.toml, the file `temporal config set` writes).
 *
 * Environment variables override the profile's values. Without any of them: 127.0.0.1:7233,
 * namespace "default", no TLS — the local dev server, as before. An empty TEMPORAL_ADDRESS counts
 * as unset (as it always has here). Every client and worker connection is built from this one place.
 */
import { hostname, userInfo } from 'node:os';
import { loadClientConnectConfig } from '@temporalio/envconfig';

type EnvConnectionOptions = ReturnType<typeof loadClientConnectConfig>['connectionOptions'];

export const DEFAULT_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_NAMESPACE = 'default';

type Env = Readonly<Record<string, string | undefined>>;

export interface TemporalSettings {
  address: string;
  namespace: string;
  /** Options for Connection.connect / NativeConnection.connect (address, TLS, API key, gRPC metadata). */
  connection: { address: string; tls?: EnvConnectionOptions['tls']; apiKey?: string; metadata?: Record<string, string> };
  /** The profile used, when a config file has it or TEMPORAL_PROFILE names it. */
  profile: string | null;
  /** Whether the connection uses TLS (explicitly, or because an API key implies it). */
  tls: boolean;
}

export class TemporalConfigError extends Error {
  override name = 'TemporalConfigError';
}

function configFile(env: Env): string {
  return env.TEMPORAL_CONFIG_FILE || '~/.config/temporalio/temporal.toml';
}

/** The connection settings for `env` (default: this process's environment). Throws a TemporalConfigError naming the file or profile. */
export function temporalSettings(env: Env = process.env): TemporalSettings {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !(k === 'TEMPORAL_ADDRESS' && v.trim() === '')) vars[k] = v;
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: vars });
  } catch (err) {
    const message = (err as Error).message;
    if (/^Profile '.*' not found/.test(message)) {
      throw new TemporalConfigError(`TEMPORAL_PROFILE=${env.TEMPORAL_PROFILE}: no such profile in ${configFile(env)}; add [profile.${env.TEMPORAL_PROFILE}] there, or unset TEMPORAL_PROFILE`);
    }
    throw new TemporalConfigError(`Temporal client configuration (${configFile(env)} and TEMPORAL_* variables) is invalid: ${message}`);
  }
  const c = loaded.connectionOptions;
  const address = c.address?.trim() || DEFAULT_ADDRESS;
  const namespace = loaded.namespace?.trim() || DEFAULT_NAMESPACE;
  return {
    address,
    namespace,
    connection: {
      address,
      ...(c.tls !== undefined ? { tls: c.tls } : {}),
      ...(c.apiKey ? { apiKey: c.apiKey as string } : {}),
      ...(c.metadata && Object.keys(c.metadata).length > 0 ? { metadata: c.metadata as Record<string, string> } : {}),
    },
    profile: env.TEMPORAL_PROFILE?.trim() || null,
    tls: c.tls !== undefined && c.tls !== false,
  };
}

/** The configured operator: SCOREFLOW_OPERATOR, else the OS user ('' when the OS has none). */
export function configuredOperator(env: Env = process.env, osUser: () => string = () => userInfo().username): string {
  const fromEnv = env.SCOREFLOW_OPERATOR?.trim();
  if (fromEnv) return fromEnv;
  try {
    return osUser();
  } catch {
    return '';
  }
}

export const CLI_IDENTITY_PREFIX = 'scoreflow-cli:';

/**
 * The Temporal client identity of the CLI, `scoreflow-cli:<operator>@<host>`: Temporal records it
 * on every signal and update the CLI sends, and the operator audit reads it back from there.
 */
export function cliIdentity(operator: string, host: string = hostname()): string {
  return `${CLI_IDENTITY_PREFIX}${operator || 'unknown'}@${host}`;
}

/** The operator named by a `scoreflow-cli:<operator>@<host>` identity, or null for any other identity. */
export function operatorOfIdentity(identity: string): string | null {
  if (!identity.startsWith(CLI_IDENTITY_PREFIX)) return null;
  const rest = identity.slice(CLI_IDENTITY_PREFIX.length);
  const at = rest.lastIndexOf('@');
  return at > 0 ? rest.slice(0, at) : null;
}
