// The live, mutable simulated world that EC2, Auto Scaling and Config handlers read and write and the control
// API drifts: a facade over its parts (images, network, instances, launches, groups, lifecycle, snapshots).
import { ASG_TAG } from './asg-seed.js';
import { AutoScalingGroups, type SimAutoScalingGroup } from './asg-state.js';
import { usesAutoScaling } from './channel-catalog.js';
import { InventoryRecorder } from './config-inventory.js';
import type {
  AddImageSpec,
  BulkLaunchSpec,
  DriftChange,
  FailureSpec,
  LaunchSpec,
} from './control-schemas.js';
import { freshId } from './ids.js';
import { LaunchFailures, type FailureState } from './launch-failures.js';
import { LaunchTemplateRegistry } from './launch-templates.js';
import { InstanceLifecycle, type LifecycleSettings, type StatusCheck } from './lifecycle.js';
import { createPrng, deriveSeed, type Prng } from './prng.js';
import { applyDrift, resetToImage } from './sim-drift.js';
import { SimulatorInputError, UnknownResourceError } from './sim-errors.js';
import { GroupProvisioner } from './sim-groups.js';
import { ImageCatalog } from './sim-images.js';
import { InstanceRegistry } from './sim-instances.js';
import { Launcher } from './sim-launcher.js';
import { SimNetwork } from './sim-network.js';
import { SnapshotStore, type SimSnapshot } from './snapshots.js';
import { asgName } from './world-generator.js';
import type {
  Fleet,
  InstanceStateName,
  SimImage,
  SimInstance,
  SimSecurityGroup,
  SimSubnet,
} from './world-types.js';

export interface SimWorldOptions {
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

export class SimWorld {
  readonly account: string;
  readonly seed: number;
  readonly regions: readonly string[];
  readonly #now: () => Date;
  /** One runtime source shared by every part, so the same calls draw the same ids in the same order. */
  readonly #prng: Prng;
  readonly #network: SimNetwork;
  readonly #images: ImageCatalog;
  readonly #instances: InstanceRegistry;
  readonly #launcher: Launcher;
  readonly #groups: GroupProvisioner;
  #advancing = false;
  /** Set while a continuation read is served: time moves, groups reconcile at the next request. */
  #clockOnly = false;

  readonly lifecycle: InstanceLifecycle;
  readonly failures = new LaunchFailures();
  readonly launchTemplates = new LaunchTemplateRegistry();
  readonly autoScaling: AutoScalingGroups;
  readonly snapshots = new SnapshotStore();
  /** What AWS Config has recorded of each instance's SSM inventory. */
  readonly inventory: InventoryRecorder;

  constructor(fleet: Fleet, options: SimWorldOptions = {}) {
    this.account = fleet.account;
    this.seed = fleet.seed;
    this.regions = [...fleet.regions];
    this.#now = options.now ?? (() => new Date());
    this.#prng = createPrng(deriveSeed(fleet.seed, 'runtime'));
    const placed = new Map<string, number>();
    for (const instance of fleet.instances)
      placed.set(instance.subnetId, (placed.get(instance.subnetId) ?? 0) + 1);
    this.#network = new SimNetwork({ ...fleet, placed }, this.#prng);
    const context = { account: this.account, prng: this.#prng, now: this.#now, network: this.#network };
    this.#images = new ImageCatalog(fleet.images, { ...context, regions: this.regions });
    this.#instances = new InstanceRegistry(fleet.seed);
    for (const instance of fleet.instances) this.#instances.add(instance);
    this.lifecycle = new InstanceLifecycle(options.lifecycle);
    this.inventory = new InventoryRecorder(this.account, this.#now);
    this.#launcher = new Launcher({
      ...context,
      regions: this.regions,
      images: this.#images,
      instances: this.#instances,
      lifecycle: this.lifecycle,
      failures: this.failures,
      adopt: (group, region, launched) => this.#groups.adopt(group, region, launched),
    });
    this.#groups = new GroupProvisioner({
      ...context,
      seed: fleet.seed,
      images: this.#images,
      launchTemplates: this.launchTemplates,
      failures: this.failures,
      autoScaling: () => this.autoScaling,
      launcher: () => this.#launcher,
    });
    this.autoScaling = new AutoScalingGroups(
      {
        instance: (id) => this.#instances.get(id),
        statusCheck: (instance) => this.lifecycle.statusCheck(instance, this.#now().getTime()),
        launch: (group, data, subnetId) => this.#groups.launchFor(group, data, subnetId),
        beginTermination: (instance) => void this.beginTermination(instance.instanceId),
      },
      this.launchTemplates,
    );
    this.#groups.seed(fleet.instances);
  }

  /** The simulator's clock. */
  currentTime(): Date {
    return this.#now();
  }

  /**
   * Brings the world up to the clock: pending → running, shutting-down → terminated, then every
   * Auto Scaling group reconciles. Runs before each request; reads below call it too.
   */
  advance(): void {
    if (this.#advancing || this.#clockOnly) return;
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

  /**
   * Serves `read` with the lifecycle moved to now but without reconciling the Auto Scaling groups,
   * which walks every group member: for the next page of a listing and per-instance attribute
   * reads, so a 100,000-instance listing does not walk the fleet per page. The next other request
   * (a first page, any mutation, the control API) reconciles as usual.
   */
  readWithoutReconcile<T>(read: () => T): T {
    if (!this.#advancing) {
      const nowMs = this.#now().getTime();
      this.lifecycle.advance(nowMs, (id) => this.#instances.get(id));
    }
    this.#clockOnly = true;
    try {
      return read();
    } finally {
      this.#clockOnly = false;
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
    return this.#instances.rootVolumeId(instanceId);
  }

  instanceByRootVolume(volumeId: string): SimInstance | undefined {
    this.advance();
    return this.#instances.byRootVolume(volumeId);
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
    return this.#images.all;
  }

  image(imageId: string): SimImage | undefined {
    return this.#images.get(imageId);
  }

  /** The latest build of a channel in a region: what new instances should run. */
  newestImage(region: string, channel: string): SimImage | undefined {
    return this.#images.newest(region, channel);
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
    return this.#instances.inRegion(region);
  }

  allInstances(): SimInstance[] {
    this.advance();
    return this.#instances.all();
  }

  securityGroup(groupId: string): SimSecurityGroup | undefined {
    return this.#network.securityGroup(groupId);
  }

  /** The network (VPC subnets and security groups), which another account's world reuses. */
  get network(): { subnets: SimSubnet[]; securityGroups: SimSecurityGroup[] } {
    return this.#network.view;
  }

  /** Applies an out-of-band change to one instance, as an SSH hot-fix or console click would. */
  drift(instanceId: string, change: DriftChange): SimInstance {
    return applyDrift(this.requireInstance(instanceId), change, this.#driftContext());
  }

  /** Restores an instance to the baked spec of the image it was launched from (tags it added stay). */
  reset(instanceId: string): SimInstance {
    const instance = this.requireInstance(instanceId);
    const imageId = this.#instances.launchedFrom(instanceId) ?? instance.imageId;
    const image = this.image(imageId);
    if (!image)
      throw new SimulatorInputError(
        'imageId',
        `instance ${instanceId} runs ${imageId}, which no pipeline baked; nothing to reset to`,
      );
    return resetToImage(instance, image, this.#driftContext());
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
    return this.#launcher.launchReservation(spec, count, group);
  }

  /**
   * RunInstances: `count` instances that start `pending` and move on with the clock. Returns null
   * when an injected launch failure makes the call fail (EC2's InsufficientInstanceCapacity).
   */
  launchPending(spec: LaunchSpec, count: number): SimInstance[] | null {
    this.advance();
    if (this.failures.consumeLaunchFailure()) return null;
    const launched = this.launchReservation({ ...spec, state: 'pending' }, count, null);
    for (const instance of launched) this.#launcher.trackLaunch(instance, null);
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
      snapshotId: freshId(this.#prng, 'snap', (id) => this.snapshots.get(id) !== undefined),
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
    return this.#instances.clientTokenInstances(clientToken);
  }

  rememberClientToken(clientToken: string, instances: readonly SimInstance[]): void {
    this.#instances.rememberClientToken(clientToken, instances);
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
    const image = this.#images.add(spec);
    if (this.newestImage(image.region, image.channel) === image) this.#groups.promote(image);
    return image;
  }

  #driftContext(): { image: (id: string) => SimImage | undefined; profileFor: SimNetwork['profileFor'] } {
    return { image: (id) => this.image(id), profileFor: (arn) => this.#network.profileFor(arn) };
  }
}
