// DescribeLaunchTemplateVersions: what an Auto Scaling group's template launches, version by version.
import { checkDryRun, type Ec2Handler } from './ec2-context.js';
import { resolveVersion, type LaunchTemplateVersion, type SimLaunchTemplate } from './launch-templates.js';
import { listParam } from './query-protocol.js';
import { Ec2ApiError } from './sim-errors.js';
import { element, escapeXml, itemSet, textElement } from './xml.js';

function templateDataXml(version: LaunchTemplateVersion): string {
  const { data } = version;
  const profileName = data.iamInstanceProfileArn.slice(data.iamInstanceProfileArn.lastIndexOf('/') + 1);
  const tags = Object.entries(data.tags).map(
    ([key, value]) => textElement('key', key) + textElement('value', value),
  );
  return element(
    'launchTemplateData',
    [
      element(
        'iamInstanceProfile',
        textElement('arn', data.iamInstanceProfileArn) + textElement('name', profileName),
      ),
      textElement('imageId', data.imageId),
      textElement('instanceType', data.instanceType),
      textElement('userData', Buffer.from(data.userData, 'utf8').toString('base64')),
      itemSet('tagSpecificationSet', [textElement('resourceType', 'instance') + itemSet('tagSet', tags)]),
      itemSet('securityGroupIdSet', data.securityGroupIds.map(escapeXml)),
      element(
        'metadataOptions',
        textElement('httpTokens', data.httpTokens) +
          textElement('httpPutResponseHopLimit', 2) +
          textElement('httpEndpoint', 'enabled'),
      ),
    ].join(''),
  );
}

function versionXml(account: string, template: SimLaunchTemplate, version: LaunchTemplateVersion): string {
  return [
    textElement('launchTemplateId', template.launchTemplateId),
    textElement('launchTemplateName', template.launchTemplateName),
    textElement('versionNumber', version.versionNumber),
    textElement('versionDescription', version.description),
    textElement('createTime', version.createTime),
    textElement('createdBy', `arn:aws:iam::${account}:role/image-pipeline`),
    textElement('defaultVersion', version.versionNumber === template.defaultVersion),
    templateDataXml(version),
  ].join('');
}

/** By id or name; `LaunchTemplateVersion.N` takes numbers, `$Latest` and `$Default` (all versions when absent). */
const describeLaunchTemplateVersions: Ec2Handler = (ctx) => {
  checkDryRun(ctx.params);
  const id = ctx.params.get('LaunchTemplateId');
  const name = ctx.params.get('LaunchTemplateName');
  if (id === undefined && name === undefined)
    throw new Ec2ApiError(
      'MissingParameter',
      'The request must contain the parameter LaunchTemplateId or LaunchTemplateName',
    );
  const template =
    id !== undefined
      ? ctx.fleet.launchTemplates.byId(ctx.region, id)
      : ctx.fleet.launchTemplates.byName(ctx.region, name ?? '');
  if (!template) {
    if (id !== undefined)
      throw new Ec2ApiError(
        'InvalidLaunchTemplateId.NotFound',
        `The specified launch template, with template ID ${id}, does not exist.`,
      );
    throw new Ec2ApiError(
      'InvalidLaunchTemplateName.NotFoundException',
      `The specified launch template, with template name ${name ?? ''}, does not exist.`,
    );
  }
  const wanted = listParam(ctx.params, 'LaunchTemplateVersion');
  const versions =
    wanted.length === 0
      ? [...template.versions].sort((a, b) => b.versionNumber - a.versionNumber)
      : wanted.map((v) => {
          const version = resolveVersion(template, v);
          if (!version)
            throw new Ec2ApiError(
              'InvalidLaunchTemplateId.VersionNotFound',
              `Could not find launch template version ${v} for template ${template.launchTemplateId}.`,
            );
          return version;
        });
  const unique = [...new Map(versions.map((v) => [v.versionNumber, v])).values()];
  return itemSet(
    'launchTemplateVersionSet',
    unique.map((v) => versionXml(ctx.fleet.account, template, v)),
  );
};

export const LAUNCH_TEMPLATE_ACTIONS = {
  DescribeLaunchTemplateVersions: describeLaunchTemplateVersions,
} satisfies Record<string, Ec2Handler>;
