// The simulator's AWS Config (JSON 1.1) over the real SDK client: SSM inventory items, pagination, errors, faults.
import {
  BatchGetResourceConfigCommand,
  SelectResourceConfigCommand,
  type ResourceType,
} from '@aws-sdk/client-config-service';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatorControl, startSimulator, type Simulator } from '@driftwarden/simulator';
import { configClient, ManualClock, rejection } from './sdk-client.js';

const INVENTORY = 'AWS::SSM::ManagedInstanceInventory' as ResourceType;

let sim: Simulator;
let control: SimulatorControl;
const clock = new ManualClock('2026-11-26T12:00:00Z');

beforeAll(async () => {
  sim = await startSimulator({ instances: 30, now: clock.now });
  control = new SimulatorControl(sim.url);
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  await control.clearFaults();
});

const live = (region: string) =>
  sim.fleet
    .allInstances()
    .filter((i) => i.region === region && i.state !== 'terminated' && i.state !== 'shutting-down')
    .map((i) => i.instanceId)
    .sort();

async function selectAll(region: string, expression: string, limit = 7) {
  const client = configClient(sim, region);
  const rows: Record<string, string>[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await client.send(
      new SelectResourceConfigCommand({ Expression: expression, Limit: limit, NextToken: nextToken }),
    );
    pages++;
    for (const result of page.Results ?? []) rows.push(JSON.parse(result) as Record<string, string>);
    nextToken = page.NextToken;
  } while (nextToken);
  return { rows, pages };
}

describe('SelectResourceConfig', () => {
  it('lists every live instance of the region as an inventory item, page by page', async () => {
    const { rows, pages } = await selectAll(
      'us-east-1',
      `SELECT resourceId, configurationItemCaptureTime WHERE resourceType = '${INVENTORY}'`,
    );
    expect(rows.map((r) => r.resourceId)).toEqual(live('us-east-1'));
    expect(pages).toBe(Math.ceil(live('us-east-1').length / 7));
    expect(rows[0]).toEqual({
      resourceId: expect.stringMatching(/^i-/) as unknown,
      configurationItemCaptureTime: '2026-11-26T12:00:00.000Z',
    });
  });

  it('returns QueryInfo with the selected fields', async () => {
    const out = await configClient(sim).send(
      new SelectResourceConfigCommand({
        Expression: `SELECT resourceId, awsRegion WHERE resourceType = '${INVENTORY}'`,
        Limit: 1,
      }),
    );
    expect(out.QueryInfo?.SelectFields).toEqual([{ Name: 'resourceId' }, { Name: 'awsRegion' }]);
    expect(out.Results).toHaveLength(1);
    expect(out.NextToken).toEqual(expect.any(String));
  });

  it('filters on configurationItemCaptureTime: only items captured after a drift are newer', async () => {
    const [instanceId] = live('eu-west-1');
    const expression = (after: string) =>
      `SELECT resourceId, configurationItemCaptureTime WHERE resourceType = '${INVENTORY}' AND configurationItemCaptureTime > '${after}'`;
    await selectAll('eu-west-1', expression('2000-01-01T00:00:00Z'));
    clock.advance(60_000);
    expect((await selectAll('eu-west-1', expression('2026-11-26T12:00:00.000Z'))).rows).toEqual([]);

    await control.drift(instanceId as string, { host: { packages: { curl: '9.9.9' } } });
    clock.advance(1_000);
    const { rows } = await selectAll('eu-west-1', expression('2026-11-26T12:00:00.000Z'));
    expect(rows).toEqual([
      { resourceId: instanceId, configurationItemCaptureTime: '2026-11-26T12:01:01.000Z' },
    ]);
  });

  it('rejects an expression it cannot read with InvalidExpressionException, and a large Limit', async () => {
    const client = configClient(sim);
    const bad = await rejection(
      client.send(new SelectResourceConfigCommand({ Expression: 'SELECT * FROM everything' })),
    );
    expect(bad.name).toBe('InvalidExpressionException');
    expect(bad.$metadata?.httpStatusCode).toBe(400);
    const limit = await rejection(
      client.send(new SelectResourceConfigCommand({ Expression: 'SELECT resourceId', Limit: 500 })),
    );
    expect(limit.name).toBe('InvalidLimitException');
  });
});

describe('BatchGetResourceConfig', () => {
  it('returns the SSM inventory item: epoch capture time, configuration as a JSON string', async () => {
    const [instanceId] = live('us-east-1');
    const instance = sim.fleet.instance(instanceId ?? '');
    const out = await configClient(sim).send(
      new BatchGetResourceConfigCommand({
        resourceKeys: [
          { resourceType: INVENTORY, resourceId: instanceId },
          { resourceType: INVENTORY, resourceId: 'i-0000000000000dead' },
        ],
      }),
    );
    expect(out.unprocessedResourceKeys).toEqual([]);
    expect(out.baseConfigurationItems).toHaveLength(1);
    const item = out.baseConfigurationItems?.[0];
    expect(item).toMatchObject({
      resourceType: INVENTORY,
      resourceId: instanceId,
      accountId: '123456789012',
      awsRegion: 'us-east-1',
      configurationItemStatus: 'OK',
      version: '1.3',
      arn: `arn:aws:ssm:us-east-1:123456789012:managed-instance-inventory/${instanceId}`,
    });
    expect(item?.configurationItemCaptureTime).toBeInstanceOf(Date);
    const configuration = JSON.parse(item?.configuration ?? '{}') as Record<
      string,
      { SchemaVersion: string; CaptureTime: string; Content: Record<string, Record<string, string>> }
    >;
    const apps = configuration['AWS:Application'];
    expect(apps?.SchemaVersion).toBe('1.1');
    expect(apps?.CaptureTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const entries: Record<string, string>[] = Object.values(apps?.Content ?? {});
    const versions = Object.fromEntries(
      entries.map((a): [string, string | undefined] => [a.Name ?? '', a.Version]),
    );
    expect(versions).toEqual(instance?.host.packages);
    const information = configuration['AWS:InstanceInformation'];
    expect(Object.keys(information?.Content ?? {})).toEqual([instanceId]);
  });

  it('leaves the next N keys unprocessed when told to, as Config does under load', async () => {
    const ids = live('us-east-1').slice(0, 3);
    await control.config({ unprocessedKeys: 2 });
    const keys = ids.map((resourceId) => ({ resourceType: INVENTORY, resourceId }));
    const out = await configClient(sim).send(new BatchGetResourceConfigCommand({ resourceKeys: keys }));
    expect(out.unprocessedResourceKeys).toEqual(keys.slice(0, 2));
    expect(out.baseConfigurationItems?.map((i) => i.resourceId)).toEqual(ids.slice(2));
    const again = await configClient(sim).send(new BatchGetResourceConfigCommand({ resourceKeys: keys }));
    expect(again.unprocessedResourceKeys).toEqual([]);
  });

  it('refuses more than 100 keys with ValidationException', async () => {
    const keys = Array.from({ length: 101 }, (_, n) => ({
      resourceType: INVENTORY,
      resourceId: `i-${String(n).padStart(17, '0')}`,
    }));
    const error = await rejection(
      configClient(sim).send(new BatchGetResourceConfigCommand({ resourceKeys: keys })),
    );
    expect(error.name).toBe('ValidationException');
  });
});

describe('faults and the request log', () => {
  it('throttles Config per region and operation as ThrottlingException, and logs every call', async () => {
    await control.fault({ kind: 'throttle', region: 'eu-west-1', operation: 'SelectResourceConfig' });
    const since = sim.requestLog().at(-1)?.seq ?? 0;
    const expression = `SELECT resourceId WHERE resourceType = '${INVENTORY}'`;
    const error = await rejection(
      configClient(sim, 'eu-west-1').send(new SelectResourceConfigCommand({ Expression: expression })),
    );
    expect(error.name).toBe('ThrottlingException');
    await expect(
      configClient(sim, 'us-east-1').send(new SelectResourceConfigCommand({ Expression: expression })),
    ).resolves.toHaveProperty('Results');
    const logged = sim.requestLog(since).map((e) => [e.service, e.region, e.action, e.status, e.errorCode]);
    expect(logged).toEqual([
      ['config', 'eu-west-1', 'SelectResourceConfig', 400, 'ThrottlingException'],
      ['config', 'us-east-1', 'SelectResourceConfig', 200, undefined],
    ]);
    expect(sim.requestLog(since)[1]?.params.Expression).toBe(expression);
  });

  it('fails with AccessDeniedException and InternalFailure (500) for those fault kinds', async () => {
    await control.fault({ kind: 'unauthorized', count: 1 });
    await control.fault({ kind: '5xx', operation: 'BatchGetResourceConfig', count: 1 });
    const client = configClient(sim);
    const denied = await rejection(
      client.send(new SelectResourceConfigCommand({ Expression: 'SELECT resourceId' })),
    );
    expect(denied.name).toBe('AccessDeniedException');
    const internal = await rejection(
      client.send(
        new BatchGetResourceConfigCommand({ resourceKeys: [{ resourceType: INVENTORY, resourceId: 'i-1' }] }),
      ),
    );
    expect(internal.name).toBe('InternalFailure');
    expect(internal.$metadata?.httpStatusCode).toBe(500);
  });
});
