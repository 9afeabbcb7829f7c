/** Every governed contract, the canonical record last. `scoreflow contracts check|export` walks this list. Pure. */
import type { DataContract } from './contract.ts';
import { activationRecordContract, RECORD_PART_CONTRACTS } from './canonical-record.ts';

export const ALL_CONTRACTS: readonly DataContract[] = [...Object.values(RECORD_PART_CONTRACTS), activationRecordContract];

export function getContract(name: string): DataContract {
  const c = ALL_CONTRACTS.find((x) => x.name === name);
  if (!c) throw new Error(`no contract named "${name}"; known: ${ALL_CONTRACTS.map((x) => x.name).join(', ')}`);
  return c;
}
