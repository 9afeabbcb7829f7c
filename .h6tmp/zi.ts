import { z } from 'zod';
const s = z.object({ a: z.string(), c: z.record(z.enum(['x','y']), z.boolean()) });
console.log(JSON.stringify(z.toJSONSchema(s, { io: 'input' })));
console.log(s.safeParse({a:'1', c:{x:true}}).success);
