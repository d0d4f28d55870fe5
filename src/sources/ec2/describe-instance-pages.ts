// Thin SDK repository: pages of DescribeInstances for one target, one page in memory at a time.
import { compareStrings } from '../../core/compare-strings.js';
import { DescribeInstancesCommand, type EC2Client, type Reservation } from '@aws-sdk/client-ec2';

/** States that make up the fleet; terminated and shutting-down instances are not scanned. */
export const SCANNED_STATES = ['pending', 'running', 'stopping', 'stopped'];

export interface DescribeInstancePagesOptions {
  filters: Record<string, readonly string[]>;
  pageSize: number;
  signal?: AbortSignal;
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
