import { runContractsCheck } from '../activities/contracts/check.ts';
await runContractsCheck();
