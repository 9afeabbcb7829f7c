import { z } from 'zod';
import * as o from './old-record.ts';
import * as n from '../contracts/canonical-record.ts';
const a = JSON.stringify(z.toJSONSchema(o.CanonicalRecord)); const b = JSON.stringify(z.toJSONSchema(n.CanonicalRecord));
console.log('same schema:', a === b);
for (const k of Object.keys(o)) if (!(k in n)) console.log('missing export', k);
