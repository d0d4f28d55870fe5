import { DescribeImagesCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatorControl, startSimulator, type Simulator } from '@driftwarden/simulator';
import { ec2Client, rejection } from './sdk-client.js';

let sim: Simulator;
let control: SimulatorControl;

beforeAll(async () => {
  sim = await startSimulator({ instances: 10 });
  control = new SimulatorControl(sim.url);
});

afterAll(async () => {
  await sim.close();
});

afterEach(async () => {
  await control.clearFaults();
});

const describeIn = (region: string) =>
  ec2Client(sim, region, { maxAttempts: 1 }).send(new DescribeInstancesCommand({}));

describe('injected faults surface as the SDK errors the daemon branches on', () => {
  it('throttle → RequestLimitExceeded (400)', async () => {
    await control.fault({ kind: 'throttle', count: 1 });
    const error = await rejection(describeIn('us-east-1'));
    expect(error.name).toBe('RequestLimitExceeded');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    await expect(describeIn('us-east-1')).resolves.toHaveProperty('Reservations');
  });

  it('5xx → InternalError (500)', async () => {
    await control.fault({ kind: '5xx', count: 1 });
    const error = await rejection(describeIn('us-east-1'));
    expect(error.name).toBe('InternalError');
    expect(error.$metadata?.httpStatusCode).toBe(500);
  });

  it('unauthorized → UnauthorizedOperation (403)', async () => {
    await control.fault({ kind: 'unauthorized' });
    const error = await rejection(describeIn('eu-west-1'));
    expect(error.name).toBe('UnauthorizedOperation');
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });

  it('latency delays the response without failing it', async () => {
    await control.fault({ kind: 'latency', latencyMs: 300, count: 1 });
    const started = performance.now();
    await describeIn('us-east-1');
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('fails exactly the next `count` matching requests, then stops', async () => {
    await control.fault({ kind: 'throttle', count: 2 });
    expect((await rejection(describeIn('us-east-1'))).name).toBe('RequestLimitExceeded');
    expect((await rejection(describeIn('us-east-1'))).name).toBe('RequestLimitExceeded');
    await expect(describeIn('us-east-1')).resolves.toHaveProperty('Reservations');
  });

  it('without a count keeps failing until cleared', async () => {
    await control.fault({ kind: '5xx' });
    for (let i = 0; i < 3; i++) expect((await rejection(describeIn('us-east-1'))).name).toBe('InternalError');
    await control.clearFaults();
    await expect(describeIn('us-east-1')).resolves.toHaveProperty('Reservations');
  });

  it('scopes a fault to one region and one operation', async () => {
    await control.fault({ kind: 'throttle', region: 'eu-west-1', operation: 'DescribeInstances' });
    await expect(describeIn('us-east-1')).resolves.toHaveProperty('Reservations');
    await expect(
      ec2Client(sim, 'eu-west-1', { maxAttempts: 1 }).send(new DescribeImagesCommand({})),
    ).resolves.toHaveProperty('Images');
    expect((await rejection(describeIn('eu-west-1'))).name).toBe('RequestLimitExceeded');
  });

  it('lets the SDK retry through a short throttle burst (it classes RequestLimitExceeded as throttling)', async () => {
    await control.fault({ kind: 'throttle', count: 1 });
    const out = await ec2Client(sim, 'us-east-1', { maxAttempts: 3 }).send(new DescribeInstancesCommand({}));
    expect(out.Reservations?.length).toBeGreaterThan(0);
    const statuses = (await control.requests()).slice(-2).map((e) => [e.status, e.errorCode ?? null]);
    expect(statuses).toEqual([
      [400, 'RequestLimitExceeded'],
      [200, null],
    ]);
  });

  it('records faulted requests in the request log with their error code', async () => {
    await control.clearRequests();
    await control.fault({ kind: 'unauthorized', count: 1 });
    await rejection(describeIn('us-east-1'));
    const entries = await control.requests();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: 'DescribeInstances',
      status: 403,
      errorCode: 'UnauthorizedOperation',
      region: 'us-east-1',
    });
  });

  it('rejects a latency fault without latencyMs, naming the field', async () => {
    const response = await fetch(`${sim.url}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'latency' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field: 'latencyMs' });
  });
});
