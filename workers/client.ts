import { Client, Connection } from '@temporalio/client';
import { cliIdentity, configuredOperator, temporalSettings } from './temporal-connection.ts';

/**
 * A client per the Temporal environment configuration (temporal-connection.ts: address, namespace,
 * TLS, API key, profile). Its identity is the CLI's, `scoreflow-cli:<operator>@<host>` with the
 * configured operator (SCOREFLOW_OPERATOR, else the OS user): Temporal stores it on every signal and
 * update sent, and the operator audit records it beside the operator the payload names.
 */
export async function connectClient(
  address?: string,
  opts: { identity?: string; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<{ client: Client; close: () => Promise<void>; identity: string; namespace: string }> {
  const settings = temporalSettings(opts.env ?? process.env);
  const target = address ?? settings.address;
  const identity = opts.identity ?? cliIdentity(configuredOperator(opts.env ?? process.env));
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...settings.connection, address: target });
  } catch (err) {
    const how = settings.profile ? `profile ${settings.profile}` : 'TEMPORAL_ADDRESS';
    throw new Error(`Cannot reach Temporal at ${target}${settings.tls ? ' (TLS)' : ''}: ${(err as Error).message}. Start it with "scoreflow dev", or set ${how} (and TEMPORAL_TLS_*/TEMPORAL_API_KEY for a secured cluster).`);
  }
  return { client: new Client({ connection, namespace: settings.namespace, identity }), close: () => connection.close(), identity, namespace: settings.namespace };
}
