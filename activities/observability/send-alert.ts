/**
 * sendAlert: one operator alert as a pino log line and, when a webhook URL is configured, a
 * Slack-compatible JSON POST ({ text, blocks }). The webhook URL is a secret: it is never logged.
 * A non-2xx answer throws, so the calling activity retries.
 */
import { logger } from './logger.ts';

export type AlertFieldValue = string | number | boolean | null;

export interface AlertInput {
  webhookUrl?: string;
  text: string;
  fields?: Record<string, AlertFieldValue>;
  timeoutMs?: number;
}

interface TextObject {
  type: 'mrkdwn' | 'plain_text';
  text: string;
}
export type SlackBlock = { type: 'section'; text: TextObject } | { type: 'section'; fields: TextObject[] };

export interface SlackBody {
  text: string;
  blocks: SlackBlock[];
}

export interface AlertResult {
  posted: boolean;
  status?: number;
  body: SlackBody;
}

/** Slack mrkdwn needs &, < and > escaped; everything else is literal. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const SLACK_TEXT_LIMIT = 3000;
const SLACK_FIELDS_PER_SECTION = 10;

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

export function slackBody(text: string, fields: Record<string, AlertFieldValue> = {}): SlackBody {
  const blocks: SlackBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: clip(escapeMrkdwn(text), SLACK_TEXT_LIMIT) } }];
  const items = Object.entries(fields).map(([k, v]): TextObject => ({ type: 'mrkdwn', text: clip(`*${escapeMrkdwn(k)}*\n${escapeMrkdwn(String(v))}`, 2000) }));
  for (let i = 0; i < items.length; i += SLACK_FIELDS_PER_SECTION) blocks.push({ type: 'section', fields: items.slice(i, i + SLACK_FIELDS_PER_SECTION) });
  return { text: clip(text, 40_000), blocks };
}

export async function sendAlert(input: AlertInput): Promise<AlertResult> {
  const fields = input.fields ?? {};
  const body = slackBody(input.text, fields);
  logger().warn({ alert: true, fields, webhook: Boolean(input.webhookUrl) }, input.text);
  if (!input.webhookUrl) return { posted: false, body };
  let res: Response;
  try {
    res = await fetch(input.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(input.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new Error(`alert webhook unreachable (${(err as Error).name}: ${(err as Error).message}); check the alert webhook URL setting and network egress`);
  }
  if (!res.ok) {
    const detail = clip(await res.text().catch(() => ''), 200);
    throw new Error(`alert webhook answered HTTP ${res.status}${detail ? ` (${detail})` : ''}; check the alert webhook URL setting, then retry`);
  }
  return { posted: true, status: res.status, body };
}
