// One hostile host cannot multiply the daemon's work: 100,000 unknown files become 200 findings and a summary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimInstance } from '@driftwarden/simulator';
import { INGEST_TOKEN, startHarness, type Harness } from '../support/harness.js';

interface Finding {
  path: string;
  change: string;
  rule: string;
  severity: string;
  actual: unknown;
}
interface SectionCount {
  section: string;
  total: number;
  shown: number;
  next: string | null;
}
interface InstanceBody {
  findings: Finding[];
  findingSections: SectionCount[];
}
interface PageBody {
  section: string;
  total: number;
  items: Finding[];
  cursor: string | null;
  next: string | null;
}

const UNKNOWN_FILES = 100_000;
const MAX_BYTES = 1_000_000;

describe('a fingerprint with 100,000 unknown files', () => {
  let h: Harness;
  let instance: SimInstance;
  let uiBytes: number;
  let ui: string;
  let apiBytes: number;
  let api: InstanceBody;
  let scanFindings: number;
  const healthStatuses: number[] = [];

  beforeAll(async () => {
    h = await startHarness({
      instances: 8,
      regions: ['us-east-1'],
      env: { DRIFTWARDEN_HTTP_BODY_LIMIT: '16mb' },
    });
    instance = h.sim.fleet
      .allInstances()
      .filter((i) => i.state === 'running' && i.channel !== null && Object.keys(i.host.files).length > 0)
      .sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1))[0] as SimInstance;
    await h.scan();
    const files: Record<string, { mode: string }> = {};
    for (const [path, file] of Object.entries(instance.host.files)) files[path] = { ...file };
    for (let i = 0; i < UNKNOWN_FILES; i += 1)
      files[`/var/tmp/dump/f${String(i).padStart(6, '0')}`] = { mode: '0644' };
    const push = await h.post(
      '/api/v1/fingerprints',
      { instanceId: instance.instanceId, observedAt: new Date().toISOString(), host: { files } },
      INGEST_TOKEN,
    );
    expect(push.status).toBe(202);

    // The daemon keeps answering while it scans the instance.
    const scanning = h.scan();
    let done = false;
    void scanning.finally(() => (done = true));
    do healthStatuses.push((await h.get('/healthz')).status);
    while (!done);
    scanFindings = (await scanning).findings.filter((f) => f.instanceId === instance.instanceId).length;

    const apiAnswer = await fetch(`${h.url}/api/v1/instances/${instance.instanceId}`);
    const apiText = await apiAnswer.text();
    apiBytes = Buffer.byteLength(apiText);
    api = JSON.parse(apiText) as InstanceBody;
    ui = await (await fetch(`${h.url}/ui/instances/${instance.instanceId}`)).text();
    uiBytes = Buffer.byteLength(ui);
    // A 4 MB push and a 100,000-file diff: seconds alone, more on a shared 2-core machine.
  }, 240_000);

  afterAll(async () => {
    await h.close();
  });

  it('stores the first 200 file findings and one summary counting the other 99,800', () => {
    expect(scanFindings).toBe(201);
    const files = api.findingSections.find((s) => s.section === 'host.files');
    expect(files).toMatchObject({ total: 201, shown: 100 });
    const summary = api.findings.find((f) => f.change === 'truncated');
    expect(summary).toMatchObject({
      path: 'host.files',
      rule: 'truncated',
      severity: 'warning',
      actual: { omitted: UNKNOWN_FILES - 200 },
    });
  });

  it('answers the instance API and page in bounded size', () => {
    expect(apiBytes).toBeLessThan(MAX_BYTES);
    expect(api.findings.filter((f) => f.path.startsWith('host.files')).length).toBe(100);
    expect(uiBytes).toBeLessThan(MAX_BYTES);
    expect(ui).toContain('and 99,800 more');
    expect(ui).toContain(`/ui/instances/${instance.instanceId}/findings?section=host.files`);
  });

  it('pages through the rest of the section with the cursor, each finding once', async () => {
    const first = api.findingSections.find((s) => s.section === 'host.files');
    const seen = api.findings.filter((f) => f.path.startsWith('host.files')).map((f) => f.path);
    let next = first?.next ?? null;
    let pages = 0;
    while (next !== null) {
      // The first link comes from the instance answer; later ones carry the limit they were asked with.
      const { status, body } = await h.get<PageBody>(pages === 0 ? `${next}&limit=40` : next);
      expect(status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(40);
      seen.push(...body.items.map((f) => f.path));
      next = body.next;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(201);
    expect(new Set(seen).size).toBe(201);
    expect(seen[0]).toBe('host.files');
  });

  it('serves the paged list in the web UI', async () => {
    const response = await fetch(`${h.url}/ui/instances/${instance.instanceId}/findings?section=host.files`);
    const page = await response.text();
    expect(response.status).toBe(200);
    expect(page).toContain('201 open findings in host.files');
    expect(page).toContain('rel="next"');
  });

  it('refuses a cursor it did not hand out', async () => {
    const { status } = await h.get(
      `/api/v1/instances/${instance.instanceId}/findings?section=host.files&cursor=bm9wZQ`,
    );
    expect(status).toBe(400);
  });

  it('kept answering /healthz during the scan and after it', async () => {
    expect(healthStatuses.length).toBeGreaterThan(0);
    expect(healthStatuses.every((s) => s === 200)).toBe(true);
    expect((await h.get('/healthz')).status).toBe(200);
  });
});
