/**
 * Prebundles the workflow code (workflows/index.ts) with the Temporal SDK's bundler into
 * dist/workflow-bundle.js, so a worker started from the build skips webpack at start-up.
 * Run by scripts/build.mjs after tsc; usage: node dist/scripts/bundle-workflows.js [outFile]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PREBUILT_WORKFLOW_BUNDLE, WORKFLOWS_PATH } from '../workers/worker.ts';

// webpack's progress and stats are the SDK's business, not the user's; only errors are printed.
const silent = () => undefined;
const logger = { trace: silent, debug: silent, info: silent, warn: silent, log: silent, error: (m: string) => process.stderr.write(`${m}\n`) };

const out = process.argv[2] ?? PREBUILT_WORKFLOW_BUNDLE;
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: logger as unknown as NonNullable<Parameters<typeof bundleWorkflowCode>[0]['logger']> });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
