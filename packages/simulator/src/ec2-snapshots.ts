// CreateSnapshot and DescribeSnapshots over instance root volumes (evidence kept before a termination).
import { checkDryRun, requireParam, type Ec2Handler } from './ec2-context.js';
import { compileFilters } from './ec2-filters.js';
import { tagSetXml } from './ec2-xml.js';
import type { SimWorld } from './sim-world.js';
import { filtersParam, listParam, structListParam, type QueryParams } from './query-protocol.js';
import { Ec2ApiError } from './sim-errors.js';
import type { SimSnapshot } from './snapshots.js';
import { itemSet, textElement } from './xml.js';

function snapshotXml(fleet: SimWorld, snapshot: SimSnapshot): string {
  const state = fleet.snapshotState(snapshot);
  return [
    textElement('snapshotId', snapshot.snapshotId),
    textElement('volumeId', snapshot.volumeId),
    textElement('status', state),
    textElement('startTime', snapshot.startTime),
    textElement('progress', state === 'completed' ? '100%' : '0%'),
    textElement('ownerId', snapshot.ownerId),
    textElement('description', snapshot.description),
    textElement('volumeSize', snapshot.volumeSize),
    textElement('encrypted', false),
    textElement('storageTier', 'standard'),
    tagSetXml(snapshot.tags),
  ].join('');
}

/** `TagSpecification.N` entries for one resource type → tags (later keys win). */
export function tagSpecifications(params: QueryParams, resourceType: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const spec of structListParam(params, 'TagSpecification')) {
    if (spec.get('ResourceType') !== resourceType) continue;
    for (let n = 1; spec.has(`Tag.${n}.Key`); n++)
      tags.set(spec.get(`Tag.${n}.Key`) ?? '', spec.get(`Tag.${n}.Value`) ?? '');
  }
  return tags;
}

const createSnapshot: Ec2Handler = (ctx) => {
  const volumeId = requireParam(ctx.params, 'VolumeId');
  const instance = ctx.fleet.instanceByRootVolume(volumeId);
  if (!instance || instance.region !== ctx.region)
    throw new Ec2ApiError('InvalidVolume.NotFound', `The volume '${volumeId}' does not exist.`);
  checkDryRun(ctx.params);
  const snapshot = ctx.fleet.createSnapshot({
    instance,
    volumeId,
    description: ctx.params.get('Description') ?? '',
    tags: tagSpecifications(ctx.params, 'snapshot'),
  });
  return snapshotXml(ctx.fleet, snapshot);
};

const SNAPSHOT_FILTERS = {
  'snapshot-id': (s: SimSnapshot) => [s.snapshotId],
  'volume-id': (s: SimSnapshot) => [s.volumeId],
  'owner-id': (s: SimSnapshot) => [s.ownerId],
  description: (s: SimSnapshot) => [s.description],
  'tag-key': (s: SimSnapshot) => [...s.tags.keys()],
  'tag-value': (s: SimSnapshot) => [...s.tags.values()],
};

/** By `SnapshotId.N`, `Owner.N` (`self` = this account) and filters; the simulator has no public snapshots. */
const describeSnapshots: Ec2Handler = (ctx) => {
  checkDryRun(ctx.params);
  const ids = listParam(ctx.params, 'SnapshotId');
  const owners = listParam(ctx.params, 'Owner').map((o) => (o === 'self' ? ctx.fleet.account : o));
  const inRegion = ctx.fleet.snapshots.inRegion(ctx.region);
  const missing = ids.filter((id) => !inRegion.some((s) => s.snapshotId === id));
  if (missing.length > 0)
    throw new Ec2ApiError('InvalidSnapshot.NotFound', `The snapshot '${missing.join(', ')}' does not exist.`);
  const filters = filtersParam(ctx.params);
  const status = filters.find((f) => f.name === 'status');
  const matches = compileFilters(
    filters.filter((f) => f.name !== 'status'),
    SNAPSHOT_FILTERS,
    (s, key) => s.tags.get(key),
  );
  const selected = inRegion.filter(
    (s) =>
      (ids.length === 0 || ids.includes(s.snapshotId)) &&
      (owners.length === 0 || owners.includes(s.ownerId)) &&
      (!status || status.values.includes(ctx.fleet.snapshotState(s))) &&
      matches(s),
  );
  return itemSet(
    'snapshotSet',
    selected.map((s) => snapshotXml(ctx.fleet, s)),
  );
};

export const SNAPSHOT_ACTIONS = {
  CreateSnapshot: createSnapshot,
  DescribeSnapshots: describeSnapshots,
} satisfies Record<string, Ec2Handler>;
