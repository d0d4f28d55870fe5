// Lists one part of a target page by page as slim observations: on the calling thread, or (behind the
// same interface) on a listing thread of src/list-thread-pool.ts.
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Target } from '../../domain/types.js';
import { describeInstancePages, type ListPartition } from './describe-instance-pages.js';
import { toListedInstance, type ListedInstance } from './instance-mapper.js';

export interface ListPartOptions {
  signal: AbortSignal;
  /** Called once per page, in page order, with that page's instances (possibly none). */
  onPage: (instances: ListedInstance[]) => void;
}

export interface PartLister {
  listPart(target: Target, partition: ListPartition, options: ListPartOptions): Promise<void>;
}

export function createInThreadLister(options: {
  clientFor(target: Target): EC2Client;
  pageSize: number;
}): PartLister {
  return {
    async listPart(target, partition, { signal, onPage }) {
      for await (const reservations of describeInstancePages(options.clientFor(target), {
        filters: target.filters,
        pageSize: options.pageSize,
        signal,
        partition,
      })) {
        const page: ListedInstance[] = [];
        for (const reservation of reservations) {
          for (const instance of reservation.Instances ?? []) {
            const listed = toListedInstance(instance, {
              account: target.account,
              ownerId: reservation.OwnerId ?? null,
              region: target.region,
            });
            if (listed) page.push(listed);
          }
        }
        onPage(page);
      }
    },
  };
}
