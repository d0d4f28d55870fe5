// DescribeInstanceStatus: the status checks a replacement waits on before it calls a new instance healthy.
import { checkDryRun, instancesInRegion, type Ec2Context, type Ec2Handler } from './ec2-context.js';
import { decodeToken, encodeToken, maxResultsParam } from './ec2-describe.js';
import { compileFilters } from './ec2-filters.js';
import { stateXml } from './ec2-xml.js';
import type { SimInstance } from './world-types.js';
import type { StatusCheck } from './lifecycle.js';
import { filtersParam, listParam } from './query-protocol.js';
import { Ec2ApiError } from './sim-errors.js';
import { element, itemSet, textElement } from './xml.js';

interface StatusRow {
  instance: SimInstance;
  /** The instance check; the system (hardware) check is never what the simulator breaks. */
  check: StatusCheck;
}

const systemCheck = (check: StatusCheck): StatusCheck => (check === 'impaired' ? 'ok' : check);

const STATUS_FILTERS = {
  'instance-id': (row: StatusRow) => [row.instance.instanceId],
  'instance-state-name': (row: StatusRow) => [row.instance.state],
  'availability-zone': (row: StatusRow) => [row.instance.availabilityZone],
  'instance-status.status': (row: StatusRow) => [row.check],
  'system-status.status': (row: StatusRow) => [systemCheck(row.check)],
};

const DETAIL_STATUS: Record<StatusCheck, string | null> = {
  ok: 'passed',
  initializing: 'initializing',
  impaired: 'failed',
  'not-applicable': null,
};

function summaryXml(name: string, check: StatusCheck, impairedSince: number | null): string {
  const detail = DETAIL_STATUS[check];
  const details =
    detail === null
      ? ''
      : itemSet('details', [
          textElement('name', 'reachability') +
            textElement('status', detail) +
            textElement(
              'impairedSince',
              check === 'impaired' && impairedSince !== null
                ? new Date(impairedSince).toISOString()
                : undefined,
            ),
        ]);
  return element(name, textElement('status', check) + details);
}

function statusXml(ctx: Ec2Context, row: StatusRow): string {
  const { instance, check } = row;
  return (
    textElement('instanceId', instance.instanceId) +
    textElement('availabilityZone', instance.availabilityZone) +
    element('eventsSet', '') +
    stateXml('instanceState', instance.state) +
    summaryXml('systemStatus', systemCheck(check), null) +
    summaryXml('instanceStatus', check, ctx.fleet.lifecycle.impairedSince(instance.instanceId))
  );
}

/** Only running instances unless IncludeAllInstances=true, as in EC2; paginated by instance id. */
const describeInstanceStatus: Ec2Handler = (ctx) => {
  checkDryRun(ctx.params);
  const instanceIds = listParam(ctx.params, 'InstanceId');
  const maxResults = maxResultsParam(ctx, 5, 1000);
  if (instanceIds.length > 0 && maxResults !== null)
    throw new Ec2ApiError(
      'InvalidParameterCombination',
      'The parameter instancesSet cannot be used with the parameter maxResults',
    );
  const includeAll = ctx.params.get('IncludeAllInstances') === 'true';
  const matches = compileFilters(filtersParam(ctx.params), STATUS_FILTERS, () => undefined);
  const token = ctx.params.get('NextToken');
  const after = token ? decodeToken(token) : null;
  const candidates = (
    instanceIds.length > 0 ? instancesInRegion(ctx, instanceIds) : ctx.fleet.instancesIn(ctx.region)
  )
    .filter(
      (instance) =>
        (includeAll || instance.state === 'running') && (after === null || instance.instanceId > after),
    )
    .sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1))
    .map((instance): StatusRow => ({ instance, check: ctx.fleet.statusCheck(instance) }))
    .filter(matches);
  const page = maxResults === null ? candidates : candidates.slice(0, maxResults);
  const last = page[page.length - 1];
  const nextToken =
    page.length < candidates.length && last ? encodeToken(last.instance.instanceId) : undefined;
  return (
    itemSet(
      'instanceStatusSet',
      page.map((row) => statusXml(ctx, row)),
    ) + textElement('nextToken', nextToken)
  );
};

export const LIFECYCLE_ACTIONS = {
  DescribeInstanceStatus: describeInstanceStatus,
} satisfies Record<string, Ec2Handler>;
