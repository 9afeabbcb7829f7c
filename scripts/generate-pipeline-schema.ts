/** Writes pipeline.schema.json from the zod schema of a pipeline (contracts/pipeline-schema.ts). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipelineJsonSchemaText } from '../contracts/pipeline-schema.ts';

const out = join(import.meta.dirname, '..', 'pipeline.schema.json');
writeFileSync(out, pipelineJsonSchemaText());
process.stdout.write(`wrote ${out}\n`);
