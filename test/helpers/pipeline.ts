/** Writes a pipeline config for a test into a temporary folder, with its own inbox and outbox (tools/pipeline-base.ts). */
import { resolve } from 'node:path';

export { writeGeneratedFeedPipeline as writeTestPipeline, type GeneratedFeedPipeline as TestPipeline } from '../../tools/pipeline-base.ts';

export const REPO = resolve(import.meta.dirname, '..', '..');
