// DescribeInstances pagination: a 2,500-instance region, listed in parts, is scanned completely, no gaps, no duplicates.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
const PARTS = 4;

beforeAll(async () => {
  h = await startHarness({
    instances: 6,
    seed: 3,
    regions: ['us-east-1'],
    env: { DRIFTWARDEN_AWS_PAGE_SIZE: '400', DRIFTWARDEN_AWS_LIST_PARTITIONS: String(PARTS) },
  });
  const channel = h.sim.fleet.images.find((i) => i.region === 'us-east-1')?.channel as string;
  await h.control.launchBulk({
    region: 'us-east-1',
    count: 2500 - h.sim.fleet.allInstances().length,
    channel,
  });
});
afterAll(async () => {
  await h.close();
});

it('scans every instance of a 2,500-instance region exactly once', async () => {
  const expected = h.sim.fleet
    .allInstances()
    .filter((i) => i.state !== 'terminated')
    .map((i) => i.instanceId)
    .sort();
  expect(expected).toHaveLength(2500);
  const firstSeq = h.sim.requestLog().length;

  const scan = await h.scan();
  expect(scan.outcome).toBe('success');
  expect(scan.instances.total).toBe(2500);

  const seen: string[] = [];
  for (let href: string | null = '/api/v1/instances?limit=1000'; href !== null;) {
    const page: { body: { items: { instanceId: string }[]; nextHref: string | null } } = await h.get(href);
    seen.push(...page.body.items.map((i) => i.instanceId));
    href = page.body.nextHref;
  }
  expect(seen.sort()).toEqual(expected);

  const pages = h.sim
    .requestLog()
    .slice(firstSeq)
    .filter((r) => r.action === 'DescribeInstances');
  // Listed in PARTS parts by the id's last hex digit, each part paged on its own.
  const perPart = Array.from({ length: PARTS }, (_, part) =>
    expected.filter((id) => parseInt(id.slice(-1), 16) % PARTS === part),
  );
  expect(perPart.reduce((n, part) => n + part.length, 0)).toBe(2500);
  expect(pages).toHaveLength(perPart.reduce((n, part) => n + Math.max(1, Math.ceil(part.length / 400)), 0));
});
