// Auto Scaling groups: membership, capacity and the lazy reconcile that keeps each group at desired.
import type { SimInstance } from './world-types.js';
import { resolveVersion, type LaunchTemplateData, type LaunchTemplateRegistry } from './launch-templates.js';
import type { StatusCheck } from './lifecycle.js';
import { Ec2ApiError } from './sim-errors.js';

export type GroupLifecycleState = 'Pending' | 'InService' | 'Terminating';
export type GroupHealthStatus = 'Healthy' | 'Unhealthy';

export interface SimAutoScalingGroup {
  name: string;
  region: string;
  arn: string;
  /** Image channel its template follows (null for a group no pipeline feeds). */
  channel: string | null;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  createdTime: string;
  launchTemplateId: string;
  launchTemplateName: string;
  /** The version the group launches, as configured: `$Latest`, `$Default` or a number. */
  launchTemplateVersion: string;
  subnetIds: string[];
  availabilityZones: string[];
  healthCheckType: 'EC2';
  healthCheckGracePeriod: number;
  /** Group tags; all propagate at launch. */
  tags: Record<string, string>;
  /** Member instance id → launch template version it was launched from, in launch order. */
  members: Map<string, string>;
}

export interface GroupMember {
  instanceId: string;
  lifecycleState: GroupLifecycleState;
  healthStatus: GroupHealthStatus;
  availabilityZone: string;
  instanceType: string;
  imageId: string;
  state: string;
  launchTemplateVersion: string;
  protectedFromScaleIn: boolean;
}

/** What the groups need from the fleet, without reaching into it. */
export interface GroupHost {
  instance(instanceId: string): SimInstance | undefined;
  statusCheck(instance: SimInstance): StatusCheck;
  /** Launches one pending instance into the group; null when an injected launch failure ate it. */
  launch(group: SimAutoScalingGroup, data: LaunchTemplateData, subnetId: string): SimInstance | null;
  beginTermination(instance: SimInstance): void;
}

const validation = (message: string): Ec2ApiError => new Ec2ApiError('ValidationError', message);

function isGone(instance: SimInstance | undefined): boolean {
  return !instance || instance.state === 'terminated';
}

function isTerminating(instance: SimInstance): boolean {
  return instance.state === 'shutting-down' || instance.state === 'terminated';
}

export class AutoScalingGroups {
  readonly #groups: SimAutoScalingGroup[] = [];
  readonly #groupOf = new Map<string, SimAutoScalingGroup>();

  constructor(
    private readonly host: GroupHost,
    private readonly templates: LaunchTemplateRegistry,
  ) {}

  add(group: SimAutoScalingGroup): SimAutoScalingGroup {
    this.#groups.push(group);
    for (const id of group.members.keys()) this.#groupOf.set(id, group);
    return group;
  }

  /** Groups sorted by region then name. */
  all(region?: string): SimAutoScalingGroup[] {
    return this.#groups
      .filter((g) => region === undefined || g.region === region)
      .sort((a, b) => a.region.localeCompare(b.region) || a.name.localeCompare(b.name));
  }

  get(region: string, name: string): SimAutoScalingGroup | undefined {
    return this.#groups.find((g) => g.region === region && g.name === name);
  }

  groupOf(instanceId: string): SimAutoScalingGroup | undefined {
    return this.#groupOf.get(instanceId);
  }

  join(group: SimAutoScalingGroup, instanceId: string, version: string): void {
    group.members.set(instanceId, version);
    this.#groupOf.set(instanceId, group);
  }

  leave(instanceId: string): void {
    this.#groupOf.get(instanceId)?.members.delete(instanceId);
    this.#groupOf.delete(instanceId);
  }

  member(group: SimAutoScalingGroup, instanceId: string): GroupMember | undefined {
    const instance = this.host.instance(instanceId);
    const version = group.members.get(instanceId);
    if (!instance || version === undefined) return undefined;
    const check = this.host.statusCheck(instance);
    const lifecycleState: GroupLifecycleState = isTerminating(instance)
      ? 'Terminating'
      : instance.state === 'pending' || (instance.state === 'running' && check !== 'ok')
        ? 'Pending'
        : 'InService';
    const unhealthy = check === 'impaired' || instance.state === 'stopping' || instance.state === 'stopped';
    return {
      instanceId,
      lifecycleState,
      healthStatus: unhealthy ? 'Unhealthy' : 'Healthy',
      availabilityZone: instance.availabilityZone,
      instanceType: instance.instanceType,
      imageId: instance.imageId,
      state: instance.state,
      launchTemplateVersion: version,
      protectedFromScaleIn: false,
    };
  }

  members(group: SimAutoScalingGroup): GroupMember[] {
    return [...group.members.keys()].flatMap((id) => this.member(group, id) ?? []);
  }

  /**
   * One level-triggered pass: drop terminated members, then launch until the group has `desired`
   * members that are not terminating, or scale in the surplus. Unhealthy members are kept (the
   * simulator never replaces on health), so a never-healthy replacement stays visible as such.
   */
  reconcile(): void {
    // Runs before every request, so one pass without copies: a 100,000-instance fleet's groups
    // are walked once per request, and the active list is built only when scaling in.
    for (const group of this.#groups) {
      const gone: string[] = [];
      let active = 0;
      for (const id of group.members.keys()) {
        const instance = this.host.instance(id);
        if (isGone(instance)) gone.push(id);
        else if (instance !== undefined && !isTerminating(instance)) active += 1;
      }
      for (const id of gone) this.leave(id);
      if (active < group.desiredCapacity) this.#scaleOut(group, group.desiredCapacity - active);
      else if (active > group.desiredCapacity)
        this.#scaleIn(group, this.#activeMembers(group), active - group.desiredCapacity);
    }
  }

  #activeMembers(group: SimAutoScalingGroup): string[] {
    return [...group.members.keys()].filter((id) => {
      const instance = this.host.instance(id);
      return instance !== undefined && !isTerminating(instance);
    });
  }

  terminateInstance(region: string, instanceId: string, decrement: boolean): SimAutoScalingGroup {
    const group = this.groupOf(instanceId);
    const instance = this.host.instance(instanceId);
    if (!group || group.region !== region || !instance)
      throw validation(`Instance Id not found - No managed instance found for instance ID: ${instanceId}`);
    if (isTerminating(instance))
      throw validation(`The instance ${instanceId} is already in the process of terminating (Terminating).`);
    if (decrement) {
      if (group.desiredCapacity - 1 < group.minSize)
        throw validation(
          `Currently, desiredCapacity=${group.desiredCapacity} and minSize=${group.minSize}; ` +
            'terminating the instance with ShouldDecrementDesiredCapacity would violate the group minimum.',
        );
    }
    // Terminate first: beginTermination reconciles, and a lowered desired capacity seen before the
    // instance is terminating would scale in a second, innocent member.
    this.host.beginTermination(instance);
    if (decrement) group.desiredCapacity -= 1;
    return group;
  }

  setDesiredCapacity(region: string, name: string, desired: number): void {
    const group = this.require(region, name);
    if (desired > group.maxSize)
      throw validation(
        `New SetDesiredCapacity value ${desired} is above max value ${group.maxSize} for the AutoScalingGroup.`,
      );
    if (desired < group.minSize)
      throw validation(
        `New SetDesiredCapacity value ${desired} is below min value ${group.minSize} for the AutoScalingGroup.`,
      );
    group.desiredCapacity = desired;
  }

  update(
    region: string,
    name: string,
    change: { minSize?: number; maxSize?: number; desiredCapacity?: number },
  ): void {
    const group = this.require(region, name);
    const minSize = change.minSize ?? group.minSize;
    const maxSize = change.maxSize ?? group.maxSize;
    if (maxSize < minSize)
      throw validation(`Max bound, ${maxSize}, must be greater than or equal to min bound, ${minSize}`);
    // Like AWS, narrowing min/max without a desired capacity drags desired into the new range.
    const desired = change.desiredCapacity ?? Math.min(Math.max(group.desiredCapacity, minSize), maxSize);
    if (desired < minSize || desired > maxSize)
      throw validation(
        `Desired capacity:${desired} must be between the specified min size:${minSize} and max size:${maxSize}`,
      );
    group.minSize = minSize;
    group.maxSize = maxSize;
    group.desiredCapacity = desired;
  }

  require(region: string, name: string): SimAutoScalingGroup {
    const group = this.get(region, name);
    if (!group) throw validation(`AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`);
    return group;
  }

  #scaleOut(group: SimAutoScalingGroup, count: number): void {
    const template = this.templates.byId(group.region, group.launchTemplateId);
    const version = template ? resolveVersion(template, group.launchTemplateVersion) : undefined;
    if (!version) return;
    for (let i = 0; i < count; i++) {
      const launched = this.host.launch(group, version.data, this.#leastUsedSubnet(group));
      // A failed launch is retried on a later pass, as the real service keeps trying.
      if (!launched) return;
      this.join(group, launched.instanceId, String(version.versionNumber));
    }
  }

  /** Not-yet-in-service members go first, then the oldest launches (AWS's default policy, simplified). */
  #scaleIn(group: SimAutoScalingGroup, active: string[], count: number): void {
    const ranked = active
      .map((id, order) => ({ id, order, pending: this.member(group, id)?.lifecycleState === 'Pending' }))
      .sort((a, b) => Number(b.pending) - Number(a.pending) || a.order - b.order);
    for (const { id } of ranked.slice(0, count)) {
      const instance = this.host.instance(id);
      if (instance) this.host.beginTermination(instance);
    }
  }

  /** Balances across the group's subnets (and so its availability zones). */
  #leastUsedSubnet(group: SimAutoScalingGroup): string {
    const used = new Map<string, number>(group.subnetIds.map((id) => [id, 0]));
    for (const id of group.members.keys()) {
      const instance = this.host.instance(id);
      if (instance && !isTerminating(instance) && used.has(instance.subnetId))
        used.set(instance.subnetId, (used.get(instance.subnetId) ?? 0) + 1);
    }
    let best = group.subnetIds[0] ?? '';
    for (const [id, n] of used) if (n < (used.get(best) ?? Infinity)) best = id;
    return best;
  }
}
