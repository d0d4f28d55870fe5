// The simulated VPC and IAM: subnets and the addresses they handed out, security groups, instance profile ids.
import type { SimSecurityGroup, SimSubnet } from './world-types.js';
import { instanceProfileId } from './ids.js';
import type { Prng } from './prng.js';

export interface SimNetworkSeed {
  subnets: readonly SimSubnet[];
  securityGroups: readonly SimSecurityGroup[];
  instanceProfileIds: Readonly<Record<string, string>>;
  /** Addresses each subnet has already handed out (the seeded instances'). */
  placed: ReadonlyMap<string, number>;
}

export class SimNetwork {
  readonly #groups = new Map<string, SimSecurityGroup>();
  readonly #subnets: SimSubnet[];
  readonly #placed: Map<string, number>;
  readonly #instanceProfileIds: Record<string, string>;

  /** `prng` is the world's runtime source: new profile ids take their turn in its sequence. */
  constructor(
    seed: SimNetworkSeed,
    private readonly prng: Prng,
  ) {
    this.#subnets = [...seed.subnets];
    for (const group of seed.securityGroups) this.#groups.set(group.groupId, group);
    this.#instanceProfileIds = { ...seed.instanceProfileIds };
    this.#placed = new Map(seed.placed);
  }

  securityGroup(groupId: string): SimSecurityGroup | undefined {
    return this.#groups.get(groupId);
  }

  /** Groups of a region with a given name, e.g. every region's "baseline". */
  securityGroupsNamed(region: string, groupName: string): SimSecurityGroup[] {
    return [...this.#groups.values()].filter((g) => g.region === region && g.groupName === groupName);
  }

  subnetsIn(region: string): SimSubnet[] {
    return this.#subnets.filter((s) => s.region === region);
  }

  get subnets(): readonly SimSubnet[] {
    return this.#subnets;
  }

  /** The network (VPC subnets and security groups), which another account's world reuses. */
  get view(): { subnets: SimSubnet[]; securityGroups: SimSecurityGroup[] } {
    return { subnets: [...this.#subnets], securityGroups: [...this.#groups.values()] };
  }

  /** Hands out the subnet's next address slot: how many it had handed out before. */
  place(subnet: SimSubnet): number {
    const n = this.#placed.get(subnet.subnetId) ?? 0;
    this.#placed.set(subnet.subnetId, n + 1);
    return n;
  }

  /** The profile an ARN names, with a stable id (a new name gets one on first use). */
  profileFor(arn: string): { arn: string; id: string } {
    const name = arn.slice(arn.lastIndexOf('/') + 1);
    let id = this.#instanceProfileIds[name];
    if (id === undefined) {
      id = instanceProfileId(this.prng);
      this.#instanceProfileIds[name] = id;
    }
    return { arn, id };
  }
}
