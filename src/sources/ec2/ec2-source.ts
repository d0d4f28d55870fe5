// Collects one target's instances from EC2: paginated, mapped page by page, user data hashed on demand.
import pLimit from 'p-limit';
import { DescribeInstanceAttributeCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { CollectContext, CollectedTarget, InstanceSource } from '../../app/instance-source.js';
import type { InstanceObservation, Target } from '../../domain/types.js';
import { sha256OfBase64 } from '../../app/sha256.js';
import { createObservationInterner } from './intern-observation.js';
import { createInThreadLister, type PartLister } from './part-lister.js';

export interface Ec2SourceOptions {
  /** One client per account+region, created by the composition root. */
  clientFor(target: Target): EC2Client;
  pageSize: number;
  /** How many DescribeInstanceAttribute calls run at once (each still waits for the budget). */
  userDataConcurrency?: number;
  /** How long a fetched user-data hash is trusted for a running instance. Default 1 hour. */
  userDataTtlMs?: number;
  /**
   * At most this many DescribeInstanceAttribute calls per target per scan (default 200). A first
   * scan of a large fleet would otherwise spend its whole request budget (10k instances at 10 req/s
   * is 17 minutes); instances not fetched yet skip the user-data comparison until a later scan.
   */
  userDataFetchesPerScan?: number;
  /**
   * Lists each target in this many disjoint parts at once (by the last digit of the instance id,
   * 1–16; default 1), so waiting for one part's next page overlaps parsing another's. A target
   * that filters on `instance-id` itself is listed whole.
   */
  listPartitions?: number;
  /**
   * Lists the parts, e.g. on a pool of listing threads; default: on this thread, with `clientFor`
   * and `pageSize`.
   */
  lister?: PartLister;
}

interface CachedUserData {
  sha256: string | null;
  fetchedAt: number;
  /** EC2 resets LaunchTime on every start, so a stop–edit–start between two scans invalidates the entry. */
  launchTime: string | null;
}

export function createEc2Source(options: Ec2SourceOptions): InstanceSource {
  // User data can only be modified while an instance is stopped, so a running instance's hash is
  // cached: one DescribeInstanceAttribute per instance per TTL instead of per scan.
  const userDataCache = new Map<string, CachedUserData>();
  const ttl = options.userDataTtlMs ?? 3_600_000;
  const lister = options.lister ?? createInThreadLister(options);
  return {
    name: 'ec2',
    async collect(target: Target, context: CollectContext): Promise<CollectedTarget> {
      const client = options.clientFor(target);
      const instances: InstanceObservation[] = [];
      const observe = createObservationInterner();
      let pages = 0;
      const wanted = Object.hasOwn(target.filters, 'instance-id') ? 1 : (options.listPartitions ?? 1);
      // One failed part fails the target: the others stop instead of listing for nothing.
      const listing = new AbortController();
      const signal = context.signal ? AbortSignal.any([context.signal, listing.signal]) : listing.signal;
      const listPart = (index: number, count: number): Promise<void> =>
        lister.listPart(
          target,
          { index, count },
          {
            signal,
            onPage(page) {
              pages++;
              const observedAt = context.now().toISOString();
              for (const listed of page) instances.push(observe(listed, observedAt));
              context.onProgress?.({ pages, instances: instances.length });
            },
          },
        );
      const listAll = (count: number): Promise<unknown> =>
        Promise.all(
          Array.from({ length: count }, (_, index) =>
            listPart(index, count).catch((error: unknown) => {
              listing.abort(error);
              throw error;
            }),
          ),
        );
      await listAll(wanted);
      // An empty partitioned answer is confirmed by one whole listing: an endpoint that did not
      // honour the id wildcards must not make a target's instances vanish.
      if (wanted > 1 && instances.length === 0) await listAll(1);
      const needUserData = instances.filter((i) => context.needsUserData(i.region, i.imageId));
      const now = context.now().getTime();
      const toFetch: InstanceObservation[] = [];
      for (const observation of needUserData) {
        const cached = userDataCache.get(observation.instanceId);
        if (
          cached &&
          observation.state !== 'stopped' &&
          cached.launchTime === observation.launchTime &&
          now - cached.fetchedAt < ttl
        ) {
          observation.userDataSha256 = cached.sha256;
        } else toFetch.push(observation);
      }
      const fetchNow = toFetch.slice(0, options.userDataFetchesPerScan ?? 200);
      const limit = pLimit(options.userDataConcurrency ?? 4);
      await Promise.all(
        fetchNow.map((observation) =>
          limit(async () => {
            const sha256 = await fetchUserDataSha256(client, observation.instanceId, context.signal);
            observation.userDataSha256 = sha256;
            userDataCache.set(observation.instanceId, {
              sha256,
              fetchedAt: now,
              launchTime: observation.launchTime,
            });
          }),
        ),
      );
      return { account: target.account, instances };
    },
  };
}

async function fetchUserDataSha256(
  client: EC2Client,
  instanceId: string,
  signal: AbortSignal | undefined,
): Promise<string | null> {
  const out = await client.send(
    new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }),
    { abortSignal: signal },
  );
  const encoded = out.UserData?.Value;
  if (!encoded) return null;
  return sha256OfBase64(encoded);
}
