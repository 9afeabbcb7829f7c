/**
 * Starts every contract server (Adobe Target, Google Customer Match, Meta Custom Audiences, a
 * signed-webhook receiver) on free loopback ports and returns pipeline destination entries pointing
 * at them, plus the environment variables those entries name for their credentials. The demo and
 * the end-to-end tests use it; real deployments point the same entries at the real APIs.
 */
import { randomBytes } from 'node:crypto';
import type { Destination } from '../../contracts/pipeline-config.ts';
import { startTargetServer, type RunningTargetServer, type TargetServerOptions } from './target.ts';
import { startGoogleServer, type GoogleServerOptions, type RunningGoogleServer } from './google.ts';
import { startMetaServer, type MetaServerOptions, type RunningMetaServer } from './meta.ts';
import { startWebhookReceiver, type RunningWebhookReceiver } from './webhook-receiver.ts';

export interface ContractServers {
  target: RunningTargetServer;
  google: RunningGoogleServer;
  meta: RunningMetaServer;
  webhook: RunningWebhookReceiver;
  /** Credentials by environment variable name, as the destination entries reference them. */
  env: Record<string, string>;
  /** Audience ids the entries use. */
  googleAudienceId: string;
  metaAudienceId: string;
  natsStream: string;
  natsSubject: string;
  destinations(opts?: { natsStream?: string; natsSubject?: string; mappingVersion?: string }): Destination[];
  close(): Promise<void>;
}

export interface ContractServerOptions {
  target?: TargetServerOptions;
  google?: GoogleServerOptions;
  meta?: MetaServerOptions;
  webhook?: { latencyMs?: number };
  /** Suffix for env var names and NATS names, so parallel tests do not share them. */
  tag?: string;
}

export async function startContractServers(opts: ContractServerOptions = {}): Promise<ContractServers> {
  const tag = (opts.tag ?? randomBytes(3).toString('hex')).toUpperCase().replace(/[^A-Z0-9]/g, '_');
  const targetToken = randomBytes(12).toString('hex');
  const target = await startTargetServer({ token: targetToken, ...opts.target });
  const google = await startGoogleServer(opts.google);
  const meta = await startMetaServer(opts.meta);
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const webhook = await startWebhookReceiver({ secret: webhookSecret, ...opts.webhook });
  const env: Record<string, string> = {
    [`SF_TARGET_TOKEN_${tag}`]: targetToken,
    [`SF_GOOGLE_TOKEN_${tag}`]: google.token,
    [`SF_GOOGLE_DEV_TOKEN_${tag}`]: randomBytes(11).toString('hex'),
    [`SF_META_TOKEN_${tag}`]: meta.token,
    [`SF_WEBHOOK_SECRET_${tag}`]: webhookSecret,
  };
  const googleAudienceId = '8800001';
  const metaAudienceId = '23850000000001';
  const natsStream = `SCOREFLOW_${tag}`;
  const natsSubject = `scoreflow.decisions.${tag.toLowerCase()}`;
  const filter = (purpose: 'personalization' | 'advertising') => ({ consentPurpose: purpose, requireEligible: true });
  return {
    target,
    google,
    meta,
    webhook,
    env,
    googleAudienceId,
    metaAudienceId,
    natsStream,
    natsSubject,
    destinations: (o = {}) => [
      {
        name: 'target-profiles',
        kind: 'adobe-target-bulk',
        mappingVersion: o.mappingVersion ?? '1',
        filter: filter('personalization'),
        holdout: 'exclude_control',
        config: { baseUrl: target.url, client: 'scoreflowdemo', tokenEnv: `SF_TARGET_TOKEN_${tag}`, pollIntervalMs: 50, pollTimeoutMs: 10_000, rateWindowMs: 60_000 },
      },
      {
        name: 'google-audience',
        kind: 'google-customer-match',
        mappingVersion: o.mappingVersion ?? '1',
        filter: { ...filter('advertising'), segments: ['high_intent', 'warm'] },
        holdout: 'exclude_control',
        config: {
          baseUrl: google.url,
          tokenEnv: `SF_GOOGLE_TOKEN_${tag}`,
          operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' },
          audienceId: googleAudienceId,
          defaultRetryAfterMs: 200,
          // Size read-back for verify; the contract server matches every member it is sent, hence minMatchRate 1.
          adsApi: { baseUrl: google.adsUrl, apiVersion: 'v26', developerTokenEnv: `SF_GOOGLE_DEV_TOKEN_${tag}`, minMatchRate: 1 },
        },
      },
      {
        name: 'meta-audience',
        kind: 'meta-custom-audiences',
        mappingVersion: o.mappingVersion ?? '1',
        filter: { ...filter('advertising'), segments: ['high_intent', 'warm'] },
        holdout: 'exclude_control',
        config: { baseUrl: meta.url, tokenEnv: `SF_META_TOKEN_${tag}`, audienceId: metaAudienceId, defaultRetryAfterMs: 200 },
      },
      {
        name: 'offers-webhook',
        kind: 'webhook',
        mappingVersion: o.mappingVersion ?? '1',
        filter: filter('personalization'),
        holdout: 'exclude_control',
        config: { url: webhook.url, secretEnv: `SF_WEBHOOK_SECRET_${tag}`, mode: 'batch', batchSize: 200 },
      },
      {
        name: 'decisions-nats',
        kind: 'nats',
        mappingVersion: o.mappingVersion ?? '1',
        filter: { requireEligible: false },
        holdout: 'include_all',
        config: { servers: process.env.NATS_URL ?? '127.0.0.1:4222', stream: o.natsStream ?? natsStream, subject: o.natsSubject ?? natsSubject },
      },
    ] as Destination[],
    async close() {
      await Promise.allSettled([target.close(), google.close(), meta.close(), webhook.close()]);
    },
  };
}
