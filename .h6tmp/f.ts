import { flattenSchema } from '../contracts/schema-fields.ts';
import { contractJsonSchema } from '../contracts/json-schema.ts';
import { ALL_CONTRACTS } from '../contracts/registry.ts';
const c = ALL_CONTRACTS.find(c => c.name === 'activation_record')!;
for (const [p, s] of flattenSchema(contractJsonSchema(c))) console.log(JSON.stringify(p), s.types.join('|'), s.required ? 'req' : 'opt', s.enum ? JSON.stringify(s.enum) : '', JSON.stringify(s.bounds), s.pattern ? 'pat' : '', s.format ?? '');
const sg = ALL_CONTRACTS.find(c => c.name === 'segments')!;
console.log([...flattenSchema(contractJsonSchema(sg)).keys()]);
