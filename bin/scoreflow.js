#!/usr/bin/env node
// The `scoreflow` CLI. Sources are TypeScript, loaded through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
