// The live, mutable simulated fleet: what EC2 handlers read and write and the control API drifts.
import { ASG_TAG, buildGroup, membersByGroup, type GroupSeed } from './asg-seed.js';
import { AutoScalingGroups, type SimAutoScalingGroup } from './asg-state.js';
import { bakeSpec, sha256Hex, usesAutoScaling } from './channel-catalog.js';
import type {
  AddImageSpec,
  BulkLaunchSpec,
  DriftChange,
  FailureSpec,
  LaunchSpec,
} from './control-schemas.js';
import { asgName, imageName, instanceFromImage, privateIpFor } from './fleet-generator.js';
import type {
  Fleet,
  InstanceStateName,
  SimImage,
  SimInstance,
  SimSecurityGroup,
  SimSubnet,
} from './fleet-types.js';
import { InventoryRecorder } from './config-inventory.js';
import { cloneHost, patchHost } from './host-fingerprint.js';
import { instanceProfileId, resourceId, uuid } from './ids.js';
import { LaunchFailures, type FailureState } from './launch-failures.js';
import {
  LaunchTemplateRegistry,
  resolveVersion,
  templateDataFromImage,
  type LaunchTemplateData,
} from './launch-templates.js';
import { InstanceLifecycle, type LifecycleSettings, type StatusCheck } from './lifecycle.js';
import { createPrng, deriveSeed, type Prng } from './prng.js';
import { SimulatorInputError, UnknownResourceError } from './sim-errors.js';
import { SnapshotStore, type SimSnapshot } from './snapshots.js';

export interface FleetStateOptions {
  /** Injected so tests control launch and build times, and how far lifecycles have moved. */
  now?: () => Date;
  /** How long pending, status checks and shutting-down take (defaults: 300 ms each). */
  lifecycle?: Partial<LifecycleSettings>;
}

export interface StateChange {
  instance: SimInstance;
  previous: InstanceStateName;
  current: InstanceStateName;
}

export { ASG_TAG };

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
  /** Root EBS volume of every instance (its own prng, so the seeded fleet's ids do not move). */
  readonly #rootVolumes = new Map<string, string>();
  readonly #volumePrng: Prng;
  #advancing = false;

  readonly lifecycle: InstanceLifecycle;
  readonly failures = new LaunchFailures();
  readonly launchTemplates = new LaunchTemplateRegistry();
  readonly autoScaling: AutoScalingGroups;
  readonly snapshots = new SnapshotStore();
  /** What AWS Config has recorded of each instance's SSM inventory. */
  readonly inventory: InventoryRecorder;

  constructor(fleet: Fleet, options: FleetStateOptions = {}) {
    this.account = fleet.account;
    this.seed = fleet.seed;
    this.regions = [...fleet.regions];
    this.#images = [...fleet.images];
    this.#subnets = [...fleet.subnets];
    this.#instanceProfileIds = { ...fleet.instanceProfileIds };
    this.#volumePrng = createPrng(deriveSeed(fleet.seed, 'volumes'));
    for (const group of fleet.securityGroups) this.#groups.set(group.groupId, group);
    for (const instance of fleet.instances) this.#add(instance);
    for (const subnet of this.#subnets) {
      this.#placed.set(subnet.subnetId, fleet.instances.filter((i) => i.subnetId === subnet.subnetId).length);
    }
    this.#prng = createPrng(deriveSeed(fleet.seed, 'runtime'));
    this.#now = options.now ?? (() => new Date());
    this.lifecycle = new InstanceLifecycle(options.lifecycle);
    this.inventory = new InventoryRecorder(this.account, this.#now);
    this.autoScaling = new AutoScalingGroups(
      {
        instance: (id) => this.#instances.get(id),
        statusCheck: (instance) => this.lifecycle.statusCheck(instance, this.#now().getTime()),
        launch: (group, data, subnetId) => this.#launchForGroup(group, data, subnetId),
        beginTermination: (instance) => void this.beginTermination(instance.instanceId),
      },
      this.launchTemplates,
    );
    this.#seedGroups(fleet.instances);
  }

  /** The simulator's clock. */
  currentTime(): Date {
    return this.#now();
  }

  /**
   * Brings the fleet up to the clock: pending → running, shutting-down → terminated, then every
   * Auto Scaling group reconciles. Runs before each request; reads below call it too.
   */
  advance(): void {
    if (this.#advancing) return;
    this.#advancing = true;
    try {
      const nowMs = this.#now().getTime();
      const lookup = (id: string) => this.#instances.get(id);
      this.lifecycle.advance(nowMs, lookup);
      this.autoScaling.reconcile();
      this.lifecycle.advance(nowMs, lookup);
    } finally {
      this.#advancing = false;
    }
  }

  configureLifecycle(patch: Partial<LifecycleSettings>): LifecycleSettings {
    this.advance();
    return this.lifecycle.configure(patch);
  }

  injectFailure(spec: FailureSpec): FailureState {
    return this.failures.add(spec);
  }

  clearFailures(): void {
    this.failures.clear();
  }

  /** EC2 status checks of an instance right now. */
  statusCheck(instance: SimInstance): StatusCheck {
    return this.lifecycle.statusCheck(instance, this.#now().getTime());
  }

  rootVolumeId(instanceId: string): string | undefined {
    return this.#rootVolumes.get(instanceId);
  }

  instanceByRootVolume(volumeId: string): SimInstance | undefined {
    for (const [instanceId, id] of this.#rootVolumes) if (id === volumeId) return this.instance(instanceId);
    return undefined;
  }

  groups(region?: string): SimAutoScalingGroup[] {
    this.advance();
    return this.autoScaling.all(region);
  }

  /** A group by name; names are per region, so pass the region when two regions share one. */
  group(name: string, region?: string): SimAutoScalingGroup | undefined {
    return this.groups(region).find((g) => g.name === name);
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
    this.advance();
    return this.#instances.get(instanceId);
  }

  requireInstance(instanceId: string): SimInstance {
    const instance = this.instance(instanceId);
    if (!instance) throw new UnknownResourceError('instance', instanceId);
    return instance;
  }

  /** All instances of a region sorted by id: the order pagination cursors rely on. */
  instancesIn(region: string): readonly SimInstance[] {
    this.advance();
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
    this.advance();
    return [...this.#instances.values()];
  }

  securityGroup(groupId: string): SimSecurityGroup | undefined {
    return this.#groups.get(groupId);
  }

  /** The network (VPC subnets and security groups), which another account's fleet reuses. */
  get network(): { subnets: SimSubnet[]; securityGroups: SimSecurityGroup[] } {
    return { subnets: [...this.#subnets], securityGroups: [...this.#groups.values()] };
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
    if (group !== null) this.#adopt(group, spec.region, launched);
    return launched;
  }

  /**
   * RunInstances: `count` instances that start `pending` and move on with the clock. Returns null
   * when an injected launch failure makes the call fail (EC2's InsufficientInstanceCapacity).
   */
  launchPending(spec: LaunchSpec, count: number): SimInstance[] | null {
    this.advance();
    if (this.failures.consumeLaunchFailure()) return null;
    const launched = this.launchReservation({ ...spec, state: 'pending' }, count, null);
    for (const instance of launched) this.#trackLaunch(instance, null);
    return launched;
  }

  /**
   * TerminateInstances: `shutting-down` now, `terminated` after the lifecycle's terminateMs. Like
   * EC2 it is idempotent: an instance already on its way out just reports where it is.
   */
  beginTermination(instanceId: string): StateChange {
    const instance = this.requireInstance(instanceId);
    const previous = instance.state;
    if (previous !== 'shutting-down' && previous !== 'terminated') {
      instance.state = 'shutting-down';
      this.lifecycle.trackTermination(instanceId, this.#now().getTime());
    }
    return { instance, previous, current: instance.state };
  }

  createSnapshot(input: {
    instance: SimInstance;
    volumeId: string;
    description: string;
    tags: Map<string, string>;
  }): SimSnapshot {
    const now = this.#now();
    return this.snapshots.add({
      snapshotId: this.#freshId('snap', (id) => this.snapshots.get(id) !== undefined),
      volumeId: input.volumeId,
      region: input.instance.region,
      ownerId: this.account,
      description: input.description,
      startTime: now.toISOString(),
      startedAtMs: now.getTime(),
      volumeSize: 8,
      tags: input.tags,
    });
  }

  /** Snapshots complete after the same delay a launch spends pending. */
  snapshotState(snapshot: SimSnapshot): 'pending' | 'completed' {
    return this.#now().getTime() >= snapshot.startedAtMs + this.lifecycle.settings.pendingMs
      ? 'completed'
      : 'pending';
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
    // Immediate and final: for its group this is a scale-in, so nothing replaces the instance.
    const group = this.autoScaling.groupOf(instanceId);
    if (group) {
      this.autoScaling.leave(instanceId);
      group.desiredCapacity = Math.max(0, group.desiredCapacity - 1);
      group.minSize = Math.min(group.minSize, group.desiredCapacity);
    }
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
    if (this.newestImage(image.region, image.channel) === image) this.#promoteToTemplates(image);
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
    return this.#freshIdFrom(this.#prng, prefix, taken);
  }

  #uniqueImageName(region: string, name: string): string {
    const taken = new Set(this.#images.filter((image) => image.region === region).map((image) => image.name));
    if (!taken.has(name)) return name;
    for (let n = 2; ; n++) if (!taken.has(`${name}-${n}`)) return `${name}-${n}`;
  }

  /** What a bake pipeline does after a build: a new default template version for the channel's groups. */
  #promoteToTemplates(image: SimImage): void {
    const at = this.#now().toISOString();
    for (const group of this.autoScaling.all(image.region)) {
      if (group.channel !== image.channel) continue;
      const template = this.launchTemplates.byId(group.region, group.launchTemplateId);
      if (template)
        this.launchTemplates.addVersion(template, templateDataFromImage(image, group.name), at, image.name);
    }
  }

  /** Every seeded `aws:autoscaling:groupName` becomes a real group at exactly its current size. */
  #seedGroups(instances: readonly SimInstance[]): void {
    const prng = createPrng(deriveSeed(this.seed, 'autoscaling'));
    for (const members of membersByGroup(instances)) {
      const first = members[0];
      const name = first?.tags.get(ASG_TAG);
      if (!first || name === undefined) continue;
      const image =
        (first.channel !== null ? this.newestImage(first.region, first.channel) : undefined) ??
        this.image(first.imageId);
      if (!image) continue;
      const createdTime = members.map((i) => i.launchTime).sort()[0] ?? image.builtAt;
      this.#createGroup(prng, { name, image, channel: first.channel, createdTime, members });
    }
  }

  #createGroup(prng: Prng, seed: GroupSeed): SimAutoScalingGroup {
    const deps = { prng, account: this.account, subnets: this.#subnets, templates: this.launchTemplates };
    return this.autoScaling.add(buildGroup(deps, seed));
  }

  /** Control-API launches into a group grow it, so the group neither replaces nor scales them in. */
  #adopt(name: string, region: string, launched: readonly SimInstance[]): void {
    const first = launched[0];
    if (!first) return;
    const group =
      this.autoScaling.get(region, name) ??
      this.#createGroup(this.#prng, {
        name,
        image: (first.channel ? this.newestImage(region, first.channel) : undefined) ??
          this.image(first.imageId) ?? { ...this.#anyImage(region), imageId: first.imageId },
        channel: first.channel,
        createdTime: this.#now().toISOString(),
        members: [],
      });
    const template = this.launchTemplates.byId(region, group.launchTemplateId);
    const version = template
      ? String(resolveVersion(template, group.launchTemplateVersion)?.versionNumber ?? 1)
      : '1';
    for (const instance of launched) this.autoScaling.join(group, instance.instanceId, version);
    group.desiredCapacity += launched.length;
    group.maxSize = Math.max(group.maxSize, group.desiredCapacity);
  }

  #anyImage(region: string): SimImage {
    const image = this.#images.find((i) => i.region === region);
    if (!image) throw new SimulatorInputError('region', `no images in ${region}`);
    return image;
  }

  /** One group launch from its template; null when an injected launch failure swallowed it. */
  #launchForGroup(
    group: SimAutoScalingGroup,
    data: LaunchTemplateData,
    subnetId: string,
  ): SimInstance | null {
    if (this.failures.consumeLaunchFailure()) return null;
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...group.tags, ...data.tags }))
      if (!key.startsWith('aws:')) tags[key] = value;
    const spec: LaunchSpec = {
      region: group.region,
      imageId: data.imageId,
      instanceType: data.instanceType,
      securityGroups: [...data.securityGroupIds],
      iamInstanceProfile: data.iamInstanceProfileArn,
      httpTokens: data.httpTokens,
      userData: data.userData,
      tags,
      state: 'pending',
    };
    if (group.channel !== null) spec.channel = group.channel;
    if (subnetId !== '') spec.subnetId = subnetId;
    const instance = this.#launch(spec, resourceId(this.#prng, 'r'), group.name);
    this.#trackLaunch(instance, group.name);
    return instance;
  }

  #trackLaunch(instance: SimInstance, group: string | null): void {
    const neverHealthy = this.failures.isNeverHealthy({ group, imageId: instance.imageId });
    this.lifecycle.trackLaunch(instance.instanceId, this.#now().getTime(), neverHealthy);
  }

  #freshIdFrom(prng: Prng, prefix: string, taken: (id: string) => boolean): string {
    for (;;) {
      const id = resourceId(prng, prefix);
      if (!taken(id)) return id;
    }
  }

  #add(instance: SimInstance): void {
    this.#rootVolumes.set(instance.instanceId, resourceId(this.#volumePrng, 'vol'));
    this.#instances.set(instance.instanceId, instance);
    this.#launchedFrom.set(instance.instanceId, instance.imageId);
    this.#sortedByRegion = null;
  }
}
