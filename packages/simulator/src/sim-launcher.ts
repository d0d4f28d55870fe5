// Launching instances: a reservation of instances copied from an image's baked spec, placed in a subnet.
import type { LaunchSpec } from './control-schemas.js';
import { freshId, resourceId } from './ids.js';
import type { LaunchFailures } from './launch-failures.js';
import type { InstanceLifecycle } from './lifecycle.js';
import type { Prng } from './prng.js';
import { SimulatorInputError } from './sim-errors.js';
import type { ImageCatalog } from './sim-images.js';
import { isoSeconds } from './sim-images.js';
import type { InstanceRegistry } from './sim-instances.js';
import type { SimNetwork } from './sim-network.js';
import { instanceFromImage, privateIpFor } from './world-generator.js';
import type { SimImage, SimInstance } from './world-types.js';

export interface LauncherOptions {
  regions: readonly string[];
  /** The world's runtime source, shared so ids come out in the same order whoever launches. */
  prng: Prng;
  now: () => Date;
  network: SimNetwork;
  images: ImageCatalog;
  instances: InstanceRegistry;
  lifecycle: InstanceLifecycle;
  failures: LaunchFailures;
  /** Puts instances launched into a named group into its Auto Scaling group. */
  adopt(group: string, region: string, launched: readonly SimInstance[]): void;
}

export class Launcher {
  constructor(private readonly options: LauncherOptions) {}

  /** Launches `count` identical instances sharing one reservation, as one RunInstances call does. */
  launchReservation(spec: LaunchSpec, count: number, group: string | null): SimInstance[] {
    const reservationId = this.newReservationId();
    const launched: SimInstance[] = [];
    for (let i = 0; i < count; i++) launched.push(this.launchOne(spec, reservationId, group));
    if (group !== null) this.options.adopt(group, spec.region, launched);
    return launched;
  }

  newReservationId(): string {
    return resourceId(this.options.prng, 'r');
  }

  /** Starts the lifecycle clock of a launch (an injected never-healthy failure keeps it impaired). */
  trackLaunch(instance: SimInstance, group: string | null): void {
    const { failures, lifecycle, now } = this.options;
    const neverHealthy = failures.isNeverHealthy({ group, imageId: instance.imageId });
    lifecycle.trackLaunch(instance.instanceId, now().getTime(), neverHealthy);
  }

  launchOne(spec: LaunchSpec, reservationId: string, group: string | null): SimInstance {
    const { network, prng, instances, now, regions } = this.options;
    const subnets = network.subnetsIn(spec.region);
    if (subnets.length === 0)
      throw new SimulatorInputError(
        'region',
        `unknown region ${spec.region}; the fleet has ${regions.join(', ')}`,
      );
    const template = this.#templateImage(spec);
    const subnet =
      spec.subnetId === undefined ? prng.pick(subnets) : subnets.find((s) => s.subnetId === spec.subnetId);
    if (!subnet)
      throw new SimulatorInputError('subnetId', `no subnet ${spec.subnetId ?? ''} in ${spec.region}`);
    const n = network.place(subnet);
    const channel = template.channel || null;
    const instance = instanceFromImage({
      prng,
      instanceId: freshId(prng, 'i', (id) => instances.has(id)),
      reservationId,
      image: template,
      subnet,
      privateIpAddress: privateIpFor(subnet, n),
      launchTime: isoSeconds(now()),
      instanceProfileId: network.profileFor(template.spec.iamInstanceProfileArn).id,
      name: `${channel ?? 'instance'}-${spec.region}-${n + 1}`,
      env: spec.env ?? 'prod',
      group,
    });
    instance.channel = channel;
    if (spec.instanceType !== undefined) instance.instanceType = spec.instanceType;
    if (spec.securityGroups !== undefined) instance.securityGroupIds = [...new Set(spec.securityGroups)];
    if (spec.iamInstanceProfile !== undefined) {
      instance.iamInstanceProfile =
        spec.iamInstanceProfile === null ? null : network.profileFor(spec.iamInstanceProfile);
    }
    if (spec.httpTokens !== undefined) instance.metadataOptions.httpTokens = spec.httpTokens;
    if (spec.httpEndpoint !== undefined) instance.metadataOptions.httpEndpoint = spec.httpEndpoint;
    if (spec.userData !== undefined) instance.userData = spec.userData;
    if (spec.state !== undefined) instance.state = spec.state;
    for (const [key, value] of Object.entries(spec.tags ?? {})) instance.tags.set(key, value);
    instances.add(instance);
    return instance;
  }

  /** The image whose spec a launch copies; for an unbaked imageId, a stand-in built from its channel. */
  #templateImage(spec: LaunchSpec): SimImage {
    const { images } = this.options;
    if (spec.imageId !== undefined) {
      const known = images.get(spec.imageId);
      if (known) {
        if (known.region !== spec.region)
          throw new SimulatorInputError(
            'imageId',
            `image ${spec.imageId} is in ${known.region}, not ${spec.region}`,
          );
        return known;
      }
      const channel = spec.channel ?? '';
      const base = channel ? images.newest(spec.region, channel) : undefined;
      const stand = base ?? images.all.find((image) => image.region === spec.region);
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
    const newest = images.newest(spec.region, channel);
    if (!newest) throw new SimulatorInputError('channel', `no image of channel ${channel} in ${spec.region}`);
    return newest;
  }
}
