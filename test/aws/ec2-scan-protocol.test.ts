// The scan's DescribeInstances reader reads every field the scan uses exactly as the SDK's own
// parser does: over HTTP, from the simulator and from generated responses with every XML corner.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeInstancesCommand, EC2Client, type Reservation } from '@aws-sdk/client-ec2';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ec2ScanProtocol } from '../../src/aws/ec2-scan-protocol.js';
import type { Target } from '../../src/domain/types.js';
import type { ListedInstance } from '../../src/sources/ec2/instance-mapper.js';
import { createInThreadLister } from '../../src/sources/ec2/part-lister.js';
import { startSimulator, SimulatorControl, type Simulator } from '@driftwarden/simulator';

const target: Target = { account: null, region: 'us-east-1', roleArn: null, filters: {} };
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

function clients(endpoint: string): { sdk: EC2Client; scan: EC2Client } {
  const common = { region: 'us-east-1', endpoint, maxAttempts: 1, credentials };
  return { sdk: new EC2Client(common), scan: new EC2Client({ ...common, protocol: Ec2ScanProtocol }) };
}

async function listed(client: EC2Client, pageSize = 1000): Promise<ListedInstance[]> {
  const all: ListedInstance[] = [];
  await createInThreadLister({ clientFor: () => client, pageSize }).listPart(
    target,
    { index: 0, count: 1 },
    { signal: new AbortController().signal, onPage: (page) => all.push(...page) },
  );
  return all;
}

describe('against the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ instances: 300, seed: 9, regions: ['us-east-1'] });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('lists the same instances, fields and pages as the SDK, tags with markup and line breaks included', async () => {
    const control = new SimulatorControl(sim.url);
    const ids = sim.fleet.instancesIn('us-east-1').map((i) => i.instanceId);
    await control.drift(ids[0]!, {
      tags: { owner: 'a & b <c> "d" \'e\'', note: 'line\r\nbreak', blank: '' },
    });
    await control.drift(ids[1]!, { tags: { unicode: 'ünïcödé 🚀 \u0007', spaces: '  padded  ' } });
    const { sdk, scan } = clients(sim.url);
    try {
      const expected = await listed(sdk, 37);
      expect(expected.length).toBeGreaterThan(250);
      expect(await listed(scan, 37)).toEqual(expected);
      expect(expected.find((i) => i.instanceId === ids[0])?.tags).toMatchObject({
        owner: 'a & b <c> "d" \'e\'',
      });
    } finally {
      sdk.destroy();
      scan.destroy();
    }
  });

  it('leaves errors to the SDK: a refused listing is the same AWS error', async () => {
    const control = new SimulatorControl(sim.url);
    await control.fault({ operation: 'DescribeInstances', kind: 'unauthorized' });
    const { sdk, scan } = clients(sim.url);
    try {
      const sdkError = await listed(sdk).catch((error: unknown) => error);
      const scanError = await listed(scan).catch((error: unknown) => error);
      expect(scanError).toMatchObject({ name: 'UnauthorizedOperation', $fault: 'client' });
      expect((scanError as Error).message).toBe((sdkError as Error).message);
    } finally {
      await control.clearFaults();
      sdk.destroy();
      scan.destroy();
    }
  });
});

// Generated responses: every field optional, text escaped in every way XML allows, pretty-printed
// or compact, with comments and CDATA, and elements the scan does not read nested in between.
interface GenInstance {
  fields: [string, string][];
  state: string | null;
  profile: string | null;
  metadata: [string, string][];
  groups: (string | null)[];
  tags: [string | null, string | null][];
}

const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('', ' ', '\n  ', '  \r\n ', 'a&b', '<x>', '"q"', "'a'", 'x\ry', 'é', '🚀', 'AT&amp;T'),
);

function encode(value: string, style: number): string {
  const escaped = value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  switch (style % 4) {
    case 0:
      return escaped;
    case 1:
      return value.includes(']]>') ? escaped : `<![CDATA[${value}]]>`;
    case 2:
      return [...value].map((c) => (c === ' ' || /[a-z]/i.test(c) ? c : `&#${c.codePointAt(0)};`)).join('');
    default:
      return escaped.replace(/"/g, '&quot;').replace(/'/g, '&apos;');
  }
}

function leaf(name: string, value: string, style: number): string {
  if (value === '' && style % 2 === 0) return `<${name}/>`;
  return `<${name}>${encode(value, style)}</${name}>`;
}

function instanceXml(instance: GenInstance, style: number): string {
  const parts: string[] = instance.fields.map(([name, value]) => leaf(name, value, style));
  if (instance.state !== null)
    parts.push(`<instanceState><code>16</code>${leaf('name', instance.state, style)}</instanceState>`);
  if (instance.profile !== null)
    parts.push(
      `<iamInstanceProfile>${leaf('arn', instance.profile, style)}<id>AIPA</id></iamInstanceProfile>`,
    );
  if (instance.metadata.length > 0)
    parts.push(
      `<metadataOptions>${instance.metadata.map(([n, v]) => leaf(n, v, style)).join('')}</metadataOptions>`,
    );
  parts.push(
    `<groupSet>${instance.groups
      .map((g) => `<item>${g === null ? '' : leaf('groupId', g, style)}<groupName>n</groupName></item>`)
      .join('')}</groupSet>`,
  );
  if (instance.tags.length > 0)
    parts.push(
      `<tagSet>${instance.tags
        .map(
          ([k, v]) =>
            `<item>${k === null ? '' : leaf('key', k, style)}${v === null ? '' : leaf('value', v, style)}</item>`,
        )
        .join('')}</tagSet>`,
    );
  // Nested structures the scan must not confuse with the instance's own fields.
  parts.push(
    '<networkInterfaceSet><item><subnetId>subnet-nested</subnetId><groupSet><item><groupId>sg-nested</groupId></item></groupSet>' +
      '<tagSet><item><key>nested</key><value>x</value></item></tagSet></item></networkInterfaceSet>',
  );
  return `<item>${parts.join(style % 3 === 0 ? '\n      ' : '')}<!-- ${style} --></item>`;
}

const genInstance: fc.Arbitrary<GenInstance> = fc.record({
  fields: fc.uniqueArray(
    fc.tuple(fc.constantFrom('instanceId', 'imageId', 'instanceType', 'subnetId', 'launchTime'), text),
    { selector: ([name]) => name, maxLength: 5 },
  ),
  state: fc.option(fc.constantFrom('running', 'stopped', 'pending', 'stopping', 'terminated')),
  profile: fc.option(text),
  metadata: fc.uniqueArray(fc.tuple(fc.constantFrom('httpTokens', 'httpEndpoint'), text), {
    selector: ([name]) => name,
    maxLength: 2,
  }),
  groups: fc.array(fc.option(text), { maxLength: 3 }),
  tags: fc.uniqueArray(fc.tuple(fc.option(text), fc.option(text)), { selector: ([k]) => k, maxLength: 4 }),
});

/** Every field of a page the scan reads, as plain data. */
async function readPage(client: EC2Client): Promise<unknown> {
  const page = await client.send(new DescribeInstancesCommand({}));
  return {
    nextToken: page.NextToken,
    reservations: (page.Reservations ?? []).map((r: Reservation) => ({
      ownerId: r.OwnerId,
      instances: (r.Instances ?? []).map((i) => ({
        instanceId: i.InstanceId,
        imageId: i.ImageId,
        state: i.State?.Name,
        instanceType: i.InstanceType,
        profile: i.IamInstanceProfile?.Arn,
        groups: i.SecurityGroups?.map((g) => g.GroupId),
        httpTokens: i.MetadataOptions?.HttpTokens,
        httpEndpoint: i.MetadataOptions?.HttpEndpoint,
        tags: i.Tags?.map((t) => [t.Key, t.Value]),
        subnetId: i.SubnetId,
        launchTime: i.LaunchTime?.toISOString(),
      })),
    })),
  };
}

describe('against generated responses', () => {
  let server: Server;
  let body = '';
  let endpoint = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8' });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads every field the scan uses as the SDK does, whatever the encoding', async () => {
    const { sdk, scan } = clients(endpoint);
    // Launch times the SDK reads must be valid: the scan's reader refuses what the SDK refuses.
    const launchTime = fc.date({
      min: new Date('2000-01-01'),
      max: new Date('2100-01-01'),
      noInvalidDate: true,
    });
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.option(text), fc.array(genInstance, { maxLength: 3 })), { maxLength: 3 }),
          launchTime,
          fc.nat(11),
          fc.option(text),
          async (reservations, launched, style, nextToken) => {
            const xml = reservations
              .map(
                ([owner, instances]) =>
                  `<item><reservationId>r-1</reservationId>${owner === null ? '' : leaf('ownerId', owner, style)}` +
                  `<groupSet/><instancesSet>${instances
                    .map((i) =>
                      instanceXml(
                        {
                          ...i,
                          fields: i.fields.map(([n, v]) => [
                            n,
                            n === 'launchTime' ? launched.toISOString() : v,
                          ]),
                        },
                        style,
                      ),
                    )
                    .join('')}</instancesSet></item>`,
              )
              .join(style % 2 === 0 ? '\n  ' : '');
            body =
              `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">` +
              `<requestId>req</requestId><reservationSet>${xml}</reservationSet>` +
              `${nextToken === null ? '' : leaf('nextToken', nextToken, style)}</DescribeInstancesResponse>`;
            expect(await readPage(scan)).toEqual(await readPage(sdk));
          },
        ),
        { numRuns: 150 },
      );
    } finally {
      sdk.destroy();
      scan.destroy();
    }
  });
});
