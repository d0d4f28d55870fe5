// Every instance the simulated EC2 knows, by id and by region, with root volumes and RunInstances client tokens.
import type { SimInstance } from './world-types.js';
import { resourceId } from './ids.js';
import { createPrng, deriveSeed, type Prng } from './prng.js';

export class InstanceRegistry {
  readonly #instances = new Map<string, SimInstance>();
  /** The image each instance was launched from, so reset can undo an imageId drift. */
  readonly #launchedFrom = new Map<string, string>();
  #sortedByRegion: Map<string, SimInstance[]> | null = null;
  /** Root EBS volume of every instance (its own prng, so the seeded world's ids do not move). */
  readonly #rootVolumes = new Map<string, string>();
  readonly #volumePrng: Prng;
  readonly #clientTokens = new Map<string, string[]>();

  constructor(seed: number) {
    this.#volumePrng = createPrng(deriveSeed(seed, 'volumes'));
  }

  add(instance: SimInstance): void {
    this.#rootVolumes.set(instance.instanceId, resourceId(this.#volumePrng, 'vol'));
    this.#instances.set(instance.instanceId, instance);
    this.#launchedFrom.set(instance.instanceId, instance.imageId);
    this.#sortedByRegion = null;
  }

  get(instanceId: string): SimInstance | undefined {
    return this.#instances.get(instanceId);
  }

  has(instanceId: string): boolean {
    return this.#instances.has(instanceId);
  }

  all(): SimInstance[] {
    return [...this.#instances.values()];
  }

  /** All instances of a region sorted by id: the order pagination cursors rely on. */
  inRegion(region: string): readonly SimInstance[] {
    if (!this.#sortedByRegion) {
      const byRegion = new Map<string, SimInstance[]>();
      for (const instance of this.#instances.values()) {
        const list = byRegion.get(instance.region) ?? [];
        list.push(instance);
        byRegion.set(instance.region, list);
      }
      for (const list of byRegion.values()) list.sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1));
      this.#sortedByRegion = byRegion;
    }
    return this.#sortedByRegion.get(region) ?? [];
  }

  launchedFrom(instanceId: string): string | undefined {
    return this.#launchedFrom.get(instanceId);
  }

  rootVolumeId(instanceId: string): string | undefined {
    return this.#rootVolumes.get(instanceId);
  }

  byRootVolume(volumeId: string): SimInstance | undefined {
    for (const [instanceId, id] of this.#rootVolumes) if (id === volumeId) return this.get(instanceId);
    return undefined;
  }

  /** Instances an earlier RunInstances with this ClientToken created (EC2 idempotency). */
  clientTokenInstances(clientToken: string): SimInstance[] | undefined {
    return this.#clientTokens.get(clientToken)?.flatMap((id) => this.#instances.get(id) ?? []);
  }

  rememberClientToken(clientToken: string, instances: readonly SimInstance[]): void {
    this.#clientTokens.set(
      clientToken,
      instances.map((instance) => instance.instanceId),
    );
  }
}
