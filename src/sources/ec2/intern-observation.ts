// Shares the strings a fleet repeats (image ids, states, types, profiles, subnets, groups, tag values)
// between a listing's observations: 1.5 KB per instance becomes about 0.55 KB (measured on 30,000).

import type { InstanceObservation } from '../../domain/types.js';
import type { ListedInstance } from './instance-mapper.js';

/** One table per listing: the strings it interns live as long as the listing's observations. */
export function createObservationInterner(): (
  listed: ListedInstance,
  observedAt: string,
) => InstanceObservation {
  const table = new Map<string, string>();
  const intern = <T extends string | null>(value: T): T => {
    if (value === null) return value;
    const known = table.get(value);
    if (known !== undefined) return known as T;
    table.set(value, value);
    return value;
  };
  return (listed, observedAt) => {
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(listed.tags)) tags[key] = intern(value);
    // Every field spelled out, in one order: V8 then gives all observations one hidden class. Built
    // by spreading `listed`, each got a hidden class of its own (about 0.5 KB each, 55 MB at 100,000).
    return {
      instanceId: listed.instanceId,
      account: listed.account,
      ownerId: intern(listed.ownerId),
      region: intern(listed.region),
      imageId: intern(listed.imageId),
      state: intern(listed.state),
      instanceType: intern(listed.instanceType),
      iamInstanceProfile: intern(listed.iamInstanceProfile),
      securityGroups: listed.securityGroups.map(intern),
      metadataOptions: {
        httpTokens: intern(listed.metadataOptions.httpTokens),
        httpEndpoint: intern(listed.metadataOptions.httpEndpoint),
      },
      tags,
      asgName: intern(listed.asgName),
      subnetId: intern(listed.subnetId),
      launchTime: listed.launchTime,
      source: listed.source,
      observedAt,
    };
  };
}
