// The live, mutable simulated fleet: what EC2 handlers read and write and the control API drifts.
import { bakeSpec, sha256Hex, usesAutoScaling } from './channel-catalog.js';
import type { AddImageSpec, BulkLaunchSpec, DriftChange, LaunchSpec } from './control-schemas.js';
import { asgName, imageName, instanceFromImage, privateIpFor } from './fleet-generator.js';
import type { Fleet, SimImage, SimInstance, SimSecurityGroup, SimSubnet } from './fleet-types.js';
import { cloneHost, patchHost } from './host-fingerprint.js';
import { instanceProfileId, resourceId, uuid } from './ids.js';
import { createPrng, deriveSeed, type Prng } from './prng.js';
import { SimulatorInputError, UnknownResourceError } from './sim-errors.js';

export interface FleetStateOptions {
  /** Injected so tests control launch and build times. */
  now?: () => Date;
}

export const ASG_TAG = 'aws:autoscaling:groupName';

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class FleetState {
  readonly account: string;
  readonly seed: number;
  readonly regions: readonly string[];
  readonly #images: SimImage[];
  readonly #instances = new Map<string, SimInstance>();
  /** The image each instance was launched from, so reset can undo an imageId drift. */
  readonly #launchedFrom = new Map<string, string>();
  readonly #groups = new Map<string, SimSecurityGroup>();
  readonly #subnets: SimSubnet[];
  readonly #placed = new Map<string, number>();
  readonly #clientTokens = new Map<string, string[]>();
  readonly #instanceProfileIds: Record<string, string>;
  readonly #prng: Prng;
  readonly #now: () => Date;
  #sortedByRegion: Map<string, SimInstance[]> | null = null;

  constructor(fleet: Fleet, options: FleetStateOptions = {}) {
    this.account = fleet.account;
    this.seed = fleet.seed;
    this.regions = [...fleet.regions];
    this.#images = [...fleet.images];
    this.#subnets = [...fleet.subnets];
    this.#instanceProfileIds = { ...fleet.instanceProfileIds };
    for (const group of fleet.securityGroups) this.#groups.set(group.groupId, group);
    for (const instance of fleet.instances) this.#add(instance);
    for (const subnet of this.#subnets) {
      this.#placed.set(subnet.subnetId, fleet.instances.filter((i) => i.subnetId === subnet.subnetId).length);
    }
    this.#prng = createPrng(deriveSeed(fleet.seed, 'runtime'));
    this.#now = options.now ?? (() => new Date());
  }

  get images(): readonly SimImage[] {
    return this.#images;
  }

  image(imageId: string): SimImage | undefined {
    return this.#images.find((image) => image.imageId === imageId);
  }

  /** The latest build of a channel in a region: what new instances should run. */
  newestImage(region: string, channel: string): SimImage | undefined {
    let newest: SimImage | undefined;
    for (const image of this.#images) {
      if (image.region !== region || image.channel !== channel || image.state !== 'available') continue;
      if (!newest || image.builtAt >= newest.builtAt) newest = image;
    }
    return newest;
  }

  instance(instanceId: string): SimInstance | undefined {
    return this.#instances.get(instanceId);
  }

  requireInstance(instanceId: string): SimInstance {
    const instance = this.#instances.get(instanceId);
    if (!instance) throw new UnknownResourceError('instance', instanceId);
    return instance;
  }

  /** All instances of a region sorted by id: the order pagination cursors rely on. */
  instancesIn(region: string): readonly SimInstance[] {
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

  allInstances(): SimInstance[] {
    return [...this.#instances.values()];
  }

  securityGroup(groupId: string): SimSecurityGroup | undefined {
    return this.#groups.get(groupId);
  }

  /** Applies an out-of-band change to one instance, as an SSH hot-fix or console click would. */
  drift(instanceId: string, change: DriftChange): SimInstance {
    const instance = this.requireInstance(instanceId);
    if (change.instanceType !== undefined) instance.instanceType = change.instanceType;
    if (change.securityGroups !== undefined) instance.securityGroupIds = [...new Set(change.securityGroups)];
    for (const groupId of change.addSecurityGroups ?? []) {
      if (!instance.securityGroupIds.includes(groupId)) instance.securityGroupIds.push(groupId);
    }
    const removed = new Set(change.removeSecurityGroups ?? []);
    instance.securityGroupIds = instance.securityGroupIds.filter((id) => !removed.has(id));
    if (change.httpTokens !== undefined) instance.metadataOptions.httpTokens = change.httpTokens;
    if (change.httpEndpoint !== undefined) instance.metadataOptions.httpEndpoint = change.httpEndpoint;
    for (const [key, value] of Object.entries(change.tags ?? {})) {
      if (value === null) instance.tags.delete(key);
      else instance.tags.set(key, value);
    }
    if (change.imageId !== undefined) {
      instance.imageId = change.imageId;
      instance.channel = this.image(change.imageId)?.channel ?? instance.channel;
    }
    if (change.userData !== undefined) instance.userData = change.userData;
    if (change.iamInstanceProfile !== undefined) {
      instance.iamInstanceProfile =
        change.iamInstanceProfile === null ? null : this.#profileFor(change.iamInstanceProfile);
    }
    if (change.state !== undefined) instance.state = change.state;
    if (change.host !== undefined) patchHost(instance.host, change.host);
    return instance;
  }

  /** Restores an instance to the baked spec of the image it was launched from (tags it added stay). */
  reset(instanceId: string): SimInstance {
    const instance = this.requireInstance(instanceId);
    const imageId = this.#launchedFrom.get(instanceId) ?? instance.imageId;
    const image = this.image(imageId);
    if (!image)
      throw new SimulatorInputError(
        'imageId',
        `instance ${instanceId} runs ${imageId}, which no pipeline baked; nothing to reset to`,
      );
    const { spec } = image;
    instance.imageId = image.imageId;
    instance.channel = image.channel;
    if (!spec.instanceTypes.includes(instance.instanceType))
      instance.instanceType = spec.instanceTypes[0] ?? instance.instanceType;
    instance.securityGroupIds = [...spec.securityGroupIds];
    instance.metadataOptions = { httpTokens: spec.httpTokens, httpEndpoint: 'enabled' };
    instance.iamInstanceProfile = this.#profileFor(spec.iamInstanceProfileArn);
    for (const [key, value] of Object.entries(spec.requiredTags)) instance.tags.set(key, value);
    instance.userData = spec.userData;
    instance.host = cloneHost(spec.host);
    return instance;
  }

  /** Launches one instance; an imageId nobody baked is allowed (that is the "unknown image" case). */
  launch(spec: LaunchSpec): SimInstance {
    const [instance] = this.launchReservation(spec, 1, spec.group ?? null);
    if (!instance) throw new Error('launchReservation returned no instance');
    return instance;
  }

  /** Launches `count` instances of a channel in one reservation, in the channel's ASG unless `group: null`. */
  launchBulk(spec: BulkLaunchSpec): SimInstance[] {
    const group =
      spec.group === undefined
        ? usesAutoScaling(spec.channel)
          ? asgName(spec.channel, spec.region)
          : null
        : spec.group;
    const launchSpec: LaunchSpec = { region: spec.region, channel: spec.channel };
    if (spec.imageId !== undefined) launchSpec.imageId = spec.imageId;
    if (spec.env !== undefined) launchSpec.env = spec.env;
    return this.launchReservation(launchSpec, spec.count, group);
  }

  /** Launches `count` identical instances sharing one reservation, as one RunInstances call does. */
  launchReservation(spec: LaunchSpec, count: number, group: string | null): SimInstance[] {
    const reservationId = resourceId(this.#prng, 'r');
    const launched: SimInstance[] = [];
    for (let i = 0; i < count; i++) launched.push(this.#launch(spec, reservationId, group));
    return launched;
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

  /** Terminated instances stay visible with state "terminated", as EC2 shows them for a while. */
  terminate(instanceId: string): SimInstance {
    const instance = this.requireInstance(instanceId);
    instance.state = 'terminated';
    return instance;
  }

  /** Registers a new build of a channel; it becomes the channel's newest image if built last. */
  addImage(spec: AddImageSpec): SimImage {
    if (!this.regions.includes(spec.region))
      throw new SimulatorInputError(
        'region',
        `unknown region ${spec.region}; the fleet has ${this.regions.join(', ')}`,
      );
    if (spec.imageId !== undefined && this.image(spec.imageId))
      throw new SimulatorInputError('imageId', `image ${spec.imageId} already exists`);
    const base = this.newestImage(spec.region, spec.channel);
    const builtAt = spec.builtAt !== undefined ? isoSeconds(new Date(spec.builtAt)) : isoSeconds(this.#now());
    const name = this.#uniqueImageName(spec.region, spec.name ?? imageName(spec.channel, builtAt));
    const baked =
      base?.spec ??
      bakeSpec({
        channel: spec.channel,
        region: spec.region,
        account: this.account,
        generation: 1,
        buildLabel: name,
        securityGroupIds: [...this.#groups.values()]
          .filter((g) => g.region === spec.region && g.groupName === 'baseline')
          .map((g) => g.groupId),
      });
    const userData = spec.userData ?? baked.userData;
    const host = cloneHost(baked.host);
    if (spec.host) patchHost(host, spec.host);
    const image: SimImage = {
      imageId: spec.imageId ?? this.#freshId('ami', (id) => this.image(id) !== undefined),
      region: spec.region,
      ownerId: this.account,
      name,
      channel: spec.channel,
      builtAt,
      state: 'available',
      source: { packerRunUuid: uuid(this.#prng), gitCommit: this.#prng.hex(40) },
      tags: { Name: name, channel: spec.channel, 'managed-by': 'packer' },
      spec: {
        instanceTypes: [...(spec.instanceTypes ?? baked.instanceTypes)],
        iamInstanceProfileArn: spec.iamInstanceProfile ?? baked.iamInstanceProfileArn,
        securityGroupIds: [...(spec.securityGroups ?? baked.securityGroupIds)],
        httpTokens: spec.httpTokens ?? baked.httpTokens,
        userData,
        userDataSha256: sha256Hex(userData),
        requiredTags: { ...baked.requiredTags, role: spec.channel },
        host,
      },
    };
    this.#images.push(image);
    return image;
  }

  #launch(spec: LaunchSpec, reservationId: string, group: string | null): SimInstance {
    const subnets = this.#subnets.filter((s) => s.region === spec.region);
    if (subnets.length === 0)
      throw new SimulatorInputError(
        'region',
        `unknown region ${spec.region}; the fleet has ${this.regions.join(', ')}`,
      );
    const template = this.#templateImage(spec);
    const subnet =
      spec.subnetId === undefined
        ? this.#prng.pick(subnets)
        : subnets.find((s) => s.subnetId === spec.subnetId);
    if (!subnet)
      throw new SimulatorInputError('subnetId', `no subnet ${spec.subnetId ?? ''} in ${spec.region}`);
    const n = this.#placed.get(subnet.subnetId) ?? 0;
    this.#placed.set(subnet.subnetId, n + 1);
    const channel = template.channel || null;
    const instance = instanceFromImage({
      prng: this.#prng,
      instanceId: this.#freshId('i', (id) => this.#instances.has(id)),
      reservationId,
      image: template,
      subnet,
      privateIpAddress: privateIpFor(subnet, n),
      launchTime: isoSeconds(this.#now()),
      instanceProfileId: this.#profileFor(template.spec.iamInstanceProfileArn).id,
      name: `${channel ?? 'instance'}-${spec.region}-${n + 1}`,
      env: spec.env ?? 'prod',
      group,
    });
    instance.channel = channel;
    if (spec.instanceType !== undefined) instance.instanceType = spec.instanceType;
    if (spec.securityGroups !== undefined) instance.securityGroupIds = [...new Set(spec.securityGroups)];
    if (spec.iamInstanceProfile !== undefined) {
      instance.iamInstanceProfile =
        spec.iamInstanceProfile === null ? null : this.#profileFor(spec.iamInstanceProfile);
    }
    if (spec.httpTokens !== undefined) instance.metadataOptions.httpTokens = spec.httpTokens;
    if (spec.httpEndpoint !== undefined) instance.metadataOptions.httpEndpoint = spec.httpEndpoint;
    if (spec.userData !== undefined) instance.userData = spec.userData;
    if (spec.state !== undefined) instance.state = spec.state;
    for (const [key, value] of Object.entries(spec.tags ?? {})) instance.tags.set(key, value);
    this.#add(instance);
    return instance;
  }

  /** The image whose spec a launch copies; for an unbaked imageId, a stand-in built from its channel. */
  #templateImage(spec: LaunchSpec): SimImage {
    if (spec.imageId !== undefined) {
      const known = this.image(spec.imageId);
      if (known) {
        if (known.region !== spec.region)
          throw new SimulatorInputError(
            'imageId',
            `image ${spec.imageId} is in ${known.region}, not ${spec.region}`,
          );
        return known;
      }
      const channel = spec.channel ?? '';
      const base = channel ? this.newestImage(spec.region, channel) : undefined;
      const stand = base ?? this.#images.find((image) => image.region === spec.region);
      if (!stand)
        throw new SimulatorInputError('region', `no images in ${spec.region} to model the launch on`);
      return {
        ...stand,
        imageId: spec.imageId,
        channel,
        spec: { ...stand.spec, requiredTags: channel ? stand.spec.requiredTags : {} },
      };
    }
    const channel = spec.channel ?? '';
    const newest = this.newestImage(spec.region, channel);
    if (!newest) throw new SimulatorInputError('channel', `no image of channel ${channel} in ${spec.region}`);
    return newest;
  }

  #profileFor(arn: string): { arn: string; id: string } {
    const name = arn.slice(arn.lastIndexOf('/') + 1);
    let id = this.#instanceProfileIds[name];
    if (id === undefined) {
      id = instanceProfileId(this.#prng);
      this.#instanceProfileIds[name] = id;
    }
    return { arn, id };
  }

  #freshId(prefix: string, taken: (id: string) => boolean): string {
    for (;;) {
      const id = resourceId(this.#prng, prefix);
      if (!taken(id)) return id;
    }
  }

  #uniqueImageName(region: string, name: string): string {
    const taken = new Set(this.#images.filter((image) => image.region === region).map((image) => image.name));
    if (!taken.has(name)) return name;
    for (let n = 2; ; n++) if (!taken.has(`${name}-${n}`)) return `${name}-${n}`;
  }

  #add(instance: SimInstance): void {
    this.#instances.set(instance.instanceId, instance);
    this.#launchedFrom.set(instance.instanceId, instance.imageId);
    this.#sortedByRegion = null;
  }
}
