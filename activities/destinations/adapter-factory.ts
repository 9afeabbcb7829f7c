/**
 * Builds the adapter a pipeline destination names, from its `config` block. Each adapter validates
 * its own config with zod; credentials are referenced by environment variable name only, and a
 * config that carries a literal secret is refused before anything is sent.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Destination } from '../../contracts/pipeline-config.ts';
import type { DestinationAdapter } from './adapter.ts';
import { createTargetBulkAdapter } from './adobe-target-bulk.ts';
import { createGoogleCustomerMatchAdapter } from './google-customer-match.ts';
import { createMetaCustomAudiencesAdapter } from './meta-custom-audiences.ts';
import { createWebhookAdapter } from './webhook.ts';
import { createNatsJetStreamAdapter } from './nats-jetstream.ts';

export type StatefulDestination = Exclude<Destination, { kind: 'file' }>;

export interface OpenAdapter {
  adapter: DestinationAdapter;
  close(): Promise<void>;
}

const SECRET_KEY = /(token|secret|password|apikey|api_key|credential)$/i;

/** Names every config key that looks like a literal credential (anything but a `...Env` reference). */
export function literalSecretKeys(config: Record<string, unknown>, path = 'config'): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    const here = `${path}.${k}`;
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...literalSecretKeys(v as Record<string, unknown>, here));
    else if (SECRET_KEY.test(k) && !/Env$/.test(k)) out.push(here);
  }
  return out;
}

function invalid(dest: StatefulDestination, what: string): never {
  throw ApplicationFailure.nonRetryable(`destination ${dest.name} (${dest.kind}): ${what}`, 'InvalidPipelineConfig');
}

export function createAdapter(dest: StatefulDestination): OpenAdapter {
  const config = (dest.config ?? {}) as Record<string, unknown>;
  const secrets = literalSecretKeys(config);
  if (secrets.length) {
    invalid(dest, `${secrets.join(', ')} holds a literal credential; put it in an environment variable and reference it by name (e.g. tokenEnv: GOOGLE_ADS_TOKEN)`);
  }
  const noClose = async () => {};
  try {
    switch (dest.kind) {
      case 'adobe-target-bulk':
        return { adapter: createTargetBulkAdapter(config as Parameters<typeof createTargetBulkAdapter>[0]), close: noClose };
      case 'google-customer-match':
        return { adapter: createGoogleCustomerMatchAdapter(config as Parameters<typeof createGoogleCustomerMatchAdapter>[0]), close: noClose };
      case 'meta-custom-audiences':
        return { adapter: createMetaCustomAudiencesAdapter(config as Parameters<typeof createMetaCustomAudiencesAdapter>[0]), close: noClose };
      case 'webhook':
        return { adapter: createWebhookAdapter(config as Parameters<typeof createWebhookAdapter>[0]), close: noClose };
      case 'nats':
      case 'nats-jetstream': {
        const a = createNatsJetStreamAdapter(config as Parameters<typeof createNatsJetStreamAdapter>[0]);
        return { adapter: a, close: () => a.close() };
      }
    }
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    const issues = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
    if (issues) invalid(dest, issues.map((i) => `config.${i.path.map(String).join('.')}: ${i.message}`).join('; ') + '; fix the destination config in the pipeline file');
    invalid(dest, `${(err as Error).message}`);
  }
}

/** The consent channel a destination kind activates through; a record whose channel is closed is never sent there. */
export function channelOf(kind: string): 'onsite' | 'paid_media' | 'backend' {
  if (kind === 'adobe-target-bulk') return 'onsite';
  if (kind === 'google-customer-match' || kind === 'meta-custom-audiences') return 'paid_media';
  return 'backend';
}
