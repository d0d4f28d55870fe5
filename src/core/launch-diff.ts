// Compares the launch-time settings an instance was started with against what the manifest declares.
import type { Accepted, InstanceObservation, LaunchSection } from '../domain/types.js';
import type { PathDifference } from './path-difference.js';

/** A launch scalar the manifest pins to one value or a list of accepted values. */
interface LaunchScalar {
  path: readonly string[];
  declared: (launch: LaunchSection) => Accepted | undefined;
  /** undefined = not collected for this instance, so not compared; null = the instance has none. */
  observed: (instance: InstanceObservation) => string | null | undefined;
  accepts?: (declared: string, observed: string) => boolean;
}

const PROFILE_MARKER = ':instance-profile/';

/**
 * Manifests often name the profile (`web`) while EC2 reports its ARN; accepting the name against the ARN's
 * name (or path/name) avoids false alarms when the same manifest is used across accounts.
 */
function profileAccepts(declared: string, observed: string): boolean {
  if (declared === observed) return true;
  if (declared.startsWith('arn:')) return false;
  const at = observed.indexOf(PROFILE_MARKER);
  if (at < 0) return false;
  const pathAndName = observed.slice(at + PROFILE_MARKER.length);
  return pathAndName === declared || pathAndName.slice(pathAndName.lastIndexOf('/') + 1) === declared;
}

const LAUNCH_SCALARS = {
  instanceType: {
    path: ['launch', 'instanceType'],
    declared: (launch) => launch.instanceType,
    observed: (instance) => instance.instanceType,
  },
  iamInstanceProfile: {
    path: ['launch', 'iamInstanceProfile'],
    declared: (launch) => launch.iamInstanceProfile,
    observed: (instance) => instance.iamInstanceProfile,
    accepts: profileAccepts,
  },
  httpTokens: {
    path: ['launch', 'metadataOptions', 'httpTokens'],
    declared: (launch) => launch.metadataOptions?.httpTokens,
    observed: (instance) => instance.metadataOptions.httpTokens,
  },
  httpEndpoint: {
    path: ['launch', 'metadataOptions', 'httpEndpoint'],
    declared: (launch) => launch.metadataOptions?.httpEndpoint,
    observed: (instance) => instance.metadataOptions.httpEndpoint,
  },
  userDataSha256: {
    path: ['launch', 'userDataSha256'],
    declared: (launch) => launch.userDataSha256,
    observed: (instance) => instance.userDataSha256,
  },
} satisfies Record<string, LaunchScalar>;

function diffScalar(
  scalar: LaunchScalar,
  launch: LaunchSection,
  instance: InstanceObservation,
): PathDifference[] {
  const declared = scalar.declared(launch);
  const observed = scalar.observed(instance);
  if (declared === undefined || observed === undefined) return [];
  if (observed === null) return [{ path: scalar.path, change: 'removed', expected: declared, actual: null }];
  const accepts = scalar.accepts ?? ((d: string, o: string) => d === o);
  const accepted = typeof declared === 'string' ? [declared] : declared;
  if (accepted.some((d) => accepts(d, observed))) return [];
  return [{ path: scalar.path, change: 'changed', expected: declared, actual: observed }];
}

/** Security groups are a set: each member is its own path so one hand-attached group is one finding. */
function diffSecurityGroups(declared: readonly string[], observed: readonly string[]): PathDifference[] {
  const want = new Set(declared);
  const have = new Set(observed);
  const out: PathDifference[] = [];
  for (const sg of have) {
    if (!want.has(sg))
      out.push({ path: ['launch', 'securityGroups', sg], change: 'added', expected: null, actual: sg });
  }
  for (const sg of want) {
    if (!have.has(sg))
      out.push({ path: ['launch', 'securityGroups', sg], change: 'removed', expected: sg, actual: null });
  }
  return out;
}

/** Tags in the manifest are required ones; extra tags on the instance (cost centre, owner…) are not drift. */
function diffRequiredTags(required: Record<string, string>, tags: Record<string, string>): PathDifference[] {
  const out: PathDifference[] = [];
  for (const [key, value] of Object.entries(required)) {
    const path = ['launch', 'tags', key];
    if (!Object.hasOwn(tags, key)) out.push({ path, change: 'removed', expected: value, actual: null });
    else if (tags[key] !== value) out.push({ path, change: 'changed', expected: value, actual: tags[key] });
  }
  return out;
}

export function diffLaunch(launch: LaunchSection, instance: InstanceObservation): PathDifference[] {
  const out = Object.values(LAUNCH_SCALARS).flatMap((scalar: LaunchScalar) =>
    diffScalar(scalar, launch, instance),
  );
  if (launch.securityGroups !== undefined)
    out.push(...diffSecurityGroups(launch.securityGroups, instance.securityGroups));
  if (launch.tags !== undefined) out.push(...diffRequiredTags(launch.tags, instance.tags));
  return out;
}
