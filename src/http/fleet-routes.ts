// /api/v1/fleet: one view of every shard, read from the peers in parallel and merged; unsharded, the same view of this replica.
import { Router, type Request } from 'express';
import { z } from 'zod';
import {
  mergeFindingPages,
  mergeSummary,
  mergeTargets,
  shardReport,
  type AssignedTarget,
  type FleetMergeInput,
  type FleetSummary,
  type FleetTargets,
  type KeyedFinding,
  type PeerOutcome,
  type ShardReport,
} from '../app/fleet-view.js';
import type { FleetRepository, FleetSnapshot } from '../app/ports.js';
import { CHANGES, SEVERITIES, type Change } from '../domain/types.js';
import { findingsQuery } from './api-routes.js';
import { instanceStatusCountsSchema } from './api-schemas.js';
import { encodeCursor, nextPageHref } from './cursor.js';
import { FANNED_OUT_HEADER } from './fan-out.js';
import type { ResolvedPeer } from './peer-list.js';
import { readPeers, type PeerRead } from './peer-read.js';
import { validateInput } from './validate-input.js';

export interface FleetViewOptions {
  /** Pages of this replica's findings (`/fleet/findings`). */
  fleet: FleetRepository;
  /** The fleet's aggregates of the last scan (the metrics' snapshot), not read per request. */
  snapshot(): FleetSnapshot;
  shard: number;
  shardCount: number;
  /** Every configured target with its shard, from the same assignment every replica computes. */
  targets: readonly AssignedTarget[];
  /** The peers, resolved at each read; null when there are none to ask (unsharded, or no `shards.peers`). */
  peers: (() => Promise<ResolvedPeer[]>) | null;
  /** How long one peer may take (`shards.peerTimeout`). */
  timeoutMs: number;
  /** A target not listed for this long is stale (`scan.staleAfter`). */
  staleAfterMs: number;
  clock(): Date;
}

/** The fleet view, for the API and the web UI. */
export interface FleetView {
  /** This replica's own part, as the peers are asked for it. */
  report(): ShardReport;
  summary(): Promise<FleetSummary>;
  targets(): Promise<FleetTargets>;
  /** Both from one read of the peers, so they agree (the web page). */
  read(): Promise<{ summary: FleetSummary; targets: FleetTargets }>;
}

const shardReportSchema = z.object({
  shard: z.number().int().min(0),
  instances: instanceStatusCountsSchema,
  findings: z.array(
    z.object({ rule: z.string(), severity: z.enum(SEVERITIES), count: z.number().int().min(0) }),
  ),
  targetScans: z.array(
    z.object({ account: z.string().nullable(), region: z.string(), scannedAt: z.string() }),
  ),
}) satisfies z.ZodType<ShardReport>;

const keyedFinding = z.looseObject({
  instanceId: z.string(),
  path: z.string(),
  change: z.enum(CHANGES as [Change, ...Change[]]),
  id: z.number().int(),
  shard: z.number().int(),
});
const shardFindingsSchema = z.object({
  shard: z.number().int().min(0),
  items: z.array(keyedFinding),
  next: z.string().nullable(),
});
type ShardFindings = z.infer<typeof shardFindingsSchema>;

function peerOutcome<T extends { shard: number }>(read: PeerRead<T>): PeerOutcome {
  return 'error' in read
    ? { url: read.url, shard: null, error: read.error }
    : { url: read.url, shard: read.body.shard, error: null };
}

/** Which shards answered: this one, and each index a peer answered as. */
function answeredShards(
  count: number,
  answered: ReadonlySet<number>,
): { shard: number; answered: boolean }[] {
  return Array.from({ length: count }, (_, shard) => ({ shard, answered: answered.has(shard) }));
}

async function peerList(options: FleetViewOptions): Promise<ResolvedPeer[]> {
  return options.peers === null ? [] : options.peers();
}

export function createFleetView(options: FleetViewOptions): FleetView {
  const owned = options.targets.filter((t) => t.shard === options.shard);
  const report = (): ShardReport => shardReport(options.snapshot(), options.shard, owned);

  const mergeInput = async (): Promise<FleetMergeInput> => {
    const reads = await readPeers(
      await peerList(options),
      '/api/v1/fleet/shard',
      shardReportSchema,
      options.timeoutMs,
    );
    return {
      shardCount: options.shardCount,
      targets: options.targets,
      // This replica's own report first: a peer claiming its index is not taken over it.
      reports: [report(), ...reads.flatMap((r) => ('body' in r ? [r.body] : []))],
      peers: reads.map(peerOutcome),
      now: options.clock(),
      staleAfterMs: options.staleAfterMs,
    };
  };
  return {
    report,
    summary: async () => mergeSummary(await mergeInput()),
    targets: async () => mergeTargets(await mergeInput()),
    read: async () => {
      const input = await mergeInput();
      return { summary: mergeSummary(input), targets: mergeTargets(input) };
    },
  };
}

/**
 * `GET /fleet/summary`, `/fleet/targets`, `/fleet/findings` (merged across shards) and
 * `/fleet/shard` (this replica's own part, what the peers are asked for).
 */
export function createFleetRoutes(options: FleetViewOptions, view: FleetView): Router {
  const router = Router();

  router.get('/fleet/shard', (_req, res) => {
    res.json(view.report());
  });
  router.get('/fleet/summary', async (_req, res) => {
    res.json(await view.summary());
  });
  router.get('/fleet/targets', async (_req, res) => {
    res.json(await view.targets());
  });

  const localFindings = (q: z.output<typeof findingsQuery>): ShardFindings & { items: KeyedFinding[] } => {
    const { limit, cursor, offset: _offset, includeResolved, ...filter } = q;
    const page = options.fleet.pageFindings(
      { ...filter, includeResolved: includeResolved === 'true' },
      { limit, ...(cursor ? { after: cursor } : {}) },
    );
    return {
      shard: options.shard,
      items: page.items.map((f) => ({ ...f, shard: options.shard })),
      next: page.next === null ? null : encodeCursor(page.next),
    };
  };

  router.get('/fleet/findings', async (req: Request, res) => {
    const q = validateInput(findingsQuery, req.query, 'query');
    const local = localFindings(q);
    // A peer asked by another replica answers its own page, in the same order and cursor.
    if (req.get(FANNED_OUT_HEADER) !== undefined) {
      res.json(local);
      return;
    }
    const reads = await readPeers(
      await peerList(options),
      req.originalUrl,
      shardFindingsSchema,
      options.timeoutMs,
    );
    const pages: { shard: number; items: KeyedFinding[]; next: string | null }[] = [local];
    for (const read of reads)
      if ('body' in read && !pages.some((p) => p.shard === read.body.shard)) pages.push(read.body);
    const merged = mergeFindingPages(pages, q.limit);
    const next = merged.next === null ? null : encodeCursor(merged.next);
    res.json({
      items: merged.items,
      limit: q.limit,
      next,
      nextHref: next === null ? null : nextPageHref(req, next),
      shards: answeredShards(options.shardCount, new Set(pages.map((p) => p.shard))),
      peers: reads.map(peerOutcome),
    });
  });
  return router;
}
