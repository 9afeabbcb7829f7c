/** The digest that addresses a model artifact: sha256 of its bytes, lower-case hex. */
import { createHash } from 'node:crypto';

export function artifactSha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
