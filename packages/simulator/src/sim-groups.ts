// Auto Scaling groups in the world: seeded from group tags, grown by control-API launches, launching from templates.
import { ASG_TAG, buildGroup, membersByGroup, type GroupSeed } from './asg-seed.js';
import type { AutoScalingGroups, SimAutoScalingGroup } from './asg-state.js';
import type { LaunchSpec } from './control-schemas.js';
import type { LaunchFailures } from './launch-failures.js';
import {
  resolveVersion,
  templateDataFromImage,
  type LaunchTemplateData,
  type LaunchTemplateRegistry,
} from './launch-templates.js';
import { createPrng, deriveSeed, type Prng } from './prng.js';
import type { ImageCatalog } from './sim-images.js';
import type { Launcher } from './sim-launcher.js';
import type { SimNetwork } from './sim-network.js';
import type { SimImage, SimInstance } from './world-types.js';

export interface GroupProvisionerOptions {
  account: string;
  seed: number;
  /** The world's runtime source (groups created at runtime take their ids from it). */
  prng: Prng;
  now: () => Date;
  network: SimNetwork;
  images: ImageCatalog;
  launchTemplates: LaunchTemplateRegistry;
  failures: LaunchFailures;
  autoScaling: () => AutoScalingGroups;
  launcher: () => Launcher;
}

export class GroupProvisioner {
  constructor(private readonly options: GroupProvisionerOptions) {}

  /** Every seeded `aws:autoscaling:groupName` becomes a real group at exactly its current size. */
  seed(instances: readonly SimInstance[]): void {
    const { images } = this.options;
    const prng = createPrng(deriveSeed(this.options.seed, 'autoscaling'));
    for (const members of membersByGroup(instances)) {
      const first = members[0];
      const name = first?.tags.get(ASG_TAG);
      if (!first || name === undefined) continue;
      const image =
        (first.channel !== null ? images.newest(first.region, first.channel) : undefined) ??
        images.get(first.imageId);
      if (!image) continue;
      const createdTime = members.map((i) => i.launchTime).sort()[0] ?? image.builtAt;
      this.#create(prng, { name, image, channel: first.channel, createdTime, members });
    }
  }

  /** Control-API launches into a group grow it, so the group neither replaces nor scales them in. */
  adopt(name: string, region: string, launched: readonly SimInstance[]): void {
    const { images, launchTemplates, now } = this.options;
    const autoScaling = this.options.autoScaling();
    const first = launched[0];
    if (!first) return;
    const group =
      autoScaling.get(region, name) ??
      this.#create(this.options.prng, {
        name,
        image: (first.channel ? images.newest(region, first.channel) : undefined) ??
          images.get(first.imageId) ?? { ...images.anyIn(region), imageId: first.imageId },
        channel: first.channel,
        createdTime: now().toISOString(),
        members: [],
      });
    const template = launchTemplates.byId(region, group.launchTemplateId);
    const version = template
      ? String(resolveVersion(template, group.launchTemplateVersion)?.versionNumber ?? 1)
      : '1';
    for (const instance of launched) autoScaling.join(group, instance.instanceId, version);
    group.desiredCapacity += launched.length;
    group.maxSize = Math.max(group.maxSize, group.desiredCapacity);
  }

  /** One group launch from its template; null when an injected launch failure swallowed it. */
  launchFor(group: SimAutoScalingGroup, data: LaunchTemplateData, subnetId: string): SimInstance | null {
    if (this.options.failures.consumeLaunchFailure()) return null;
    const launcher = this.options.launcher();
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
    const instance = launcher.launchOne(spec, launcher.newReservationId(), group.name);
    launcher.trackLaunch(instance, group.name);
    return instance;
  }

  /** What a bake pipeline does after a build: a new default template version for the channel's groups. */
  promote(image: SimImage): void {
    const { launchTemplates, now } = this.options;
    const at = now().toISOString();
    for (const group of this.options.autoScaling().all(image.region)) {
      if (group.channel !== image.channel) continue;
      const template = launchTemplates.byId(group.region, group.launchTemplateId);
      if (template)
        launchTemplates.addVersion(template, templateDataFromImage(image, group.name), at, image.name);
    }
  }

  #create(prng: Prng, seed: GroupSeed): SimAutoScalingGroup {
    const { account, network, launchTemplates } = this.options;
    const deps = { prng, account, subnets: network.subnets, templates: launchTemplates };
    return this.options.autoScaling().add(buildGroup(deps, seed));
  }
}
