/**
 * The JSON Schema of a pipeline file, generated from the zod schema (contracts/pipeline-config.ts)
 * and committed as pipeline.schema.json at the repository root, so editors (yaml-language-server,
 * via the `# yaml-language-server: $schema=../pipeline.schema.json` modeline in pipelines/*.yaml)
 * complete and check keys. `node --import tsx scripts/generate-pipeline-schema.ts` rewrites it; a
 * test fails when the committed file differs from the generated one. Pure.
 */
import { z } from 'zod';
import { PipelineConfig } from './pipeline-config.ts';

export function pipelineJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(PipelineConfig, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: 'https://github.com/scoreflow/scoreflow/pipeline.schema.json',
    title: 'Scoreflow pipeline',
    description: 'A Scoreflow pipeline file (pipelines/*.yaml). Every key is documented in docs/pipeline-config.md.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}

/** The committed file's exact text: two-space JSON and a final newline. */
export function pipelineJsonSchemaText(): string {
  return `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`;
}
