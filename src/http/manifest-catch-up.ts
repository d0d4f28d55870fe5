// Catch-up of a replica that missed manifest writes: the manifests and revocations its peers hold and it lacks, pulled at start and on SIGHUP.
import type { Logger } from 'pino';
import { z } from 'zod';
import { MAX_PAGE_SIZE } from '../app/paging.js';
import type { ManifestRepository } from '../app/ports.js';
import { ConflictError, errorMessage } from '../domain/errors.js';
import { parseManifestObject } from '../manifests/parse-manifest.js';
import { peerFailure } from './fan-out.js';
import type { ResolvedPeer } from './peer-list.js';

export interface ManifestCatchUpOptions {
  peers(): Promise<ResolvedPeer[]>;
  manifests: ManifestRepository;
  clock(): Date;
  /** How long one page from one peer may take. */
  timeoutMs: number;
  logger: Logger;
}

export interface ManifestCatchUpResult {
  imported: number;
  revoked: number;
  /** Peers that could not be read, and manifests refused (a different body for the same image). */
  failed: { url: string; error: string }[];
}

const manifestPage = z.object({
  items: z.array(
    z.object({
      manifest: z.unknown(),
      revokedAt: z.string().nullable(),
      revokedReason: z.string().nullable(),
    }),
  ),
  next: z.string().nullable(),
});

async function readPage(
  url: string,
  cursor: string | null,
  timeoutMs: number,
): Promise<z.infer<typeof manifestPage>> {
  const query = new URLSearchParams({ limit: String(MAX_PAGE_SIZE), ...(cursor === null ? {} : { cursor }) });
  const response = await fetch(new URL(`/api/v1/manifests?${query.toString()}`, url), {
    redirect: 'error',
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`GET /api/v1/manifests answered ${response.status}`);
  return manifestPage.parse(await response.json());
}

/**
 * Manifests only ever grow and revocations are never undone, so the union of what the replicas hold
 * is what every one of them should hold: importing what a peer has and this replica lacks, and
 * revoking what a peer revoked, can neither lose a write nor bring back a revoked image. A peer's
 * body for an image stored here with another body is a conflict, reported and left alone.
 */
export async function catchUpManifests(options: ManifestCatchUpOptions): Promise<ManifestCatchUpResult> {
  const { manifests } = options;
  const result: ManifestCatchUpResult = { imported: 0, revoked: 0, failed: [] };
  for (const peer of await options.peers()) {
    if ('error' in peer) {
      result.failed.push(peer);
      continue;
    }
    try {
      let cursor: string | null = null;
      do {
        const page = await readPage(peer.url, cursor, options.timeoutMs);
        for (const item of page.items) {
          const now = options.clock().toISOString();
          for (const manifest of parseManifestObject(item.manifest, `${peer.url} manifests`)) {
            const imageId = manifest.image.id;
            try {
              if (manifests.import(manifest, now) === 'created') result.imported++;
            } catch (error) {
              if (!(error instanceof ConflictError)) throw error;
              result.failed.push({ url: peer.url, error: errorMessage(error) });
              continue;
            }
            if (item.revokedAt !== null && manifests.get(imageId)?.revokedAt === null) {
              manifests.revoke(imageId, item.revokedReason ?? 'revoked on a peer', now);
              result.revoked++;
            }
          }
        }
        cursor = page.next;
      } while (cursor !== null);
    } catch (error) {
      result.failed.push({ url: peer.url, error: peerFailure(error, options.timeoutMs) });
    }
  }
  if (result.imported > 0 || result.revoked > 0 || result.failed.length > 0)
    options.logger[result.failed.length > 0 ? 'warn' : 'info'](result, 'manifests caught up from the peers');
  return result;
}
