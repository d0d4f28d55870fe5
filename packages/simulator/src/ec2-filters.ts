// EC2 `Filter.N` semantics: filters AND together, values OR within a filter, `*`/`?` wildcards.
import type { SimImage, SimInstance } from './world-types.js';
import type { Ec2Filter } from './query-protocol.js';
import { Ec2ApiError } from './sim-errors.js';

type Extractor<T> = (resource: T) => readonly string[];

export const INSTANCE_FILTERS = {
  'instance-state-name': (i) => [i.state],
  'instance-id': (i) => [i.instanceId],
  'image-id': (i) => [i.imageId],
  'instance-type': (i) => [i.instanceType],
  'subnet-id': (i) => [i.subnetId],
  'vpc-id': (i) => [i.vpcId],
  'availability-zone': (i) => [i.availabilityZone],
  'private-ip-address': (i) => [i.privateIpAddress],
  'reservation-id': (i) => [i.reservationId],
  'instance.group-id': (i) => i.securityGroupIds,
  'metadata-options.http-tokens': (i) => [i.metadataOptions.httpTokens],
  'tag-key': (i) => [...i.tags.keys()],
  'tag-value': (i) => [...i.tags.values()],
} satisfies Record<string, Extractor<SimInstance>>;

export const IMAGE_FILTERS = {
  'image-id': (image) => [image.imageId],
  name: (image) => [image.name],
  state: (image) => [image.state],
  'owner-id': (image) => [image.ownerId],
  'tag-key': (image) => Object.keys(image.tags),
  'tag-value': (image) => Object.values(image.tags),
} satisfies Record<string, Extractor<SimImage>>;

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/** Compiles filters once per request into one predicate; an unknown filter name is EC2's 400. */
export function compileFilters<T>(
  filters: readonly Ec2Filter[],
  registry: Record<string, Extractor<T>>,
  tagValue: (resource: T, key: string) => string | undefined,
): (resource: T) => boolean {
  const predicates = filters.map((filter): ((resource: T) => boolean) => {
    const patterns = filter.values.map(globToRegExp);
    const matches = (values: readonly (string | undefined)[]): boolean =>
      values.some((value) => value !== undefined && patterns.some((re) => re.test(value)));
    if (filter.name.startsWith('tag:')) {
      const key = filter.name.slice(4);
      return (resource) => matches([tagValue(resource, key)]);
    }
    const extract = Object.hasOwn(registry, filter.name) ? registry[filter.name] : undefined;
    if (!extract) throw new Ec2ApiError('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    return (resource) => matches(extract(resource));
  });
  return (resource) => predicates.every((predicate) => predicate(resource));
}
