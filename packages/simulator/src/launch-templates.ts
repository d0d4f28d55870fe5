// EC2 launch templates of the simulated Auto Scaling groups: numbered versions of what to launch.
import type { SimImage } from './world-types.js';

export interface LaunchTemplateData {
  imageId: string;
  instanceType: string;
  iamInstanceProfileArn: string;
  securityGroupIds: string[];
  httpTokens: 'required' | 'optional';
  /** Plain text; rendered base64 like EC2. */
  userData: string;
  /** Tags for launched instances (resource type `instance`). */
  tags: Record<string, string>;
}

export interface LaunchTemplateVersion {
  versionNumber: number;
  createTime: string;
  description: string;
  data: LaunchTemplateData;
}

export interface SimLaunchTemplate {
  launchTemplateId: string;
  launchTemplateName: string;
  region: string;
  defaultVersion: number;
  latestVersion: number;
  versions: LaunchTemplateVersion[];
}

/** What a pipeline writes into a group's template for a newly baked image. */
export function templateDataFromImage(image: SimImage, group: string): LaunchTemplateData {
  const { spec } = image;
  return {
    imageId: image.imageId,
    instanceType: spec.instanceTypes[0] ?? 't3.micro',
    iamInstanceProfileArn: spec.iamInstanceProfileArn,
    securityGroupIds: [...spec.securityGroupIds],
    httpTokens: spec.httpTokens,
    userData: spec.userData,
    tags: { ...spec.requiredTags, 'aws:autoscaling:groupName': group },
  };
}

export class LaunchTemplateRegistry {
  readonly #templates: SimLaunchTemplate[] = [];

  create(input: {
    id: string;
    name: string;
    region: string;
    data: LaunchTemplateData;
    at: string;
  }): SimLaunchTemplate {
    const template: SimLaunchTemplate = {
      launchTemplateId: input.id,
      launchTemplateName: input.name,
      region: input.region,
      defaultVersion: 1,
      latestVersion: 1,
      versions: [{ versionNumber: 1, createTime: input.at, description: 'initial', data: input.data }],
    };
    this.#templates.push(template);
    return template;
  }

  /** A new version that also becomes the default, the way a bake pipeline promotes its build. */
  addVersion(template: SimLaunchTemplate, data: LaunchTemplateData, at: string, description: string): void {
    const versionNumber = template.latestVersion + 1;
    template.versions.push({ versionNumber, createTime: at, description, data });
    template.latestVersion = versionNumber;
    template.defaultVersion = versionNumber;
  }

  byId(region: string, id: string): SimLaunchTemplate | undefined {
    return this.#templates.find((t) => t.region === region && t.launchTemplateId === id);
  }

  byName(region: string, name: string): SimLaunchTemplate | undefined {
    return this.#templates.find((t) => t.region === region && t.launchTemplateName === name);
  }

  has(id: string): boolean {
    return this.#templates.some((t) => t.launchTemplateId === id);
  }

  all(): readonly SimLaunchTemplate[] {
    return this.#templates;
  }
}

/** `$Latest`, `$Default` or a number → that version, or undefined when it does not exist. */
export function resolveVersion(
  template: SimLaunchTemplate,
  version: string,
): LaunchTemplateVersion | undefined {
  const number =
    version === '$Latest'
      ? template.latestVersion
      : version === '$Default'
        ? template.defaultVersion
        : /^\d+$/.test(version)
          ? Number(version)
          : NaN;
  return template.versions.find((v) => v.versionNumber === number);
}
