import { Compliance } from '../contracts/canonical-record.ts';
const r = Compliance.safeParse({ consent: { analytics: true, personalization: true, email: true }, consent_source: 'none', channels: { onsite: true, paid_media: false, email: true, backend: true } });
console.log(JSON.stringify(r.error?.issues));
