// Content digest of a manifest: equal documents (whatever their key order) have equal digests.
import { canonicalJson } from '../core/canonical-json.js';
import type { Manifest } from '../domain/types.js';
import { sha256Hex } from './sha256.js';

/** The stored body of a manifest: canonical JSON, so key order never changes the digest. */
export function manifestBody(manifest: Manifest): string {
  return canonicalJson(manifest);
}

/** sha256 hex of the stored body; decides "identical re-import" versus "conflict". */
export function manifestDigest(manifest: Manifest): string {
  return sha256Hex(manifestBody(manifest));
}
