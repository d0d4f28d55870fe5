// sha256 as lowercase hex: the one content hash of manifests, user data, host sections and migrations.
import { createHash } from 'node:crypto';

/** Here rather than in core, which is pure and may not import node:crypto. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** User data as EC2 returns it (base64): manifests record the hash of the decoded bytes. */
export function sha256OfBase64(encoded: string): string {
  return sha256Hex(Buffer.from(encoded, 'base64'));
}
