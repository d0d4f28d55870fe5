// Boot-time noise: `rules suggest` on a fleet of fresh instances proposes a rule that removes exactly the shared difference.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootNoiseSuggestion } from '../../src/core/boot-noise.js';
import { packagePath } from '../../src/package-root.js';
import { runCli, type CliResult } from '../cli/run-cli.js';
import { INGEST_TOKEN, startHarness, type Harness } from '../support/harness.js';

const BOOT_FILE = '/etc/apt/sources.list';
const REWRITTEN = 'b'.repeat(64);
const HAND_MADE = 'c'.repeat(64);

let h: Harness;
let rulesDir: string;
let web: string[];
let api: string[];

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, { env: h.cliEnv });
}

/** Pushes the instance's baked host with some files' sha256 replaced, as an agent on it would. */
async function push(instanceId: string, sha256s: Record<string, string>): Promise<void> {
  const { host } = await h.control.instance(instanceId);
  const files = { ...host.files };
  for (const [path, sha256] of Object.entries(sha256s)) {
    const file = files[path];
    if (file === undefined) throw new Error(`${instanceId} has no ${path}`);
    files[path] = { ...file, sha256 };
  }
  const { status } = await h.post(
    '/api/v1/fingerprints',
    { instanceId, observedAt: new Date().toISOString(), host: { ...host, files } },
    INGEST_TOKEN,
  );
  expect(status).toBe(202);
}

/** Every open finding of these instances as `instance path`, sorted. */
async function openFindings(instanceIds: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of instanceIds) {
    const { body } = await h.get<{ findings: { path: string }[] }>(`/api/v1/instances/${id}`);
    out.push(...body.findings.map((f) => `${id} ${f.path}`));
  }
  return out.sort();
}

/**
 * Six fresh web instances that all rewrote BOOT_FILE at boot, two of them with sshd_config edited by
 * hand too; three fresh api instances, one with BOOT_FILE changed the same way (one peer is no evidence).
 */
async function startFleet(env: Record<string, string>): Promise<void> {
  rulesDir = mkdtempSync(join(tmpdir(), 'dw-rules-'));
  cpSync(packagePath('rules'), rulesDir, { recursive: true });
  h = await startHarness({
    instances: 4,
    regions: ['us-east-1'],
    lifecycle: { pendingMs: 0, statusCheckMs: 0 },
    env: { DRIFTWARDEN_RULES_DIR: rulesDir, ...env },
  });
  web = (await h.control.launchBulk({ region: 'us-east-1', channel: 'web', count: 6 })).instanceIds;
  api = (await h.control.launchBulk({ region: 'us-east-1', channel: 'api', count: 3 })).instanceIds;
  await h.scan(); // pushes are taken for instances a scan has seen
  for (const [i, id] of web.entries()) {
    await push(
      id,
      i < 2 ? { [BOOT_FILE]: REWRITTEN, '/etc/ssh/sshd_config': HAND_MADE } : { [BOOT_FILE]: REWRITTEN },
    );
  }
  await push(api[0] as string, { [BOOT_FILE]: REWRITTEN });
  for (const id of api.slice(1)) await push(id, {});
  await h.scan();
}

async function stopFleet(): Promise<void> {
  await h.close();
  rmSync(rulesDir, { recursive: true, force: true });
}

describe('driftwarden rules suggest', () => {
  beforeAll(() => startFleet({}), 60_000);
  afterAll(stopFleet);

  it('lists the difference every fresh web instance shows, with its evidence, and not the hand-made ones', async () => {
    const result = await cli(['rules', 'suggest', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as { freshWindow: string; suggestions: BootNoiseSuggestion[] };
    expect(body.freshWindow).toBe('30m');
    const webImage = (await h.control.instance(web[0] as string)).imageId;
    expect(body.suggestions).toEqual([
      {
        channel: 'web',
        path: `host.files["${BOOT_FILE}"].sha256`,
        change: 'changed',
        actual: REWRITTEN,
        peers: 6,
        freshInstances: 6,
        imageIds: [webImage],
        instanceIds: [...web].sort(),
        since: expect.any(String) as unknown,
      },
    ]);
  });

  it('is listed on the web UI page, with the same evidence and rule file', async () => {
    const { status, body } = await h.get<string>('/ui/boot-noise');
    expect(status).toBe(200);
    expect(body).toContain('<td class="num">6 of 6</td>');
    expect(body).toContain(`data-path="host.files[&quot;${BOOT_FILE}&quot;].sha256"`);
    expect(body).not.toContain('sshd_config');
    expect(body).toContain('where: { channel: [&quot;web&quot;] }');
  });

  it('prints a rule file that rules check accepts and that, once added, removes those findings and nothing else', async () => {
    const before = await openFindings([...web, ...api]);
    const result = await cli(['rules', 'suggest']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('# 6 of 6 fresh instances of ami-');
    writeFileSync(join(rulesDir, '40-boot-noise.yaml'), result.stdout);
    const check = await cli(['rules', 'check', rulesDir]);
    expect(check.stderr).toBe('');
    expect(check.stdout).toMatch(/^ok: \d+ rules, 2 ignore entries in 6 files\n$/);

    await h.restart();
    await h.scan();
    const bootPath = `host.files["${BOOT_FILE}"].sha256`;
    const expected = before.filter((f) => !web.some((id) => f === `${id} ${bootPath}`));
    expect(expected).toHaveLength(before.length - web.length);
    expect(await openFindings([...web, ...api])).toEqual(expected);
    // What is left: the two hand-made sshd changes and the api instance's lone change.
    expect(expected).toEqual(
      [
        `${web[0] as string} host.files["/etc/ssh/sshd_config"].sha256`,
        `${web[1] as string} host.files["/etc/ssh/sshd_config"].sha256`,
        `${api[0] as string} ${bootPath}`,
      ].sort(),
    );
  });
});

describe('signal.applyBootNoise', () => {
  beforeAll(() => startFleet({ DRIFTWARDEN_SIGNAL_APPLY_BOOT_NOISE: 'true' }), 60_000);
  afterAll(stopFleet);

  it('accepts the boot-time difference on each fresh peer, with the evidence as reason, and nothing else', async () => {
    const { status, body } = await h.get<{
      items: { instanceId: string; rule: string; reason: string; createdBy: string }[];
    }>('/api/v1/acceptances');
    expect(status).toBe(200);
    expect(body.items.map((a) => a.instanceId).sort()).toEqual([...web].sort());
    expect(new Set(body.items.map((a) => `${a.rule} ${a.createdBy} ${a.reason}`))).toEqual(
      new Set([
        expect.stringMatching(
          /^files driftwarden:boot-noise boot-time noise: host\.files\["\/etc\/apt\/sources\.list"\]\.sha256 changed on 6 of 6 fresh instances of channel web since /,
        ) as unknown as string,
      ]),
    );

    // Acceptances apply from the next scan; a second pass adds no duplicates.
    await h.scan();
    expect((await h.get<{ items: unknown[] }>('/api/v1/acceptances')).body.items).toHaveLength(web.length);
    const accepted = async (id: string) =>
      (
        await h.get<{ findings: { path: string; accepted: boolean }[] }>(`/api/v1/instances/${id}`)
      ).body.findings
        .filter((f) => f.accepted)
        .map((f) => f.path);
    for (const id of web) expect(await accepted(id)).toContain(`host.files["${BOOT_FILE}"].sha256`);
    for (const id of api) expect(await accepted(id)).toEqual([]);
  });
});
