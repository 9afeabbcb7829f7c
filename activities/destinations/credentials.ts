/**
 * Credential providers for the ad platforms and Adobe: they turn secrets named by environment
 * variable (never literal values in a pipeline file) into short-lived access tokens.
 *
 * - `google-oauth-refresh`: Google's OAuth 2.0 refresh-token grant (POST tokenUrl with grant_type=
 *   refresh_token, client_id, client_secret, refresh_token → access_token + expires_in);
 *   https://developers.google.com/identity/protocols/oauth2/web-server#offline
 * - `adobe-ims-client-credentials`: Adobe IMS OAuth server-to-server (POST tokenUrl with grant_type=
 *   client_credentials, client_id, client_secret, scope → access_token + expires_in);
 *   https://developer.adobe.com/developer-console/docs/guides/authentication/ServerToServerAuthentication/implementation
 * - `meta-long-lived`: a long-lived (system-user) token from the environment, checked once per hour
 *   with Graph's /debug_token (is_valid, expires_at): an invalid or expired token fails with a clear
 *   error before any upload; https://developers.facebook.com/docs/facebook-login/guides/access-tokens/debugging
 *
 * Tokens are cached per process and credential set, refreshed before they expire (a skew of a fifth of
 * their lifetime, at most 60 s, so a short lifetime given by the server is still refreshed in time),
 * and dropped by `invalidate()` when an API answers 401, so the adapter can retry once with a fresh one.
 * Tokens and secrets are never logged and never put in error messages; only variable names are.
 */
import { z } from 'zod';
import { logger } from '../observability/logger.ts';

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

export const GoogleOAuthRefreshCredentials = z.object({
  type: z.literal('google-oauth-refresh'),
  tokenUrl: z.url().default('https://oauth2.googleapis.com/token'),
  clientIdEnv: EnvName,
  clientSecretEnv: EnvName,
  refreshTokenEnv: EnvName,
});

export const AdobeImsCredentials = z.object({
  type: z.literal('adobe-ims-client-credentials'),
  tokenUrl: z.url().default('https://ims-na1.adobelogin.com/ims/token/v3'),
  clientIdEnv: EnvName,
  clientSecretEnv: EnvName,
  scopes: z.array(z.string().min(1)).min(1).default(['openid', 'AdobeID', 'target_sdk', 'read_organizations', 'additional_info.roles', 'additional_info.projectedProductContext']),
});

export const MetaLongLivedCredentials = z.object({
  type: z.literal('meta-long-lived'),
  tokenEnv: EnvName,
  /** Graph's /debug_token endpoint; derived from the adapter's baseUrl when absent. */
  debugUrl: z.url().optional(),
  /** Check validity and expiry with /debug_token before use (once per hour). */
  checkExpiry: z.boolean().default(true),
});

export const CredentialsConfig = z.discriminatedUnion('type', [GoogleOAuthRefreshCredentials, AdobeImsCredentials, MetaLongLivedCredentials]);
export type CredentialsConfig = z.input<typeof CredentialsConfig>;

export class CredentialError extends Error {
  override readonly name = 'CredentialError';
}

export interface TokenProvider {
  /** A valid access token (cached, refreshed before it expires). */
  getToken(): Promise<string>;
  /** Forget the cached token (after a 401), so the next getToken() fetches a fresh one. */
  invalidate(): void;
}

interface Cached {
  token: string;
  /** Refresh at or after this time (epoch ms): expiry minus the skew. */
  refreshAt: number;
}

const cache = new Map<string, Cached>();
const inflight = new Map<string, Promise<Cached>>();

/** The refresh skew for a lifetime: a fifth of it, at most 60 s. */
export function refreshSkewMs(lifetimeMs: number): number {
  return Math.min(60_000, Math.floor(lifetimeMs / 5));
}

function need(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const v = env[name];
  if (!v) throw new CredentialError(`environment variable ${name} (${what}) is not set; set it from your secret store`);
  return v;
}

async function postForm(doFetch: typeof fetch, url: string, form: Record<string, string>, vendor: string): Promise<{ token: string; lifetimeMs: number }> {
  const res = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString(), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let json: { access_token?: unknown; expires_in?: unknown; error?: unknown } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // handled below
  }
  if (!res.ok || typeof json.access_token !== 'string') {
    // Only the OAuth error code: the body of a token endpoint may echo request values.
    const code = typeof json.error === 'string' ? json.error : `HTTP ${res.status}`;
    throw new CredentialError(`${vendor} token endpoint refused the credentials (${code}); check the client id, secret${vendor === 'Google' ? ' and refresh token' : ' and scopes'} in their environment variables`);
  }
  const expiresIn = Number(json.expires_in);
  return { token: json.access_token, lifetimeMs: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : 3_600_000 };
}

export function createTokenProvider(config: CredentialsConfig, deps: { fetch?: typeof fetch; env?: NodeJS.ProcessEnv; now?: () => number; baseUrl?: string } = {}): TokenProvider {
  const cfg = CredentialsConfig.parse(config);
  const doFetch = deps.fetch ?? fetch;
  const env = deps.env ?? process.env;
  const now = deps.now ?? Date.now;

  const fetchToken = async (): Promise<Cached> => {
    if (cfg.type === 'google-oauth-refresh') {
      const t = await postForm(doFetch, cfg.tokenUrl, { grant_type: 'refresh_token', client_id: need(env, cfg.clientIdEnv, 'Google OAuth client id'), client_secret: need(env, cfg.clientSecretEnv, 'Google OAuth client secret'), refresh_token: need(env, cfg.refreshTokenEnv, 'Google OAuth refresh token') }, 'Google');
      logger().info({ provider: cfg.type, expiresInSeconds: Math.round(t.lifetimeMs / 1000) }, 'access token refreshed');
      return { token: t.token, refreshAt: now() + t.lifetimeMs - refreshSkewMs(t.lifetimeMs) };
    }
    if (cfg.type === 'adobe-ims-client-credentials') {
      const t = await postForm(doFetch, cfg.tokenUrl, { grant_type: 'client_credentials', client_id: need(env, cfg.clientIdEnv, 'Adobe IMS client id'), client_secret: need(env, cfg.clientSecretEnv, 'Adobe IMS client secret'), scope: cfg.scopes.join(',') }, 'Adobe IMS');
      logger().info({ provider: cfg.type, expiresInSeconds: Math.round(t.lifetimeMs / 1000) }, 'access token refreshed');
      return { token: t.token, refreshAt: now() + t.lifetimeMs - refreshSkewMs(t.lifetimeMs) };
    }
    const token = need(env, cfg.tokenEnv, 'Meta long-lived access token');
    if (!cfg.checkExpiry) return { token, refreshAt: Number.POSITIVE_INFINITY };
    const debugUrl = cfg.debugUrl ?? (deps.baseUrl ? `${deps.baseUrl.replace(/\/+$/, '')}/debug_token` : undefined);
    if (!debugUrl) return { token, refreshAt: Number.POSITIVE_INFINITY };
    const res = await doFetch(`${debugUrl}?input_token=${encodeURIComponent(token)}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
    const body = (await res.json().catch(() => ({}))) as { data?: { is_valid?: boolean; expires_at?: number } };
    if (!res.ok || body.data?.is_valid !== true) {
      throw new CredentialError(`the Meta access token in ${cfg.tokenEnv} is not valid${body.data?.expires_at ? ` (it expired at ${new Date(body.data.expires_at * 1000).toISOString()})` : ''}; create a new system-user token with ads_management and update ${cfg.tokenEnv}`);
    }
    const expiresAt = (body.data.expires_at ?? 0) * 1000;
    if (expiresAt > 0 && expiresAt - now() < 7 * 86_400_000) logger().warn({ provider: cfg.type, tokenEnv: cfg.tokenEnv, expiresAt: new Date(expiresAt).toISOString() }, 'Meta access token expires within 7 days; renew it');
    // Re-check hourly, and never use it past its expiry.
    return { token, refreshAt: Math.min(now() + 3_600_000, expiresAt > 0 ? expiresAt - refreshSkewMs(expiresAt - now()) : Number.POSITIVE_INFINITY) };
  };

  const key = JSON.stringify(cfg) + (deps.baseUrl ?? '');
  return {
    async getToken() {
      const hit = cache.get(key);
      if (hit && now() < hit.refreshAt) return hit.token;
      let p = inflight.get(key);
      if (!p) {
        p = fetchToken().finally(() => inflight.delete(key));
        inflight.set(key, p);
      }
      const fresh = await p;
      cache.set(key, fresh);
      return fresh.token;
    },
    invalidate() {
      cache.delete(key);
    },
  };
}
