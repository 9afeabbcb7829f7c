/**
 * The Web UI saved views in docs/operator-guide.md: every List Filter query is accepted by a real
 * Temporal server with the search attributes Scoreflow registers, and names only those attributes
 * (plus Temporal's own WorkflowType / WorkflowId).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../cli/services/dev-server.ts';
import { temporalAddress } from '../helpers/temporal.ts';

const guide = readFileSync(new URL('../../docs/operator-guide.md', import.meta.url), 'utf8');
const section = /### Saved views\n([\s\S]*?)\n## /.exec(guide)?.[1] ?? '';
/** Rows of the views table: | view | `query` | columns |. */
const views = [...section.matchAll(/^\| ([^|]+?) \| `([^`]+)` \| ([^|]+) \|$/gm)].map((m) => ({ view: m[1]!, query: m[2]!, columns: m[3]! }));

let connection: Connection;
let client: Client;
beforeAll(async () => {
  connection = await Connection.connect({ address: temporalAddress() });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
});

describe('operator guide: saved views', () => {
  it('documents paused runs, failed gates and rollbacks, with the registered search attributes', () => {
    const byName = new Map(views.map((v) => [v.view, v]));
    expect(byName.get('Paused runs')?.query).toBe('WorkflowType = "activationRun" AND RunStatus = "PAUSED"');
    expect([...byName.keys()].filter((k) => k.startsWith('Failed gates')).map((k) => byName.get(k)!.query).join(' ')).toContain('GateStatus = "FAILED"');
    expect(byName.get('Rollback runs')?.query).toContain('WorkflowId STARTS_WITH "demo.rollback."');
    for (const attr of ['Pipeline', 'ModelVersion', 'RunStatus', 'GateStatus', 'DeliveryId']) {
      expect(SEARCH_ATTRIBUTES[attr], `${attr} is registered`).toBe('Keyword');
      expect(section).toContain(`| \`${attr}\` | Keyword |`);
    }
    for (const v of views) {
      const named = [...v.query.matchAll(/\b([A-Z][A-Za-z]+)\s*(?:=|IN|STARTS_WITH)/g)].map((m) => m[1]!);
      for (const n of named) expect(['WorkflowType', 'WorkflowId', ...Object.keys(SEARCH_ATTRIBUTES)], `${v.view}: ${n}`).toContain(n);
      for (const col of [...v.columns.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]!)) expect(Object.keys(SEARCH_ATTRIBUTES), `${v.view} column ${col}`).toContain(col);
    }
  });

  it('every query runs on a Temporal server with Scoreflow\'s search attributes (a misspelt attribute would be refused)', async () => {
    expect(views.length).toBeGreaterThanOrEqual(5);
    for (const v of views) {
      const listed: string[] = [];
      for await (const wf of client.workflow.list({ query: v.query, pageSize: 10 })) {
        listed.push(wf.workflowId);
        if (listed.length >= 10) break;
      }
      expect(Array.isArray(listed), v.view).toBe(true);
    }
    const misspelt = async () => {
      for await (const _ of client.workflow.list({ query: 'WorkflowType = "activationRun" AND RunStatuz = "PAUSED"' })) break;
    };
    const err = (await misspelt().then(
      () => null,
      (e: unknown) => e,
    )) as (Error & { cause?: Error }) | null;
    expect(err).not.toBeNull();
    expect(`${err!.message} ${err!.cause?.message ?? ''}`).toMatch(/RunStatuz.*not a valid search attribute/);
  });
});
