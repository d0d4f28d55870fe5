// Fans a write of shared inputs (manifests, acceptances) out to the peer replicas after it succeeded here, and merges the answers.
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { errorMessage } from '../domain/errors.js';
import { acceptanceIdentityHeader } from './acceptance-routes.js';
import type { ResolvedPeer } from './peer-list.js';

/** Marks a request as fanned out by a peer: it is applied here only, never fanned out again. */
export const FANNED_OUT_HEADER = 'X-Driftwarden-Fanned-Out';
/** The shard that answered a fanned-out request, so the caller's 207 can name it. */
export const SHARD_HEADER = 'X-Driftwarden-Shard';

interface SharedInputWrite {
  path: RegExp;
  /** Headers for the peers, from this replica's answer: what they need to apply the same write. */
  peerHeaders?(answer: unknown): Record<string, string>;
}

/** The writes every shard must apply: manifest import and revoke, acceptance add and revoke. */
const SHARED_INPUT_WRITES: readonly SharedInputWrite[] = [
  { path: /^\/manifests$/ },
  { path: /^\/manifests\/[^/]+\/revoke$/ },
  { path: /^\/acceptances$/ },
  { path: /^\/acceptances\/[^/]+\/revoke$/, peerHeaders: acceptanceIdentityHeader },
];

/** One shard's outcome in a 207 answer: `shard` when known (this one, or a peer that answered), `url` for a peer. */
export interface ShardOutcome {
  shard: number | null;
  url: string | null;
  status: number | null;
  error: string | null;
}

export interface FanOutOptions {
  /** This replica's shard index. */
  shard: number;
  /** The peers to call, resolved at each fan-out; none means today's single-replica behaviour. */
  peers(): Promise<ResolvedPeer[]>;
  /** How long one peer may take. */
  timeoutMs: number;
  logger: Logger;
}

function sharedInputWrite(req: Request): SharedInputWrite | undefined {
  return req.method === 'POST' ? SHARED_INPUT_WRITES.find((w) => w.path.test(req.path)) : undefined;
}

const peerProblem = z.object({ title: z.string().optional(), detail: z.string().optional() });

/** What went wrong at a peer, in words: its problem's detail, or why no answer came. */
export async function peerError(response: globalThis.Response): Promise<string> {
  const text = await response.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not a problem document (a proxy's page, say): its status says enough.
  }
  const problem = peerProblem.safeParse(value);
  return (
    (problem.success ? (problem.data.detail ?? problem.data.title) : undefined) ?? `HTTP ${response.status}`
  );
}

/** Why a peer gave no answer, in words. */
export function peerFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  // fetch reports "fetch failed" and keeps the reason (ECONNREFUSED, ENOTFOUND, …) in its cause.
  const cause = error instanceof Error ? error.cause : undefined;
  return cause === undefined ? errorMessage(error) : `${errorMessage(error)}: ${errorMessage(cause)}`;
}

async function callPeer(
  req: Request,
  peer: ResolvedPeer,
  extraHeaders: Record<string, string>,
  timeoutMs: number,
): Promise<ShardOutcome> {
  if ('error' in peer) return { shard: null, url: peer.url, status: null, error: peer.error };
  const headers: Record<string, string> = { ...extraHeaders, [FANNED_OUT_HEADER]: '1' };
  const authorization = req.get('authorization');
  if (authorization !== undefined) headers.authorization = authorization;
  // The body as this replica parsed and accepted it; the revoke of an acceptance has none.
  const body: unknown = req.body;
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    const response = await fetch(new URL(req.originalUrl, peer.url), {
      method: 'POST',
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const shardText = response.headers.get(SHARD_HEADER);
    const shard = shardText !== null && /^\d+$/.test(shardText) ? Number(shardText) : null;
    if (response.ok) {
      await response.body?.cancel();
      return { shard, url: peer.url, status: response.status, error: null };
    }
    return { shard, url: peer.url, status: response.status, error: await peerError(response) };
  } catch (error) {
    return { shard: null, url: peer.url, status: null, error: peerFailure(error, timeoutMs) };
  }
}

/**
 * Mounted before the shared-input routes. A write that succeeds here is sent, as it came (the
 * caller's token included), to every peer in parallel; the answer is this replica's own when every
 * shard succeeded, else 207 with the local answer as `result` and each shard's outcome. A write
 * refused here (invalid, unauthorised, a conflict) is answered as it is and goes nowhere.
 */
export function fanOutSharedInputs(options: FanOutOptions): RequestHandler {
  return (req, res, next) => {
    const write = sharedInputWrite(req);
    if (write === undefined) {
      next();
      return;
    }
    if (req.get(FANNED_OUT_HEADER) !== undefined) {
      res.set(SHARD_HEADER, String(options.shard));
      next();
      return;
    }
    const sendJson = res.json.bind(res);
    res.json = (body: unknown): Response => {
      if (res.statusCode >= 300) return sendJson(body);
      const local: ShardOutcome = { shard: options.shard, url: null, status: res.statusCode, error: null };
      const extraHeaders = write.peerHeaders?.(body) ?? {};
      void options
        .peers()
        .then((peers) =>
          Promise.all(peers.map((peer) => callPeer(req, peer, extraHeaders, options.timeoutMs))),
        )
        .catch((error: unknown): ShardOutcome[] => [
          { shard: null, url: null, status: null, error: `cannot list the peers: ${errorMessage(error)}` },
        ])
        .then((outcomes) => {
          const failed = outcomes.filter((o) => o.error !== null);
          if (failed.length === 0) {
            sendJson(body);
            return;
          }
          options.logger.warn(
            { method: req.method, path: req.originalUrl, failed },
            'a shared-input write did not reach every shard; repeat it to apply it there',
          );
          res.status(207);
          sendJson({ result: body, shards: [local, ...outcomes] });
        });
      return res;
    };
    next();
  };
}
