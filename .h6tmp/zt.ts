import { z } from 'zod';
import { CanonicalRecord } from '/work/main/contracts/canonical-record.ts';
console.log(JSON.stringify(z.toJSONSchema(CanonicalRecord, { target: 'draft-2020-12' }), null, 1).slice(0, 6000));
