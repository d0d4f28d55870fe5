// Content digest of a manifest: equal documents (whatever their key order) have equal digests.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import type { Manifest } from '../domain/types.js';

/** sha256 hex of the canonical JSON; decides "identical re-import" versus "conflict". */
export function manifestDigest(manifest: Manifest): string {
  return createHash('sha256').update(canonicalJson(manifest)).digest('hex');
}
