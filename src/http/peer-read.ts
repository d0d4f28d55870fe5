// Read-only fan-out: the same GET to every peer in parallel, each within the peer timeout, its answer checked against a schema.
import type { z } from 'zod';
import { simplifyZodIssues } from '../config/zod-issues.js';
import { formatJsonPath } from '../manifests/json-path.js';
import { FANNED_OUT_HEADER, peerError, peerFailure } from './fan-out.js';
import type { ResolvedPeer } from './peer-list.js';

/** A peer's checked answer, or why there is none (unresolvable, unreachable, too slow, an error or a body of another shape). */
export type PeerRead<T> = { url: string; body: T } | { url: string; error: string };

/**
 * GETs `pathAndQuery` from every peer at once, marked as fanned out so a peer answers with its own
 * part only. A peer that fails is an outcome, never a throw: the caller reports it and goes on.
 */
export async function readPeers<T>(
  peers: readonly ResolvedPeer[],
  pathAndQuery: string,
  schema: z.ZodType<T>,
  timeoutMs: number,
): Promise<PeerRead<T>[]> {
  return Promise.all(
    peers.map(async (peer): Promise<PeerRead<T>> => {
      if ('error' in peer) return peer;
      try {
        const response = await fetch(new URL(pathAndQuery, peer.url), {
          headers: { [FANNED_OUT_HEADER]: '1', accept: 'application/json' },
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok) return { url: peer.url, error: await peerError(response) };
        const parsed = schema.safeParse(await response.json());
        if (!parsed.success) {
          const [issue] = simplifyZodIssues(parsed.error.issues, schema);
          const where = issue ? `${formatJsonPath(issue.path)}: ${issue.message}` : 'invalid';
          return { url: peer.url, error: `unexpected answer to GET ${pathAndQuery}: ${where}` };
        }
        return { url: peer.url, body: parsed.data };
      } catch (error) {
        return { url: peer.url, error: peerFailure(error, timeoutMs) };
      }
    }),
  );
}
