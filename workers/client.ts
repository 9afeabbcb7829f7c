import { Client, Connection } from '@temporalio/client';
import { TEMPORAL_NAMESPACE, temporalAddress } from './config.ts';

export async function connectClient(address = temporalAddress()): Promise<{ client: Client; close: () => Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address });
  } catch (err) {
    throw new Error(`Cannot reach Temporal at ${address}: ${(err as Error).message}. Start it with "scoreflow dev", or set TEMPORAL_ADDRESS.`);
  }
  return { client: new Client({ connection, namespace: TEMPORAL_NAMESPACE }), close: () => connection.close() };
}
