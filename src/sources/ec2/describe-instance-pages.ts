// Thin SDK repository: pages of DescribeInstances for one target, one page in memory at a time.
import { compareStrings } from '../../core/compare-strings.js';
import { DescribeInstancesCommand, type EC2Client, type Reservation } from '@aws-sdk/client-ec2';

/** States that make up the fleet; terminated and shutting-down instances are not scanned. */
export const SCANNED_STATES = ['pending', 'running', 'stopping', 'stopped'];

export interface DescribeInstancePagesOptions {
  filters: Record<string, readonly string[]>;
  pageSize: number;
  signal?: AbortSignal;
  /** One part of a partitioned listing (see `partitionFilter`); absent = the whole target. */
  partition?: ListPartition;
}

/** Part `index` of `count` (1–16) disjoint parts that together list every instance exactly once. */
export interface ListPartition {
  index: number;
  count: number;
}

const HEX = '0123456789abcdef';
export const MAX_LIST_PARTITIONS = HEX.length;

/**
 * An `instance-id` filter for one part of a listing: instance ids end in a hex digit, spread evenly
 * (EC2 assigns them at random), and EC2 filter values take `*` wildcards, so part k of n lists the
 * ids ending in the digits d with d mod n = k. The parts are disjoint and cover every id, whatever
 * changes between their pages.
 */
export function partitionFilter(partition: ListPartition): { Name: string; Values: string[] } {
  const { index, count } = partition;
  if (!Number.isInteger(count) || count < 1 || count > MAX_LIST_PARTITIONS)
    throw new Error(`list partitions must be 1–${MAX_LIST_PARTITIONS}, got ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count)
    throw new Error(`list partition ${index} is not one of 0–${count - 1}`);
  return {
    Name: 'instance-id',
    Values: [...HEX].filter((_, digit) => digit % count === index).map((digit) => `*${digit}`),
  };
}

export async function* describeInstancePages(
  client: EC2Client,
  options: DescribeInstancePagesOptions,
): AsyncGenerator<Reservation[]> {
  const filters = [
    { Name: 'instance-state-name', Values: SCANNED_STATES },
    ...Object.entries(options.filters)
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([Name, Values]) => ({ Name, Values: [...Values] })),
    ...(options.partition && options.partition.count > 1 ? [partitionFilter(options.partition)] : []),
  ];
  let nextToken: string | undefined;
  const seenTokens = new Set<string>();
  do {
    const page = await client.send(
      new DescribeInstancesCommand({ Filters: filters, MaxResults: options.pageSize, NextToken: nextToken }),
      { abortSignal: options.signal },
    );
    yield page.Reservations ?? [];
    nextToken = page.NextToken || undefined;
    // A repeated token would loop forever; AWS never does this, a broken proxy might.
    if (nextToken !== undefined) {
      if (seenTokens.has(nextToken)) throw new Error(`DescribeInstances returned a repeated NextToken`);
      seenTokens.add(nextToken);
    }
  } while (nextToken !== undefined);
}
